// Transcripts of a real run of each lesson's pair, captured at build time with
// the test harness: the server on port 0, then each client against it, as the
// lesson text runs them. Ports are normalised so a page is the same every build:
// the server's port prints as the manifest's (65432), each client's ephemeral
// port as 50001, 50002, ... in order of appearance.

import fs from 'node:fs';
import path from 'node:path';
import type { LessonEntry, ProgramEntry } from '../lessons/manifest.ts';
import { ROOT, runProgram, startServer, type ProgramResult } from '../test/harness.ts';
import { BuildError } from './markdown.ts';

export interface Transcript {
  program: ProgramEntry;
  /** The command as the lesson text runs it, from the workbook folder. */
  command: string;
  /** What the terminal shows: the command, then the program's output. */
  lines: string[];
}

/**
 * A server that does not exit by itself (it serves clients until Ctrl-C) is
 * interrupted once it has closed every connection (where /proc shows that) and
 * then printed nothing for this long; one that exits by itself (lesson 01's)
 * is simply awaited.
 */
const SERVER_QUIET_MS = 300;
/** How long to wait for a server to close its connections after the last client is gone. */
const CONNECTIONS_TIMEOUT_MS = 5_000;
/** Ephemeral ports print as numbers from here, so pages stay the same between builds. */
const FIRST_PLACEHOLDER_PORT = 50001;

export function commandFor(lesson: LessonEntry, program: ProgramEntry): string {
  return ['npx tsx', `lessons/${lesson.folder}/${program.file}`, ...program.args].join(' ');
}

function outputLines(result: ProgramResult): string[] {
  return [...result.stdoutLines, ...result.stderrLines];
}

/**
 * How many TCP sockets the process has that are not listening: its connections,
 * including ones it is still closing. Undefined where /proc cannot tell (not Linux).
 */
function openConnections(pid: number): number | undefined {
  try {
    const inodes = new Set<string>();
    for (const fd of fs.readdirSync(`/proc/${pid}/fd`)) {
      const link = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      const match = link.match(/^socket:\[(\d+)\]$/);
      if (match) inodes.add(match[1]!);
    }
    let count = 0;
    for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
      if (!fs.existsSync(table)) continue;
      for (const line of fs.readFileSync(table, 'utf8').split('\n').slice(1)) {
        const columns = line.trim().split(/\s+/);
        // Column 3 is the state (0A is LISTEN), column 9 the socket's inode.
        if (columns.length > 9 && columns[3] !== '0A' && inodes.has(columns[9]!)) count++;
      }
    }
    return count;
  } catch {
    return undefined;
  }
}

/** Resolves once the server has no open connections, or after CONNECTIONS_TIMEOUT_MS. */
async function connectionsClosed(server: Awaited<ReturnType<typeof startServer>>): Promise<void> {
  const pid = server.pid;
  if (pid === undefined) return;
  const deadline = Date.now() + CONNECTIONS_TIMEOUT_MS;
  let exited = false;
  void server.finished.then(() => (exited = true));
  while (!exited && Date.now() < deadline) {
    const open = openConnections(pid);
    if (open === undefined || open === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Waits until the server exits, or has closed its connections and gone quiet; true if it exited. */
async function serverSettled(server: Awaited<ReturnType<typeof startServer>>): Promise<boolean> {
  await connectionsClosed(server);
  let seen = -1;
  while (server.stdoutLines.length + server.stderrLines.length !== seen) {
    seen = server.stdoutLines.length + server.stderrLines.length;
    let timer: NodeJS.Timeout | undefined;
    const quiet = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), SERVER_QUIET_MS);
    });
    const exited = await Promise.race([server.finished.then(() => true), quiet]);
    clearTimeout(timer);
    if (exited) return true;
  }
  return false;
}

function normalisePorts(lines: string[], serverPort: number, manifestPort: string): string[] {
  const placeholders = new Map<string, string>();
  const address = /(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\]):(\d{1,5})\b/g;
  return lines.map((line) =>
    line
      .replace(address, (_, host: string, port: string) => {
        if (Number(port) === serverPort) return `${host}:${manifestPort}`;
        if (!placeholders.has(port))
          placeholders.set(port, String(FIRST_PLACEHOLDER_PORT + placeholders.size));
        return `${host}:${placeholders.get(port)}`;
      })
      .replace(new RegExp(`\\b${serverPort}\\b`, 'g'), manifestPort),
  );
}

/**
 * Runs the lesson's server, then each of its clients, and returns what each
 * terminal showed; [] for a lesson without a server and a client. A program that
 * fails fails the build with its output.
 */
export async function captureTranscripts(lesson: LessonEntry): Promise<Transcript[]> {
  const serverEntry = lesson.programs.find((program) => program.role === 'server');
  const clients = lesson.programs.filter((program) => program.role === 'client');
  if (serverEntry === undefined || clients.length === 0) return [];
  const file = (program: ProgramEntry) => path.join(ROOT, 'lessons', lesson.folder, program.file);
  const [host = '127.0.0.1', manifestPort = '65432', ...extraArgs] = serverEntry.args;
  const fail = (what: string, output: string) =>
    new BuildError(
      `lesson ${lesson.id}: ${what}; the page needs a real run of the pair.\n${output}`,
    );

  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(file(serverEntry), { host, extraArgs });
  } catch (error) {
    throw fail(
      `${serverEntry.file} did not start`,
      error instanceof Error ? error.message : String(error),
    );
  }
  try {
    const clientResults: ProgramResult[] = [];
    for (const client of clients) {
      const args = client.args.map((arg) => (arg === manifestPort ? String(server.port) : arg));
      const result = await runProgram(file(client), args);
      clientResults.push(result);
      if (result.exitCode !== 0)
        throw fail(
          `${client.file} exited with code ${result.exitCode}`,
          result.transcript + '\n' + server.transcript(),
        );
    }
    const exitedByItself = await serverSettled(server);
    // Ctrl-C goes where the terminal shows it: after what the server printed before it.
    const printedBeforeCtrlC = server.stdoutLines.length;
    if (!exitedByItself) server.signal('SIGINT');
    const serverResult = await server.waitForExit();
    if (serverResult.exitCode !== 0)
      throw fail(
        `${serverEntry.file} exited with code ${serverResult.exitCode}`,
        serverResult.transcript,
      );

    // Ports are numbered in the order the server's transcript shows them.
    const serverLines = exitedByItself
      ? outputLines(serverResult)
      : [
          ...serverResult.stdoutLines.slice(0, printedBeforeCtrlC),
          '^C',
          ...serverResult.stdoutLines.slice(printedBeforeCtrlC),
          ...serverResult.stderrLines,
        ];
    const all = normalisePorts(
      [...serverLines, ...clientResults.flatMap(outputLines)],
      server.port,
      manifestPort,
    );
    const transcripts: Transcript[] = [];
    let offset = serverLines.length;
    transcripts.push({
      program: serverEntry,
      command: commandFor(lesson, serverEntry),
      lines: all.slice(0, serverLines.length),
    });
    clients.forEach((client, index) => {
      const count = outputLines(clientResults[index]!).length;
      transcripts.push({
        program: client,
        command: commandFor(lesson, client),
        lines: all.slice(offset, offset + count),
      });
      offset += count;
    });
    return transcripts;
  } finally {
    await server.stop();
  }
}

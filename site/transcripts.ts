// Transcripts of a real run of each lesson's pair, captured at build time with
// the test harness: the server on port 0, then each client against it, as the
// lesson text runs them. Ports are normalised so a page is the same every build:
// the server's port prints as the manifest's (65432), each client's ephemeral
// port as 50001, 50002, ... in order of appearance.

import fs from 'node:fs';
import path from 'node:path';
import type { LessonEntry, ProgramEntry } from '../lessons/manifest.ts';
import { runProgram, startServer, type ProgramResult } from '../test/harness.ts';
import { ROOT } from '../test/paths.ts';
import { linesWithCut, transcriptText, type Transcript } from '../test/transcript.ts';
import { BuildError } from './markdown.ts';

/** One program of a lesson's real run: its transcript, with the command as the lesson text runs it. */
export interface LessonRun {
  program: ProgramEntry;
  transcript: Transcript;
}

/** What a terminal shows for a transcript: the command, then what the program printed. */
export function terminalLines(transcript: Transcript): string[] {
  return [
    `$ ${transcript.command}`,
    ...linesWithCut(transcript.stdout, transcript.cut?.stdout),
    ...linesWithCut(transcript.stderr, transcript.cut?.stderr),
  ];
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

/**
 * The command line the page shows. A client whose run types into its stdin gets
 * that input piped in with printf, so the command reproduces the run as shown.
 */
export function commandFor(lesson: LessonEntry, program: ProgramEntry): string {
  const command = ['npx tsx', `lessons/${lesson.folder}/${program.file}`, ...program.args];
  if (program.input === undefined) return command.join(' ');
  return [`printf ${printfFormat(program.input)} |`, ...command].join(' ');
}

/** `text` as printf's format in single quotes: newlines as \n, and % and ' escaped. */
export function printfFormat(text: string): string {
  const escaped = text
    .replaceAll('\\', '\\\\')
    .replaceAll('%', '%%')
    .replaceAll('\n', '\\n')
    .replaceAll("'", "'\\''");
  return `'${escaped}'`;
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
export async function captureTranscripts(lesson: LessonEntry): Promise<LessonRun[]> {
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
      // A client that reads stdin (lesson 10's chat) gets the manifest's input.
      const result = await runProgram(file(client), args, { input: client.input });
      clientResults.push(result);
      if (result.exitCode !== 0)
        throw fail(
          `${client.file} exited with code ${result.exitCode}`,
          `${transcriptText(result.transcript)}\n${transcriptText(server.transcript())}`,
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
        transcriptText(serverResult.transcript),
      );

    // Ctrl-C is shown where the terminal shows it: after what the server printed before it.
    const serverStdout = exitedByItself
      ? serverResult.stdoutLines
      : [
          ...serverResult.stdoutLines.slice(0, printedBeforeCtrlC),
          '^C',
          ...serverResult.stdoutLines.slice(printedBeforeCtrlC),
        ];
    // Ports are numbered in the order the terminals show them, the server's first.
    const streams = [
      serverStdout,
      serverResult.stderrLines,
      ...clientResults.flatMap((result) => [result.stdoutLines, result.stderrLines]),
    ];
    const normalised = normalisePorts(streams.flat(), server.port, manifestPort);
    let offset = 0;
    const take = (count: number) => normalised.slice(offset, (offset += count));
    const run = (program: ProgramEntry, result: ProgramResult, stdoutCount: number): LessonRun => ({
      program,
      transcript: {
        ...result.transcript,
        command: commandFor(lesson, program),
        stdout: take(stdoutCount),
        stderr: take(result.stderrLines.length),
      },
    });
    const transcripts = [run(serverEntry, serverResult, serverStdout.length)];
    clients.forEach((client, index) => {
      const result = clientResults[index];
      if (result !== undefined) transcripts.push(run(client, result, result.stdoutLines.length));
    });
    return transcripts;
  } finally {
    await server.stop();
  }
}

// The harness every check uses: it starts lesson programs with execa, collects
// their output line by line, waits for lines (never for fixed delays), and always
// stops what it started. Failures carry each program's own output.
// It does not import vitest, so the site generator can use it to capture transcripts.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildSync } from 'esbuild';
import { execa, type ResultPromise } from 'execa';
import { findLesson } from '../lessons/manifest.ts';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const TSX_LOADER = import.meta.resolve('tsx');

// Starting a program under tsx costs about 0.35 s of CPU, most of it loading
// tsx itself; the checks start hundreds of programs. So the harness compiles
// each program once per test process with esbuild (the compiler tsx uses),
// into one JavaScript file beside node_modules, and runs that with plain node
// (about 0.09 s). Same code, same Node; WORKBOOK_RUN_WITH_TSX=1 runs the .ts
// files through tsx instead, and a program that does not compile runs under
// tsx too, so its own error message is what the check shows.
const compiledPrograms = new Map<string, string>();
const COMPILED_DIR = path.join(ROOT, 'node_modules', '.cache', 'workbook-programs');

function commandFor(file: string): string[] {
  if (process.env.WORKBOOK_RUN_WITH_TSX === '1' || !file.endsWith('.ts'))
    return ['--import', TSX_LOADER, file];
  let compiled = compiledPrograms.get(file);
  if (compiled === undefined) {
    let code: string;
    try {
      const result = buildSync({
        entryPoints: [file],
        write: false,
        // A source map, so a stack trace names the .ts file and line the learner wrote.
        outdir: COMPILED_DIR,
        sourcemap: 'inline',
        sourcesContent: false,
        bundle: true,
        packages: 'external',
        platform: 'node',
        format: 'esm',
        target: 'node20',
        logLevel: 'silent',
      });
      code = result.outputFiles[0]!.text;
    } catch {
      return ['--import', TSX_LOADER, file];
    }
    // Named by content: parallel test processes share files, and an edit makes a new one.
    const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
    compiled = path.join(COMPILED_DIR, `${path.basename(file, '.ts')}-${hash}.mjs`);
    if (!existsSync(compiled)) {
      mkdirSync(COMPILED_DIR, { recursive: true });
      const partial = `${compiled}.${process.pid}.tmp`;
      writeFileSync(partial, code);
      renameSync(partial, compiled);
    }
    compiledPrograms.set(file, compiled);
  }
  return ['--enable-source-maps', compiled];
}

/** How long to wait for a line before failing; generous, since CI machines can be slow. */
export const LINE_TIMEOUT_MS = 10_000;

/**
 * Where a lesson's programs live. `npm test` checks the reference lessons;
 * `npm run check` points the same specs at a learner's copy through
 * WORKBOOK_LESSON_DIRS, a JSON object such as {"01": "/path/to/workspace/01-echo"}.
 */
export function lessonDir(id: string): string {
  const overrides = JSON.parse(process.env.WORKBOOK_LESSON_DIRS ?? '{}') as Record<string, string>;
  const override = overrides[id];
  if (override !== undefined) return path.resolve(override);
  const lesson = findLesson(id);
  if (lesson === undefined) throw new Error(`lesson ${id} is not in lessons/manifest.ts`);
  return path.join(ROOT, 'lessons', lesson.folder);
}

export function programPath(lessonId: string, file: string): string {
  return path.join(lessonDir(lessonId), file);
}

export interface ProgramResult {
  name: string;
  exitCode: number | undefined;
  signal: string | undefined;
  stdoutLines: string[];
  stderrLines: string[];
  /** The program's output for a failure message: command, stdout, stderr, exit status. */
  transcript: string;
}

export interface StartOptions {
  /** Bytes or text written to the program's stdin, which is then closed. */
  input?: string | Uint8Array;
  /** Kill the program if it runs longer than this (it then fails with its output). */
  timeoutMs?: number;
  /** Extra environment variables for the program (the checks' own, e.g. NODE_OPTIONS). */
  env?: Readonly<Record<string, string>>;
}

const running = new Set<RunningProgram>();
/** Every program started in this test process, in order, so a failed check can show what they printed. */
const started: RunningProgram[] = [];

export function startedCount(): number {
  return started.length;
}

export function startedSince(mark: number): RunningProgram[] {
  return started.slice(mark);
}

export class RunningProgram {
  readonly name: string;
  readonly stdoutLines: string[] = [];
  readonly stderrLines: string[] = [];
  readonly finished: Promise<ProgramResult>;
  private readonly subprocess: ResultPromise;
  readonly command: string;
  private exited = false;
  private readonly lineListeners = new Set<() => void>();

  constructor(file: string, args: readonly string[], options: StartOptions = {}) {
    this.name = path.basename(file);
    this.command = [this.name, ...args].join(' ');
    this.subprocess = execa(process.execPath, [...commandFor(file), ...args], {
      cwd: ROOT,
      reject: false,
      buffer: false,
      input: options.input,
      stdin: options.input === undefined ? 'ignore' : undefined,
      timeout: options.timeoutMs,
      forceKillAfterDelay: 2_000,
      env: { NO_COLOR: '1', FORCE_COLOR: '0', ...options.env },
    });
    this.collect(this.subprocess.stdout, this.stdoutLines);
    this.collect(this.subprocess.stderr, this.stderrLines);
    running.add(this);
    started.push(this);
    this.finished = this.subprocess.then((result) => {
      this.exited = true;
      running.delete(this);
      this.notify();
      return {
        name: this.name,
        exitCode: result.exitCode,
        signal: result.signal,
        stdoutLines: this.stdoutLines,
        stderrLines: this.stderrLines,
        transcript: this.transcript(),
      };
    });
  }

  private collect(stream: NodeJS.ReadableStream | null, lines: string[]): void {
    if (stream === null) return;
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      const parts = (pending + chunk).split('\n');
      pending = parts.pop() ?? '';
      lines.push(...parts.map((line) => line.replace(/\r$/, '')));
      this.notify();
    });
    stream.on('end', () => {
      if (pending !== '') lines.push(pending);
      pending = '';
      this.notify();
    });
  }

  private notify(): void {
    for (const listener of this.lineListeners) listener();
  }

  get pid(): number | undefined {
    return this.subprocess.pid;
  }

  get stdout(): string {
    return this.stdoutLines.join('\n');
  }

  /** Everything the program printed so far, labelled, for failure messages. */
  transcript(): string {
    const status = this.exited
      ? `exit code ${this.subprocess.exitCode ?? 'none'}${this.subprocess.signalCode ? `, signal ${this.subprocess.signalCode}` : ''}`
      : 'still running';
    const block = (label: string, lines: string[]) =>
      lines.length === 0
        ? `  (${label}: nothing)`
        : [`  ${label}:`, ...lines.map((line) => `    ${line}`)].join('\n');
    return [
      `--- ${this.command} (${status})`,
      block('stdout', this.stdoutLines),
      block('stderr', this.stderrLines),
    ].join('\n');
  }

  /**
   * Waits until stdout has a line matching `pattern` (searching from line `from`)
   * and returns the match. Fails with the program's output if the program exits
   * first or nothing matches within the timeout.
   */
  waitForLine(
    pattern: RegExp,
    options: { timeoutMs?: number; from?: number } = {},
  ): Promise<RegExpMatchArray> {
    const timeoutMs = options.timeoutMs ?? LINE_TIMEOUT_MS;
    let searchedUpTo = options.from ?? 0;
    return new Promise((resolve, reject) => {
      const check = () => {
        for (; searchedUpTo < this.stdoutLines.length; searchedUpTo++) {
          const match = this.stdoutLines[searchedUpTo]!.match(pattern);
          if (match) return finish(() => resolve(match));
        }
        if (this.exited) {
          finish(() =>
            reject(
              new Error(
                `${this.name} exited before printing a line matching ${pattern}\n${this.transcript()}`,
              ),
            ),
          );
        }
      };
      const timer = setTimeout(() => {
        finish(() =>
          reject(
            new Error(
              `${this.name} printed no line matching ${pattern} within ${timeoutMs} ms\n${this.transcript()}`,
            ),
          ),
        );
      }, timeoutMs);
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        this.lineListeners.delete(check);
        settle();
      };
      this.lineListeners.add(check);
      check();
    });
  }

  /** Sends a signal (SIGINT is Ctrl-C) without waiting. */
  signal(signal: NodeJS.Signals): void {
    if (!this.exited) this.subprocess.kill(signal);
  }

  /** Waits for the program to exit by itself, failing with its output after `timeoutMs`. */
  async waitForExit(timeoutMs = LINE_TIMEOUT_MS): Promise<ProgramResult> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new Error(`${this.name} did not exit within ${timeoutMs} ms\n${this.transcript()}`),
          ),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.finished, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Stops the program (SIGTERM, then SIGKILL if it lingers) and returns its result. */
  async stop(): Promise<ProgramResult> {
    if (!this.exited) this.subprocess.kill('SIGTERM');
    return this.finished;
  }
}

export function startProgram(
  file: string,
  args: readonly string[] = [],
  options?: StartOptions,
): RunningProgram {
  return new RunningProgram(file, args, options);
}

export interface RunningServer extends RunningProgram {
  host: string;
  port: number;
}

/**
 * Starts a server on port 0 (the system picks a free port) and waits for its
 * `Listening on <host>:<port>` line. Extra arguments follow host and port.
 */
export async function startServer(
  file: string,
  options: { host?: string; extraArgs?: readonly string[]; env?: StartOptions['env'] } = {},
): Promise<RunningServer> {
  const host = options.host ?? '127.0.0.1';
  const program = startProgram(file, [host, '0', ...(options.extraArgs ?? [])], {
    env: options.env,
  });
  let match: RegExpMatchArray;
  try {
    match = await program.waitForLine(/^Listening on \[?([^\]]+?)\]?:(\d+)$/);
  } catch (error) {
    // Say what a server must print, in words, rather than as a regular expression.
    throw new Error(
      (error as Error).message.replace(
        /(a|no) line matching \/\^Listening.*?\$\//,
        (_, which: string) =>
          which === 'a'
            ? 'its "Listening on <host>:<port>" line'
            : 'no "Listening on <host>:<port>" line',
      ),
      { cause: error },
    );
  }
  return Object.assign(program, { host: match[1]!, port: Number(match[2]) });
}

/** Runs a program to completion (killed after `timeoutMs`) and returns its result. */
export async function runProgram(
  file: string,
  args: readonly string[] = [],
  options: StartOptions = {},
): Promise<ProgramResult> {
  const program = startProgram(file, args, { timeoutMs: LINE_TIMEOUT_MS, ...options });
  return program.finished;
}

/** Stops every program still running; test/setup.ts calls it after each test. */
export async function stopAllPrograms(): Promise<void> {
  await Promise.all([...running].map((program) => program.stop()));
}

/** Formats results for an assertion message, so a failure shows what each program printed. */
export function outputOf(...programs: Array<RunningProgram | ProgramResult>): string {
  return (
    '\n' +
    programs
      .map((program) =>
        program instanceof RunningProgram ? program.transcript() : program.transcript,
      )
      .join('\n')
  );
}

/** Text made safe to put inside a RegExp, e.g. an address such as `127.0.0.1:5000`. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** How many file descriptors a process has open (Linux, from /proc): each socket is one. */
export async function openFileDescriptors(pid: number): Promise<number> {
  return (await readdir(`/proc/${pid}/fd`)).length;
}

/** Polls `condition` until it holds or `timeoutMs` passes: a bounded wait for a state, not a fixed delay. */
export async function waitUntil(
  condition: () => Promise<boolean> | boolean,
  timeoutMs = 15_000,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

// The harness every check uses: it starts lesson programs with execa, collects
// their output line by line, waits for lines (never for fixed delays), and always
// stops what it started. Failures carry each program's own output.
// It does not import vitest, so the site generator can use it to capture transcripts.
//
// What a spec writer needs to know:
// - Which lesson a check concerns: its describe title (or its own title) starts
//   with `lesson NN:`. `npm run check -- NN` runs every such check, wherever it
//   lives: test/NN-slug.test.ts, and any other test file whose header has the
//   line `// @lesson-checks` (test/errors.test.ts, hostile.test.ts, load.test.ts).
//   A new lesson's spec holds its own share; a cross-lesson file puts each
//   lesson's checks in a `describe('lesson NN: ...')` block.
// - Every assertion names what the programs printed: `expect(x, outputOf(a, b))`.
//   Name the program the assertion is about first. Under `npm test` outputOf
//   returns their transcripts as text; under `npm run check` it returns '' and
//   the transcripts travel as data (test/transcript.ts, vitest's task meta) to
//   the learner's report, the ones named last by outputOf (or by a harness
//   error) first, then the check's other programs, most recent first.
// - Output is bounded: each stream keeps its first HEAD_LINES and last TAIL_LINES
//   lines (test/transcript.ts), each clipped to MAX_LINE_CHARS. `stdoutLines` is
//   complete below that; `waitForLine({ from })` counts every line printed.
// - Each program runs in its own process group, with WORKBOOK_PROGRAM in its
//   environment. When it exits, is stopped, times out, or the test process is
//   interrupted, its group and every descendant are killed: nothing a program
//   starts outlives the check (test/process-tree.ts).
// - `transcript()` and `ProgramResult.transcript` are a Transcript (data), not text.

import { readdir } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { execa, type ResultPromise } from 'execa';
import { compiledProgram } from './compiled-programs.ts';
import { ROOT } from './paths.ts';
import {
  descendantsOf,
  killMarked,
  PROGRAM_MARKER,
  signalGroup,
  signalProcesses,
  type ProcessRef,
} from './process-tree.ts';
import { LineStore, transcriptText, type Transcript } from './transcript.ts';

export { escapeRegExp, ROOT } from './paths.ts';
export { lessonDir, programPath } from './lesson-paths.ts';
export type { Transcript } from './transcript.ts';
export { HEAD_LINES, MAX_LINE_CHARS, TAIL_LINES } from './transcript.ts';
const TSX_LOADER = import.meta.resolve('tsx');
/** Loaded into every program: `.test` and `.invalid` names resolve locally (see the file). */
const NAMES_PRELOAD = pathToFileURL(path.join(ROOT, 'test', 'preload', 'fake-hosts.js')).href;
/**
 * The Node that runs the lesson programs: this one, or WORKBOOK_PROGRAM_NODE
 * (`npm run test:lessons -- --node PATH`), which then runs each .ts file as plain
 * `node file.ts`, with Node's own type stripping, as a learner on Node >= 22.18 does.
 */
const PROGRAM_NODE = process.env.WORKBOOK_PROGRAM_NODE ?? process.execPath;

// The harness runs each program compiled to JavaScript (test/compiled-programs.ts),
// four times cheaper to start than under tsx. WORKBOOK_RUN_WITH_TSX=1 runs the .ts
// files through tsx instead, and a program that does not compile runs under tsx
// too, so its own error message is what the check shows.
function commandFor(file: string): string[] {
  if (process.env.WORKBOOK_PROGRAM_NODE !== undefined) return [file];
  if (process.env.WORKBOOK_RUN_WITH_TSX === '1' || !file.endsWith('.ts'))
    return ['--import', TSX_LOADER, file];
  const compiled = compiledProgram(file);
  return compiled === undefined
    ? ['--import', TSX_LOADER, file]
    : ['--enable-source-maps', compiled];
}

/** How long to wait for a line before failing; generous, since CI machines can be slow. */
export const LINE_TIMEOUT_MS = 10_000;
/** How long a program has to exit after SIGTERM before the harness kills it. */
const STOP_GRACE_MS = 2_000;
/** How long output may keep arriving after a program exited (the pipe drains). */
const DRAIN_MS = 2_000;

export interface ProgramResult {
  name: string;
  exitCode: number | undefined;
  signal: string | undefined;
  stdoutLines: string[];
  stderrLines: string[];
  /** The program's output and exit status, as data. */
  transcript: Transcript;
}

export interface StartOptions {
  /**
   * Bytes or text written to the program's stdin, which is then closed; or a
   * stream (e.g. a PassThrough) piped to its stdin, closed when the stream ends.
   */
  input?: string | Uint8Array | Readable;
  /** Kill the program if it runs longer than this (it then fails with its output). */
  timeoutMs?: number;
  /** Extra environment variables for the program (the checks' own, e.g. NODE_OPTIONS). */
  env?: Readonly<Record<string, string>>;
}

/**
 * Under `npm run check` (WORKBOOK_CHECKER=1) transcripts travel as data, so
 * failure messages do not repeat them as text.
 */
const TRANSCRIPTS_AS_DATA = process.env.WORKBOOK_CHECKER === '1';

/** One id for a whole run (set by test/global-setup.ts or `npm run check`), so leftovers can be found. */
const RUN_ID = process.env.WORKBOOK_RUN_ID ?? `solo-${process.pid}`;
/** The marker value every program started here carries: `<run>:<this process>:<n>`. */
const MARKER_PREFIX = `${RUN_ID}:${process.pid}:`;

const running = new Set<RunningProgram>();
/** Every program started in this test process, in order, so a failed check can show what they printed. */
const started: RunningProgram[] = [];
/** The programs the last outputOf() call or harness error named: what a failure is about. */
let named: RunningProgram[] = [];
/** Every program named since markCheck(): the others are added to a failure message. */
const namedSinceMark = new Set<RunningProgram>();
const resultOwner = new WeakMap<ProgramResult, RunningProgram>();

export function startedCount(): number {
  return started.length;
}

export function startedSince(mark: number): RunningProgram[] {
  return started.slice(mark);
}

/** Called before each check (test/setup.ts): forgets which programs earlier checks named. */
export function markCheck(): number {
  named = [];
  namedSinceMark.clear();
  return started.length;
}

function noteNamed(programs: RunningProgram[]): void {
  named = programs;
  for (const program of programs) namedSinceMark.add(program);
}

/**
 * The transcripts of a failed check, started since `mark`: the programs the
 * failure named first, then the check's other programs, most recent first.
 */
export function failureTranscripts(mark: number): Transcript[] {
  const since = startedSince(mark);
  const first = named.filter((program) => since.includes(program));
  const rest = since.filter((program) => !first.includes(program)).reverse();
  return [...first, ...rest].map((program) => program.transcript());
}

/** The programs started since `mark` that no failure message has shown yet. */
export function unnamedSince(mark: number): RunningProgram[] {
  return startedSince(mark).filter((program) => !namedSinceMark.has(program));
}

type Ending =
  { by: 'itself' } | { by: 'stop' } | { by: 'cleanup' } | { by: 'timeout'; afterMs: number };

export class RunningProgram {
  readonly name: string;
  readonly command: string;
  readonly finished: Promise<ProgramResult>;
  private readonly stdoutStore = new LineStore();
  private readonly stderrStore = new LineStore();
  private readonly subprocess: ResultPromise;
  private readonly marker: string;
  /** Exit code and signal once the process has exited (its output may still be draining). */
  private exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  /** True once it exited and its output was read: `finished` has resolved. */
  private settled = false;
  private ending: Ending = { by: 'itself' };
  private descendants: ProcessRef[] = [];
  private killTimer: NodeJS.Timeout | undefined;
  private timeoutTimer: NodeJS.Timeout | undefined;
  private readonly lineListeners = new Set<() => void>();

  constructor(file: string, args: readonly string[], options: StartOptions = {}) {
    this.name = path.basename(file);
    this.command = [this.name, ...args].join(' ');
    this.marker = `${MARKER_PREFIX}${started.length}`;
    this.subprocess = execa(
      PROGRAM_NODE,
      ['--import', NAMES_PRELOAD, ...commandFor(file), ...args],
      {
        cwd: ROOT,
        reject: false,
        buffer: false,
        input: options.input,
        stdin: options.input === undefined ? 'ignore' : undefined,
        // Its own process group: one kill reaches the program and the children it keeps there.
        detached: true,
        cleanup: false,
        env: {
          // Node reads this whole file of certificates at every start (about 40 ms
          // of CPU here, a third of a program's start); no lesson program uses TLS.
          NODE_EXTRA_CA_CERTS: undefined,
          NO_COLOR: '1',
          FORCE_COLOR: '0',
          WORKBOOK_RUN_ID: RUN_ID,
          [PROGRAM_MARKER]: this.marker,
          ...options.env,
        },
      },
    );
    running.add(this);
    started.push(this);
    const exited = new Promise<void>((resolve) => {
      this.subprocess.once('exit', (code, signal) => {
        this.exit = { code, signal };
        resolve();
      });
      // A program that could not even be spawned never emits 'exit'.
      void this.subprocess.then((result) => {
        this.exit ??= {
          code: result.exitCode ?? null,
          signal: result.signal ?? null,
        };
        resolve();
      });
    });
    const reading = Promise.all([
      this.readLines('stdout', this.stdoutStore),
      this.readLines('stderr', this.stderrStore),
    ]);
    if (options.timeoutMs !== undefined) {
      const afterMs = options.timeoutMs;
      this.timeoutTimer = setTimeout(() => this.terminate({ by: 'timeout', afterMs }), afterMs);
    }
    this.finished = this.settle(exited, reading);
  }

  private async readLines(from: 'stdout' | 'stderr', store: LineStore): Promise<void> {
    try {
      for await (const line of this.subprocess.iterable({ from })) {
        store.add(typeof line === 'string' ? line : Buffer.from(line).toString('utf8'));
        this.notify();
      }
    } catch {
      // The stream was destroyed (see settle): what arrived is kept.
    }
  }

  /** The program exited: kill what it left behind, let its output drain, then resolve `finished`. */
  private async settle(exited: Promise<void>, reading: Promise<unknown>): Promise<ProgramResult> {
    await exited;
    clearTimeout(this.timeoutTimer);
    clearTimeout(this.killTimer);
    this.killLeftovers();
    // Output written before the exit is still in the pipe; a process outside our
    // reach that holds the pipe open must not keep the check waiting.
    let drainTimer: NodeJS.Timeout | undefined;
    const drained = await Promise.race([
      reading.then(() => true),
      new Promise<false>((resolve) => {
        drainTimer = setTimeout(() => resolve(false), DRAIN_MS);
      }),
    ]);
    clearTimeout(drainTimer);
    if (!drained) {
      killMarked(PROGRAM_MARKER, this.marker);
      this.subprocess.stdout?.destroy();
      this.subprocess.stderr?.destroy();
      await reading;
    }
    this.stdoutStore.compact();
    this.stderrStore.compact();
    this.settled = true;
    running.delete(this);
    this.notify();
    return {
      name: this.name,
      exitCode: this.exit?.code ?? undefined,
      signal: this.exit?.signal ?? undefined,
      stdoutLines: this.stdoutLines,
      stderrLines: this.stderrLines,
      transcript: this.transcript(),
    };
  }

  /** Kills the program's group and every descendant found while it ran. */
  private killLeftovers(): void {
    const pid = this.subprocess.pid;
    if (pid === undefined) return;
    if (this.exit === undefined) this.descendants.push(...descendantsOf(pid));
    signalGroup(pid, 'SIGKILL');
    signalProcesses(this.descendants, 'SIGKILL');
  }

  /** SIGTERM now, and SIGKILL for the program and its descendants if it has not exited in time. */
  private terminate(ending: Ending): void {
    if (this.exit !== undefined) return;
    if (this.ending.by === 'itself') this.ending = ending;
    const pid = this.subprocess.pid;
    // Found now, while they are still its children: a detached one leaves the group.
    if (pid !== undefined) this.descendants.push(...descendantsOf(pid));
    this.subprocess.kill('SIGTERM');
    this.killTimer ??= setTimeout(() => this.killLeftovers(), STOP_GRACE_MS);
  }

  /** Kills the program and everything it started at once (the test process is being interrupted). */
  killNow(): void {
    if (this.exit !== undefined) return;
    this.killLeftovers();
  }

  private notify(): void {
    for (const listener of this.lineListeners) listener();
  }

  get pid(): number | undefined {
    return this.subprocess.pid;
  }

  /** What the program printed on stdout, line by line (see HEAD_LINES for long output). */
  get stdoutLines(): string[] {
    return this.stdoutStore.lines;
  }

  get stderrLines(): string[] {
    return this.stderrStore.lines;
  }

  get stdout(): string {
    return this.stdoutLines.join('\n');
  }

  /** How the program ended, in words, e.g. `exit code 1` or `still running`. */
  private status(): string {
    if (this.exit === undefined) return 'still running';
    const { code, signal } = this.exit;
    const how = signal !== null ? `killed by ${signal}` : `exit code ${code ?? 'none'}`;
    switch (this.ending.by) {
      case 'itself':
        return how;
      case 'stop':
        return `stopped by the check: ${how}`;
      case 'cleanup':
        return `still running when the check ended, then stopped: ${how}`;
      case 'timeout':
        return `still running after ${this.ending.afterMs} ms, so the check stopped it: ${how}`;
    }
  }

  /** Everything the program printed so far, with its status, as data. */
  transcript(): Transcript {
    const stdout = this.stdoutStore.snapshot();
    const stderr = this.stderrStore.snapshot();
    const cut = {
      ...(stdout.cut && { stdout: stdout.cut }),
      ...(stderr.cut && { stderr: stderr.cut }),
    };
    return {
      command: this.command,
      status: this.status(),
      stdout: stdout.lines,
      stderr: stderr.lines,
      ...(Object.keys(cut).length > 0 && { cut }),
    };
  }

  /** An error about this program: its transcript is shown with it. */
  private failure(message: string): Error {
    noteNamed([this]);
    return new Error(
      TRANSCRIPTS_AS_DATA ? message : `${message}\n${transcriptText(this.transcript())}`,
    );
  }

  /**
   * Waits until stdout has a line matching `pattern` (searching from line `from`,
   * counting every line printed) and returns the match. Fails with the program's
   * output if the program exits first or nothing matches within the timeout.
   */
  waitForLine(
    pattern: RegExp,
    options: { timeoutMs?: number; from?: number } = {},
  ): Promise<RegExpMatchArray> {
    const timeoutMs = options.timeoutMs ?? LINE_TIMEOUT_MS;
    let searchedUpTo = options.from ?? 0;
    return new Promise((resolve, reject) => {
      const check = () => {
        for (; searchedUpTo < this.stdoutStore.total; searchedUpTo++) {
          const line = this.stdoutStore.at(searchedUpTo);
          const match = line?.match(pattern);
          if (match) return finish(() => resolve(match));
        }
        if (this.settled) {
          finish(() =>
            reject(this.failure(`${this.name} exited before printing a line matching ${pattern}`)),
          );
        }
      };
      const timer = setTimeout(() => {
        finish(() =>
          reject(
            this.failure(`${this.name} printed no line matching ${pattern} within ${timeoutMs} ms`),
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

  /** Sends a signal to the program (SIGINT is Ctrl-C) without waiting. */
  signal(signal: NodeJS.Signals): void {
    if (this.exit === undefined) this.subprocess.kill(signal);
  }

  /** Waits for the program to exit by itself, failing with its output after `timeoutMs`. */
  async waitForExit(timeoutMs = LINE_TIMEOUT_MS): Promise<ProgramResult> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(this.failure(`${this.name} did not exit within ${timeoutMs} ms`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.finished, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Stops the program (SIGTERM, then SIGKILL for it and everything it started if
   * it lingers) and returns its result.
   */
  async stop(): Promise<ProgramResult> {
    this.terminate({ by: 'stop' });
    return this.finished;
  }

  /** Stops the program after its check (test/setup.ts). */
  async stopAfterCheck(): Promise<ProgramResult> {
    this.terminate({ by: 'cleanup' });
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
  return Object.assign(program, { host: match[1] ?? host, port: Number(match[2]) });
}

/** Runs a program to completion (killed after `timeoutMs`) and returns its result. */
export async function runProgram(
  file: string,
  args: readonly string[] = [],
  options: StartOptions = {},
): Promise<ProgramResult> {
  const program = startProgram(file, args, { timeoutMs: LINE_TIMEOUT_MS, ...options });
  const result = await program.finished;
  resultOwner.set(result, program);
  return result;
}

/** Stops every program still running; test/setup.ts calls it after each test. */
export async function stopAllPrograms(): Promise<void> {
  await Promise.all([...running].map((program) => program.stopAfterCheck()));
}

/**
 * Kills whatever the programs started in this process left running, found by
 * the marker in their environment (a detached grandchild, say). test/setup.ts
 * calls it after each test file; it reads /proc, so not after every check.
 */
export function killLeftovers(): number {
  if (process.platform !== 'linux') return 0;
  return killMarked(PROGRAM_MARKER, MARKER_PREFIX);
}

/**
 * The programs' output for an assertion message, so a failure shows what each
 * program printed. Name the program the assertion is about first.
 */
export function outputOf(...programs: Array<RunningProgram | ProgramResult>): string {
  const owners = programs.flatMap((program) => {
    const owner = program instanceof RunningProgram ? program : resultOwner.get(program);
    return owner === undefined ? [] : [owner];
  });
  noteNamed(owners);
  if (TRANSCRIPTS_AS_DATA) return '';
  return (
    '\n' +
    programs
      .map((program) =>
        transcriptText(
          program instanceof RunningProgram ? program.transcript() : program.transcript,
        ),
      )
      .join('\n')
  );
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

// The test process itself being interrupted (Ctrl-C on `npm run check`, or the
// runner ending a worker) must not leave programs behind: their groups are
// outside the terminal's reach, so they are killed here, then the signal does
// what it would have done.
function killAllNow(): void {
  for (const program of running) program.killNow();
}
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  const onSignal = () => {
    killAllNow();
    process.removeListener(signal, onSignal);
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  process.on(signal, onSignal);
}
process.on('exit', killAllNow);

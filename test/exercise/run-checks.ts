// Runs lesson specs in a vitest child process and collects what each check did,
// through test/exercise/reporter.ts. The specs are the very files `npm test`
// runs; WORKBOOK_LESSON_DIRS points them at other copies of the lessons.

import path from 'node:path';
import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { ROOT } from '../paths.ts';
import { killMarked, PROGRAM_MARKER } from '../process-tree.ts';
import { EVENT_PREFIX, type CheckError, type CheckEvent, type TestOutcome } from './events.ts';

const VITEST = path.join(
  path.dirname(createRequire(import.meta.url).resolve('vitest/package.json')),
  'vitest.mjs',
);
const REPORTER = path.join(ROOT, 'test', 'exercise', 'reporter.ts');
export const DEFAULT_CONFIG = path.join(ROOT, 'test', 'vitest.config.ts');

export interface RunOptions {
  /** Spec files to run (absolute, or relative to the repository). */
  files: string[];
  /** Lesson id to folder, passed to the specs as WORKBOOK_LESSON_DIRS. */
  lessonDirs?: Record<string, string>;
  config?: string;
  /** Extra environment for the child (the authoring config reads its plan from here). */
  env?: Record<string, string>;
  /** Called for each event as it arrives, e.g. to print progress. */
  onEvent?: (event: CheckEvent) => void;
  /** Lets the caller stop the run (e.g. --watch restarting on a save). */
  signal?: AbortSignal;
  /** Run only the checks whose full name matches (vitest's --testNamePattern). */
  testNamePattern?: string;
}

export interface ModuleResult {
  project: string;
  file: string;
  tests: TestOutcome[];
  /** Errors outside any test, e.g. a spec that failed to load. */
  errors: CheckError[];
}

export interface RunResult {
  modules: ModuleResult[];
  /** Errors vitest could not tie to a test. */
  unhandled: CheckError[];
  exitCode: number | undefined;
  /** Whatever the child printed besides events: shown when vitest itself failed. */
  otherOutput: string;
  /** True when the run was stopped through `signal`. */
  aborted: boolean;
}

/** Lines of the child's other output kept (the last ones), each clipped: enough to say why vitest failed. */
const OTHER_LINES = 200;
const OTHER_LINE_CHARS = 1_000;

/** An event line read back; undefined (with the reason in `problems`) when it is malformed. */
export function parseEvent(line: string): CheckEvent | undefined {
  try {
    const event = JSON.parse(line.slice(EVENT_PREFIX.length)) as unknown;
    if (typeof event !== 'object' || event === null || !('type' in event)) return undefined;
    return event as CheckEvent;
  } catch {
    return undefined;
  }
}

/** The runs going on now, so an interrupted checker can kill what their programs left. */
const activeRuns = new Set<string>();
let runs = 0;

/** Kills every program (and everything it started) of the runs going on now: for Ctrl-C. */
export function killRunPrograms(): void {
  for (const runId of activeRuns) killMarked(PROGRAM_MARKER, `${runId}:`);
}

export async function runChecks(options: RunOptions): Promise<RunResult> {
  const runId = `check-${process.pid}-${(runs += 1)}`;
  activeRuns.add(runId);
  try {
    return await runVitest(options, runId);
  } finally {
    // Whatever the checks' programs left running (a worker killed mid-check, say).
    killMarked(PROGRAM_MARKER, `${runId}:`);
    activeRuns.delete(runId);
  }
}

async function runVitest(options: RunOptions, runId: string): Promise<RunResult> {
  const modules: ModuleResult[] = [];
  const unhandled: CheckError[] = [];
  const other: string[] = [];
  const keep = (line: string) => {
    if (line.trim() === '') return;
    other.push(line.length > OTHER_LINE_CHARS ? `${line.slice(0, OTHER_LINE_CHARS)}…` : line);
    if (other.length > OTHER_LINES) other.shift();
  };
  const handleLine = (line: string) => {
    if (!line.startsWith(EVENT_PREFIX)) return keep(line);
    const event = parseEvent(line);
    if (event === undefined) {
      keep(`(a result from the checks could not be read: ${line.length} characters)`);
      return;
    }
    if (event.type === 'module')
      modules.push({
        project: event.project,
        file: event.file,
        tests: event.tests,
        errors: event.errors,
      });
    if (event.type === 'end') unhandled.push(...event.errors);
    options.onEvent?.(event);
  };
  // node:child_process and node:readline, not execa: the learner's command starts
  // faster without it (execa takes longer to load than this whole module).
  const child = spawn(
    process.execPath,
    [
      VITEST,
      'run',
      '--config',
      options.config ?? DEFAULT_CONFIG,
      `--reporter=${REPORTER}`,
      ...(options.testNamePattern === undefined
        ? []
        : [`--testNamePattern=${options.testNamePattern}`]),
      ...options.files,
    ],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      signal: options.signal,
      env: {
        ...process.env,
        WORKBOOK_LESSON_DIRS: JSON.stringify(options.lessonDirs ?? {}),
        WORKBOOK_CHECKER: '1',
        WORKBOOK_RUN_ID: runId,
        NO_COLOR: '1',
        FORCE_COLOR: '0',
        ...options.env,
      },
    },
  );
  const exited = new Promise<number | undefined>((resolve) => {
    child.once('close', (code) => resolve(code ?? undefined));
    child.once('error', () => resolve(undefined));
  });
  const read = async (stream: NodeJS.ReadableStream, onLine: (line: string) => void) => {
    for await (const line of createInterface({ input: stream, crlfDelay: Infinity })) onLine(line);
  };
  await Promise.all([
    read(child.stdout, handleLine).catch(() => {}),
    read(child.stderr, keep).catch(() => {}),
  ]);
  const exitCode = await exited;
  return {
    modules,
    unhandled,
    exitCode,
    otherOutput: other.join('\n'),
    aborted: options.signal?.aborted === true,
  };
}

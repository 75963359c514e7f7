// Runs lesson specs in a vitest child process and collects what each check did,
// through test/exercise/reporter.ts. The specs are the very files `npm test`
// runs; WORKBOOK_LESSON_DIRS points them at other copies of the lessons.

import path from 'node:path';
import { createRequire } from 'node:module';
import { execa } from 'execa';
import { ROOT } from '../harness.ts';
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

export async function runChecks(options: RunOptions): Promise<RunResult> {
  const modules: ModuleResult[] = [];
  const unhandled: CheckError[] = [];
  const other: string[] = [];
  const child = execa(
    process.execPath,
    [
      VITEST,
      'run',
      '--config',
      options.config ?? DEFAULT_CONFIG,
      `--reporter=${REPORTER}`,
      ...options.files,
    ],
    {
      cwd: ROOT,
      reject: false,
      all: false,
      cancelSignal: options.signal,
      env: {
        WORKBOOK_LESSON_DIRS: JSON.stringify(options.lessonDirs ?? {}),
        NO_COLOR: '1',
        FORCE_COLOR: '0',
        ...options.env,
      },
    },
  );
  let pending = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    const parts = (pending + chunk).split('\n');
    pending = parts.pop() ?? '';
    for (const line of parts) handleLine(line);
  });
  const handleLine = (line: string) => {
    if (!line.startsWith(EVENT_PREFIX)) {
      if (line.trim() !== '') other.push(line);
      return;
    }
    const event = JSON.parse(line.slice(EVENT_PREFIX.length)) as CheckEvent;
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
  const result = await child;
  if (pending !== '') handleLine(pending);
  if (result.stderr)
    other.push(
      ...String(result.stderr)
        .split('\n')
        .filter((line) => line.trim() !== ''),
    );
  return {
    modules,
    unhandled,
    exitCode: result.exitCode,
    otherOutput: other.join('\n'),
    aborted: result.isCanceled === true,
  };
}

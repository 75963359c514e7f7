// What test/exercise/reporter.ts sends from the vitest child to the exercise tools.

export const EVENT_PREFIX = '@@workbook-event ';

export interface CheckError {
  message: string;
  name?: string;
  /** vitest's expected/received diff, when the assertion compared two values. */
  diff?: string;
  expected?: string;
  actual?: string;
  stack?: string;
}

export interface TestOutcome {
  /** The test's own title, e.g. `the client gets "Hello, world" echoed back and exits 0`. */
  name: string;
  /** With its describe blocks, joined by ` > `. */
  fullName: string;
  state: 'passed' | 'failed' | 'skipped' | 'pending';
  errors: CheckError[];
  durationMs?: number;
}

export type CheckEvent =
  | { type: 'test'; project: string; file: string; test: TestOutcome }
  | { type: 'module'; project: string; file: string; tests: TestOutcome[]; errors: CheckError[] }
  | { type: 'end'; errors: CheckError[] };

// What test/exercise/reporter.ts sends from the vitest child to the exercise tools:
// one JSON event per line, each at most MAX_EVENT_CHARS long.

import type { Transcript } from '../transcript.ts';

export const EVENT_PREFIX = '@@workbook-event ';
/** No event line is longer than this; the reporter shortens what it carries to fit. */
export const MAX_EVENT_CHARS = 1_000_000;

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
  /** The spec file it is in (absolute). */
  file?: string;
  /** What its programs printed, when it failed: the ones the failure is about first. */
  transcripts?: Transcript[];
}

export type CheckEvent =
  | { type: 'test'; project: string; file: string; test: TestOutcome }
  | { type: 'module'; project: string; file: string; tests: TestOutcome[]; errors: CheckError[] }
  | { type: 'end'; errors: CheckError[] };

// A vitest reporter for the exercise tools: one JSON event per line on stdout,
// prefixed so the parent (test/exercise/run-checks.ts) can tell them from
// anything else. Loaded by vitest with `--reporter=<this file>`. What an event
// carries is bounded (MAX_EVENT_CHARS): a program that prints megabytes, or a
// comparison of huge values, makes it shorter, never a line the parent cannot read.

import type { Reporter, SerializedError, TestCase, TestModule } from 'vitest/node';
import { shortenTranscript, type Transcript } from '../transcript.ts';
import {
  EVENT_PREFIX,
  MAX_EVENT_CHARS,
  type CheckError,
  type CheckEvent,
  type TestOutcome,
} from './events.ts';

/** How much of each error field an event carries, first at most, then when that is still too big. */
const TEXT_LIMITS = [20_000, 2_000];
const MAX_TRANSCRIPTS = 12;

/** Text of at most `limit` characters: its start and its end, saying how much was left out. */
export function clipText(text: string | undefined, limit: number): string | undefined {
  if (text === undefined || text.length <= limit) return text;
  const tail = Math.floor(limit / 4);
  const head = limit - tail;
  return `${text.slice(0, head)}\n… (${text.length - head - tail} characters left out) …\n${text.slice(-tail)}`;
}

function toCheckError(
  error: SerializedError & { diff?: unknown; expected?: unknown; actual?: unknown },
  limit: number,
): CheckError {
  const text = (value: unknown) =>
    clipText(
      typeof value === 'string' ? value : value === undefined ? undefined : JSON.stringify(value),
      limit,
    );
  return {
    message: text(error.message) ?? '',
    name: text(error.name),
    diff: text(error.diff),
    expected: text(error.expected),
    actual: text(error.actual),
    stack: text(error.stack),
  };
}

function outcome(test: TestCase, limit: number, transcriptLines: number): TestOutcome {
  const result = test.result();
  const transcripts: Transcript[] | undefined = test.meta().transcripts;
  return {
    name: test.name,
    fullName: test.fullName,
    state: result.state,
    errors: (result.errors ?? []).map((error) => toCheckError(error, limit)),
    durationMs: test.diagnostic()?.duration,
    file: test.module.moduleId,
    ...(transcripts !== undefined &&
      transcriptLines > 0 && {
        transcripts: transcripts
          .slice(0, MAX_TRANSCRIPTS)
          .map((transcript) =>
            shortenTranscript(transcript, transcriptLines, Math.ceil(transcriptLines / 2)),
          ),
      }),
  };
}

/** The event as one line, made smaller step by step until it fits. */
function encode(make: (limit: number, transcriptLines: number) => CheckEvent): string {
  for (const [limit, lines] of [
    [TEXT_LIMITS[0] ?? 20_000, 200],
    [TEXT_LIMITS[1] ?? 2_000, 40],
    [500, 0],
  ] as const) {
    const line = JSON.stringify(make(limit, lines));
    if (line.length <= MAX_EVENT_CHARS) return line;
  }
  return JSON.stringify(make(200, 0)).slice(0, MAX_EVENT_CHARS);
}

function emit(make: (limit: number, transcriptLines: number) => CheckEvent): void {
  process.stdout.write(`${EVENT_PREFIX}${encode(make)}\n`);
}

export default class ExerciseReporter implements Reporter {
  onTestCaseResult(test: TestCase): void {
    emit((limit, lines) => ({
      type: 'test',
      project: test.project.name,
      file: test.module.moduleId,
      test: outcome(test, limit, lines),
    }));
  }

  onTestModuleEnd(module: TestModule): void {
    emit((limit, lines) => ({
      type: 'module',
      project: module.project.name,
      file: module.moduleId,
      tests: [...module.children.allTests()].map((test) => outcome(test, limit, lines)),
      errors: module.errors().map((error) => toCheckError(error, limit)),
    }));
  }

  onTestRunEnd(
    _modules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
  ): void {
    emit((limit) => ({
      type: 'end',
      errors: unhandledErrors.map((error) => toCheckError(error, limit)),
    }));
  }
}

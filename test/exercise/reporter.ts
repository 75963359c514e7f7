// A vitest reporter for the exercise tools: one JSON event per line on stdout,
// prefixed so the parent (test/exercise/run-checks.ts) can tell them from
// anything else. Loaded by vitest with `--reporter=<this file>`.

import type { Reporter, SerializedError, TestCase, TestModule } from 'vitest/node';
import { EVENT_PREFIX, type CheckError, type CheckEvent, type TestOutcome } from './events.ts';

function toCheckError(
  error: SerializedError & { diff?: string; expected?: string; actual?: string },
): CheckError {
  return {
    message: error.message,
    name: error.name,
    diff: error.diff,
    expected: error.expected,
    actual: error.actual,
    stack: error.stack,
  };
}

function outcome(test: TestCase): TestOutcome {
  const result = test.result();
  return {
    name: test.name,
    fullName: test.fullName,
    state: result.state,
    errors: (result.errors ?? []).map(toCheckError),
    durationMs: test.diagnostic()?.duration,
  };
}

function emit(event: CheckEvent): void {
  process.stdout.write(`${EVENT_PREFIX}${JSON.stringify(event)}\n`);
}

export default class ExerciseReporter implements Reporter {
  onTestCaseResult(test: TestCase): void {
    emit({
      type: 'test',
      project: test.project.name,
      file: test.module.moduleId,
      test: outcome(test),
    });
  }

  onTestModuleEnd(module: TestModule): void {
    emit({
      type: 'module',
      project: module.project.name,
      file: module.moduleId,
      tests: [...module.children.allTests()].map(outcome),
      errors: module.errors().map(toCheckError),
    });
  }

  onTestRunEnd(
    _modules: ReadonlyArray<TestModule>,
    unhandledErrors: ReadonlyArray<SerializedError>,
  ): void {
    emit({ type: 'end', errors: unhandledErrors.map(toCheckError) });
  }
}

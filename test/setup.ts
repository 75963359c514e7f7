// Runs in every test file. Whatever a check started is stopped after it, pass
// or fail; and when a check fails in a way that does not already show what its
// programs printed (a timeout on a raw socket, say), their output is added.
import { afterEach, beforeEach } from 'vitest';
import { outputOf, startedCount, startedSince, stopAllPrograms } from './harness.ts';

beforeEach(({ onTestFailed }) => {
  const mark = startedCount();
  onTestFailed(({ task }) => {
    const error = task.result?.errors?.[0];
    if (error === undefined) return;
    const unseen = startedSince(mark).filter(
      (program) => !(error.message ?? '').includes(`--- ${program.command} (`),
    );
    if (unseen.length === 0) return;
    const addition = `\n\nWhat the programs this check started printed:${outputOf(...unseen)}`;
    error.message = `${error.message ?? ''}${addition}`;
    if (typeof error.stack === 'string') error.stack = error.stack.replace(/\n/, `${addition}\n`);
  });
});

afterEach(async () => {
  await stopAllPrograms();
});

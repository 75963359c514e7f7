// Setup for the mutation run's vitest child (test/mutation/mutation.config.ts).
// Each case file is one mutant. A mutant is killed by its first failing check,
// so every check after that is skipped; and a mutant whose checks together take
// longer than its time box fails its next check
// with TIME_BOX_MESSAGE, so one slow mutant cannot hold a worker for long.

import { beforeEach } from 'vitest';
import { BUDGET_ENV, TIME_BOX_MESSAGE } from './time-box.ts';

const failedFiles = new Set<string>();
const startedAt = new Map<string, number>();
const budgetMs = Number(process.env[BUDGET_ENV] ?? 90_000);

beforeEach((context) => {
  const file = context.task.file.filepath;
  if (failedFiles.has(file)) context.skip('an earlier check failed already');
  const started = startedAt.get(file) ?? Date.now();
  startedAt.set(file, started);
  if (Date.now() - started > budgetMs) {
    failedFiles.add(file);
    throw new Error(TIME_BOX_MESSAGE);
  }
  context.onTestFailed(() => {
    failedFiles.add(file);
  });
});

// Setup for the mutation run's vitest child (test/mutation/mutation.config.ts).
// Each case file is one mutant. A mutant is killed by its first failing check
// (failing on its retry too: see the config), so every check after that is
// skipped; and a mutant whose checks together take longer than its time box
// fails its next check with TIME_BOX_MESSAGE, so one slow mutant cannot hold a
// worker for long.

import { beforeEach } from 'vitest';
import { BUDGET_ENV, TIME_BOX_MESSAGE } from './time-box.ts';

const startedAt = new Map<string, number>();
const budgetMs = Number(process.env[BUDGET_ENV] ?? 90_000);

interface TaskLike {
  id: string;
  result?: { state?: string };
  tasks?: TaskLike[];
}

/** Whether a check of this file other than `current` has failed (for good: retries are over). */
function otherFailed(task: TaskLike, current: string): boolean {
  if (task.id !== current && task.tasks === undefined && task.result?.state === 'fail') return true;
  return (task.tasks ?? []).some((child) => otherFailed(child, current));
}

beforeEach((context) => {
  const file = context.task.file;
  if (otherFailed(file, context.task.id)) context.skip('an earlier check failed already');
  const started = startedAt.get(file.filepath) ?? Date.now();
  startedAt.set(file.filepath, started);
  if (Date.now() - started > budgetMs) throw new Error(TIME_BOX_MESSAGE);
});

// Vitest settings for a mutation run's child (see test/mutation/run.ts): one
// case file per mutant, each loading the lesson's spec against its own copy.
// Cases share a worker (isolate: false), as in the authoring check, so a mutant
// costs its checks, not a vitest start; two workers on this two-core machine.

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const cases = process.env.WORKBOOK_MUTATION_CASES;
if (cases === undefined)
  throw new Error('run by test/mutation/run.ts, which sets WORKBOOK_MUTATION_CASES');

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: [`${cases}/*.test.ts`],
    setupFiles: ['test/setup.ts', 'test/mutation/mutation-setup.ts'],
    isolate: false,
    maxWorkers: Number(process.env.WORKBOOK_MUTATION_JOBS ?? 2),
    // A check that fails on a loaded machine for want of time must not kill a
    // mutant: a mutant is killed only by a check that fails twice in a row.
    retry: 1,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});

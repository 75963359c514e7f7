// Vitest settings for the authoring check's child run (see test/exercise/authoring.ts):
// the case files in one folder, two workers that each run many of them in turn.

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const cases = process.env.WORKBOOK_AUTHORING_CASES;
if (cases === undefined)
  throw new Error('run by test/exercise/authoring.ts, which sets WORKBOOK_AUTHORING_CASES');

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    include: [`${cases}/*.test.ts`],
    setupFiles: ['test/setup.ts', 'test/exercise/authoring-setup.ts'],
    // Cases share a worker: starting one per case would cost more than most cases do.
    // Three, on two cores: most checks wait (for timeouts, slow readers) more than they compute.
    isolate: false,
    maxWorkers: 3,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});

// Vitest settings for the authoring check's child run (see test/exercise/authoring.ts):
// one project per case, each running a lesson spec against its own copy of the lesson.

import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { PLAN_ENV, type AuthoringCase } from './authoring-plan.ts';

const cases = JSON.parse(process.env[PLAN_ENV] ?? '[]') as AuthoringCase[];

export default defineConfig({
  test: {
    root: fileURLToPath(new URL('../..', import.meta.url)),
    maxWorkers: 2,
    projects: cases.map((entry) => ({
      test: {
        name: entry.project,
        include: [entry.spec],
        setupFiles: ['test/setup.ts', 'test/exercise/authoring-setup.ts'],
        env: {
          WORKBOOK_LESSON_DIRS: JSON.stringify({ [entry.lessonId]: entry.dir }),
          WORKBOOK_ONLY_TEST: entry.onlyTest ?? '',
          WORKBOOK_BAIL: entry.onlyTest === undefined ? '1' : '',
        },
        testTimeout: 30_000,
        hookTimeout: 30_000,
      },
    })),
  },
});

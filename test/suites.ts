// Which test files each suite runs: `npm test` (test/vitest.config.ts), `npm run
// test:tools` and `npm run test:site`. Plain data, so the curriculum check can
// read it without loading vitest's configs. Every test file is in exactly one.

/** Every lesson's checks: the specs and the cross-lesson checks, and the lesson data and shared code. */
export const LESSON_SUITE = [
  'test/[0-9][0-9]-*.test.ts',
  'test/errors.test.ts',
  'test/hostile.test.ts',
  'test/load.test.ts',
  'test/curriculum.test.ts',
  'test/shared.test.ts',
  'test/compiled-programs.test.ts',
  'test/exercise-format.test.ts',
  'test/exercise-regions.test.ts',
];

/** The exercise tools end to end, the authoring check, the mutation tool and the type check. */
export const TOOLS_SUITE = [
  'test/authoring.test.ts',
  'test/exercise-cli.test.ts',
  'test/exercise-processes.test.ts',
  'test/mutation.test.ts',
  'test/typecheck.test.ts',
];

/** The lesson site: its build, its server, and Chromium with axe-core. */
export const SITE_SUITE = [
  'test/site-build.test.ts',
  'test/site-server.test.ts',
  'test/site-browser.test.ts',
];

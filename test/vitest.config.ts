// Vitest settings for `npm test`: every lesson's checks (test/NN-slug.test.ts and
// the cross-lesson checks of the programs: clear errors, hostile input, load),
// with the checks of the lesson data and the shared code. The exercise tools and
// the site have suites of their own (test/vitest.tools.config.ts, `npm run
// test:tools`; test/vitest.site.config.ts, `npm run test:site`), which CI runs
// too: `npm run test:all` runs all three.
import { defineConfig } from 'vitest/config';
import EveryLessonFirst from './every-lesson-first.ts';
import { LESSON_SUITE } from './suites.ts';
import { shared } from './vitest.shared.ts';

export default defineConfig({
  test: {
    ...shared,
    include: LESSON_SUITE,
    // The test files share their worker processes, one after another. Starting a
    // fresh worker for each file costs more CPU than most lesson specs do, and the
    // specs keep no state between files: each stops what it started (test/setup.ts).
    isolate: false,
    sequence: { sequencer: EveryLessonFirst },
  },
});

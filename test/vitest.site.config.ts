// Vitest settings for `npm run test:site`: the lesson site, built once for the
// run (test/site-once.ts) and checked as files, through its server, and in
// Chromium with axe-core on every page.
import { defineConfig } from 'vitest/config';
import { SITE_SUITE } from './suites.ts';
import { shared } from './vitest.shared.ts';

export default defineConfig({
  test: {
    ...shared,
    include: SITE_SUITE,
  },
});

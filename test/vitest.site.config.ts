// Vitest settings for `npm run test:site`: the lesson site, built once for the
// run (test/site-once.ts) and checked as files, through its server, and in
// Chromium with axe-core on every page.
import { defineConfig } from 'vitest/config';
import { shared } from './vitest.shared.ts';

export default defineConfig({
  test: {
    ...shared,
    include: ['test/site-build.test.ts', 'test/site-server.test.ts', 'test/site-browser.test.ts'],
  },
});

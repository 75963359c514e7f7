// What the three test suites share (test/vitest.config.ts for `npm test`,
// test/vitest.tools.config.ts, test/vitest.site.config.ts).
import { fileURLToPath } from 'node:url';
import type { ViteUserConfig } from 'vitest/config';

export const shared = {
  root: fileURLToPath(new URL('..', import.meta.url)),
  setupFiles: ['test/setup.ts'],
  globalSetup: ['test/global-setup.ts'],
  // Under `npm run check` a comparison shows what was expected in full (chai
  // shortens values to 40 characters by default); the checker shortens what it got.
  ...(process.env.WORKBOOK_CHECKER === '1' && { chaiConfig: { truncateThreshold: 0 } }),
  // Checks start real programs; a slow machine needs some slack before a check gives up.
  testTimeout: 30_000,
  // Most of a check's time is spent waiting on sockets and child programs, not
  // computing, so three test files at a time keep two cores busy.
  maxWorkers: 3,
  hookTimeout: 30_000,
} satisfies ViteUserConfig['test'];

// The type check of the whole project (lessons, shared, tests, site), run as one
// check so it overlaps the others instead of running before them. Same as
// `npm run typecheck`; a failure shows tsc's own report.

import { createRequire } from 'node:module';
import { execa } from 'execa';
import { expect, test } from 'vitest';
import { ROOT } from './harness.ts';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

test('the whole project type-checks with tsc --noEmit (strict, erasable syntax only)', async () => {
  const result = await execa(process.execPath, [tsc, '--noEmit', '--pretty', 'false', '-p', ROOT], {
    reject: false,
    all: true,
    timeout: 120_000,
  });
  expect(result.exitCode, `tsc reported:\n${result.all}`).toBe(0);
}, 120_000);

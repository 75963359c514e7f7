// The type check of the whole project (lessons, shared, tests, site), run as one
// check so it overlaps the others instead of running before them. Same as
// `npm run typecheck`; a failure shows tsc's own report. It is incremental: tsc
// keeps what it learned in node_modules/.cache and checks again only what an
// edit can affect (about 16 s of CPU from scratch, a few seconds after that).

import { createRequire } from 'node:module';
import path from 'node:path';
import { execa } from 'execa';
import { expect, test } from 'vitest';
import { ROOT } from './harness.ts';

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');

test('the whole project type-checks with tsc --noEmit (strict, erasable syntax only)', async () => {
  const buildInfo = path.join(ROOT, 'node_modules', '.cache', 'workbook-tsc', 'tsbuildinfo');
  const flags = ['--noEmit', '--incremental', '--tsBuildInfoFile', buildInfo, '--pretty', 'false'];
  const result = await execa(process.execPath, [tsc, ...flags, '-p', ROOT], {
    reject: false,
    all: true,
    timeout: 120_000,
  });
  expect(result.exitCode, `tsc reported:\n${result.all}`).toBe(0);
}, 120_000);

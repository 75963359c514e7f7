// Setup for the authoring check's vitest child (test/exercise/authoring.config.ts):
// a project can run one check only (WORKBOOK_ONLY_TEST, its exact title), or stop
// after the first failing check (WORKBOOK_BAIL=1), so a starter or a known-bad
// variant costs one or two checks, not a whole spec.

import { beforeEach } from 'vitest';

const only = process.env.WORKBOOK_ONLY_TEST || undefined;
const bail = process.env.WORKBOOK_BAIL === '1';
let failed = false;

beforeEach((context) => {
  if (bail && failed) context.skip('an earlier check failed already');
  if (only !== undefined && context.task.name !== only) context.skip('not the check under test');
  context.onTestFailed(() => {
    failed = true;
  });
});

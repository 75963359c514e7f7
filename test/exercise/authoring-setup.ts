// Setup for the authoring check's vitest child (test/exercise/authoring.config.ts).
// Each case file sets WORKBOOK_ONLY_TEST (run just the check with that exact
// title) or WORKBOOK_BAIL=1 (stop after the first failing check) before it
// loads the spec, so a starter or a known-bad variant costs one or two checks,
// not a whole spec. Read at each test: case files share a worker.

import { beforeEach } from 'vitest';

const failedFiles = new Set<string>();

beforeEach((context) => {
  const file = context.task.file.filepath;
  const only = process.env.WORKBOOK_ONLY_TEST || undefined;
  if (process.env.WORKBOOK_BAIL === '1' && failedFiles.has(file))
    context.skip('an earlier check failed already');
  if (only !== undefined && context.task.name !== only) context.skip('not the check under test');
  context.onTestFailed(() => {
    failedFiles.add(file);
  });
});

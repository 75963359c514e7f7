// Vitest settings for `npm run test:tools`: the exercise tools end to end (`npm
// run exercise` and `npm run check` in child processes), the authoring check
// (every lesson's starter and known-bad variants must fail the checks they name),
// the mutation tool, and the type check of the whole project. Minutes, not
// seconds: each starter and variant is a run of its lesson's checks.
import { defineConfig } from 'vitest/config';
import { TOOLS_SUITE } from './suites.ts';
import { shared } from './vitest.shared.ts';

export default defineConfig({
  test: {
    ...shared,
    include: TOOLS_SUITE,
  },
});

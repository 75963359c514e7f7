// Runs once per vitest run, in the main process: gives the run an id that every
// program the harness starts carries (WORKBOOK_RUN_ID, and WORKBOOK_PROGRAM as
// `<run>:...`), and at the end kills whatever those programs left running and
// removes the run's shared site build.
import { rmSync } from 'node:fs';
import { killMarked, PROGRAM_MARKER } from './process-tree.ts';
import { sharedSiteDir } from './site-once.ts';

export default function setup(): () => void {
  process.env.WORKBOOK_RUN_ID ??= `test-${process.pid}`;
  const runId = process.env.WORKBOOK_RUN_ID;
  return () => {
    if (process.platform === 'linux') killMarked(PROGRAM_MARKER, `${runId}:`);
    // The site build the site checks shared (test/site-once.ts).
    rmSync(sharedSiteDir(runId), { recursive: true, force: true, maxRetries: 5 });
  };
}

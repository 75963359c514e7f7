// Runs once per vitest run, in the main process: gives the run an id that every
// program the harness starts carries (WORKBOOK_RUN_ID, and WORKBOOK_PROGRAM as
// `<run>:...`), compiles every lesson program once for all test processes
// (test/compiled-programs.ts), and at the end kills whatever those programs left
// running and removes the run's shared site build.
import { rmSync } from 'node:fs';
import { lessons } from '../lessons/manifest.ts';
import { compileAll } from './compiled-programs.ts';
import { programPath } from './lesson-paths.ts';
import { killMarked, PROGRAM_MARKER } from './process-tree.ts';
import { sharedSiteDir } from './site-once.ts';

export default function setup(): () => void {
  process.env.WORKBOOK_RUN_ID ??= `test-${process.pid}`;
  const runId = process.env.WORKBOOK_RUN_ID;
  // Compiled here, in one process, instead of once in every test process that starts them.
  // (Plain node and tsx runs start the .ts files themselves.)
  if (
    process.env.WORKBOOK_PROGRAM_NODE === undefined &&
    process.env.WORKBOOK_RUN_WITH_TSX !== '1'
  ) {
    try {
      compileAll(
        lessons.flatMap((lesson) =>
          lesson.programs.map((program) => programPath(lesson.id, program.file)),
        ),
      );
    } catch (error) {
      // Only a saving: each test process then compiles what it starts, and a
      // real problem (say, a malformed WORKBOOK_LESSON_DIRS) fails the checks it concerns.
      console.log(`Could not compile the lesson programs ahead: ${String(error)}`);
    }
  }
  return () => {
    if (process.platform === 'linux') killMarked(PROGRAM_MARKER, `${runId}:`);
    // The site build the site checks shared (test/site-once.ts).
    rmSync(sharedSiteDir(runId), { recursive: true, force: true, maxRetries: 5 });
  };
}

// Runs in every test file. Whatever a check started is stopped after it, pass
// or fail. When a check fails, the transcripts of its programs go with the
// result as data (task meta, read by `npm run check`'s reporter); under `npm
// test`, the output of programs the failure message does not show yet is added
// to it as text. After each file, anything the programs left running is killed.
import { afterAll, afterEach, beforeEach } from 'vitest';
import {
  failureTranscripts,
  killLeftovers,
  markCheck,
  stopAllPrograms,
  unnamedSince,
} from './harness.ts';
import { transcriptText, type Transcript } from './transcript.ts';

declare module 'vitest' {
  interface TaskMeta {
    /** What the programs of a failed check printed: the ones the failure is about first. */
    transcripts?: Transcript[];
  }
}

const asData = process.env.WORKBOOK_CHECKER === '1';
/** Where the current check's programs start in the harness's list. */
let checkMark = 0;

beforeEach(({ onTestFailed }) => {
  const mark = markCheck();
  checkMark = mark;
  if (asData) return;
  onTestFailed(({ task }) => {
    const error = task.result?.errors?.[0];
    const unseen = unnamedSince(mark);
    if (error === undefined || unseen.length === 0) return;
    const text = unseen.map((program) => transcriptText(program.transcript())).join('\n');
    const addition = `\n\nWhat the programs this check started printed:\n${text}`;
    error.message = `${error.message ?? ''}${addition}`;
    if (typeof error.stack === 'string') error.stack = error.stack.replace(/\n/, `${addition}\n`);
  });
});

afterEach(async (context) => {
  await stopAllPrograms();
  if (context.task.result?.state === 'fail')
    context.task.meta.transcripts = failureTranscripts(checkMark);
});

afterAll(() => {
  killLeftovers();
});

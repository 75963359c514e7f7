// The learner's progress, kept in .workbook-progress.json at the workbook's root
// (git-ignored): which lessons pass, and how far each exercise region's hints have gone.
// A file that is not what this module writes (hand-edited, half-written) is set
// aside as a backup beside it, with one line saying so, and progress starts over.

import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../paths.ts';

export interface LessonProgress {
  state?: 'passed' | 'failing';
  passed?: number;
  total?: number;
  /** The copy last checked. */
  dir?: string;
  checkedAt?: string;
  /**
   * How far the learner has walked through each exercise region's hints, by
   * region name: 0 none, hints.length + 1 that region's solution.
   */
  regionHints?: Record<string, number>;
  /** The old per-lesson counter, from before hints were per region: ignored, and dropped at the next hint. */
  hintsShown?: number;
}

export interface Progress {
  lessons: Record<string, LessonProgress>;
}

/** WORKBOOK_PROGRESS_FILE moves it, so the tools' own tests leave a learner's file alone. */
export function progressFile(): string {
  return process.env.WORKBOOK_PROGRESS_FILE ?? path.join(ROOT, '.workbook-progress.json');
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isCount = (value: unknown) =>
  typeof value === 'number' && Number.isInteger(value) && value >= 0;

/** What is wrong with one lesson's record, or undefined when every field has its type. */
function recordProblem(record: unknown): string | undefined {
  if (!isObject(record)) return 'is not an object';
  const { state, passed, total, dir, checkedAt, regionHints, hintsShown } = record;
  if (state !== undefined && state !== 'passed' && state !== 'failing')
    return '"state" is not "passed" or "failing"';
  for (const [name, value] of Object.entries({ passed, total, hintsShown }))
    if (value !== undefined && !isCount(value)) return `"${name}" is not a count`;
  for (const [name, value] of Object.entries({ dir, checkedAt }))
    if (value !== undefined && typeof value !== 'string') return `"${name}" is not text`;
  if (
    regionHints !== undefined &&
    (!isObject(regionHints) || !Object.values(regionHints).every(isCount))
  )
    return '"regionHints" is not a count per exercise region';
  return undefined;
}

/** What is wrong with the file's data, or undefined when it is a progress file. */
export function progressProblem(data: unknown): string | undefined {
  if (!isObject(data) || !isObject(data.lessons)) return '"lessons" is not an object';
  for (const [id, record] of Object.entries(data.lessons)) {
    const problem = recordProblem(record);
    if (problem !== undefined) return `lesson ${id}: ${problem}`;
  }
  return undefined;
}

/** Moves a broken progress file aside and says so in one line. */
function setAside(file: string, why: string): void {
  const backup = `${file}.broken-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  try {
    renameSync(file, backup);
    console.error(
      `Note: ${path.basename(file)} could not be read (${why}); it was kept as ${path.basename(backup)} and your progress starts over.`,
    );
  } catch (error) {
    console.error(
      `Note: ${path.basename(file)} could not be read (${why}) nor moved aside (${(error as Error).message}); your progress starts over.`,
    );
  }
}

export function readProgress(): Progress {
  const file = progressFile();
  if (!existsSync(file)) return { lessons: {} };
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    const why = error instanceof SyntaxError ? 'it is not valid JSON' : (error as Error).message;
    setAside(file, why);
    return { lessons: {} };
  }
  const problem = progressProblem(data);
  if (problem !== undefined) {
    setAside(file, problem);
    return { lessons: {} };
  }
  return data as Progress;
}

function writeProgress(progress: Progress): void {
  writeFileSync(progressFile(), `${JSON.stringify(progress, null, 2)}\n`);
}

export function updateLesson(id: string, change: LessonProgress): LessonProgress {
  const progress = readProgress();
  const updated = { ...progress.lessons[id], ...change };
  progress.lessons[id] = updated;
  writeProgress(progress);
  return updated;
}

/** Forgets a lesson's progress and hint counters (`npm run exercise -- NN --force`). */
export function resetLesson(id: string): void {
  const progress = readProgress();
  if (!Object.hasOwn(progress.lessons, id)) return;
  delete progress.lessons[id];
  writeProgress(progress);
}

/** How many hints of `region` the learner has seen. */
export function regionHintsShown(record: LessonProgress | undefined, region: string): number {
  return record?.regionHints?.[region] ?? 0;
}

/** Records how far `region`'s hints have gone, keeping the other regions' counts. */
export function updateRegionHints(id: string, region: string, shown: number): LessonProgress {
  const counts = readProgress().lessons[id]?.regionHints ?? {};
  return updateLesson(id, { regionHints: { ...counts, [region]: shown }, hintsShown: undefined });
}

export type HintStep =
  { kind: 'hint'; index: number; total: number } | { kind: 'solution' } | { kind: 'none' };

/**
 * Which hint of one exercise region a failing run shows. A failing run shows the
 * hint the learner has reached (the first one the first time); `--hint` moves
 * one step on, and the step after the last hint is that region's reference solution.
 */
export function nextHintStep(
  hintsShown: number,
  total: number,
  advance: boolean,
): { step: HintStep; hintsShown: number } {
  if (total === 0) return { step: { kind: 'none' }, hintsShown };
  const reached = advance ? hintsShown + 1 : Math.max(hintsShown, 1);
  if (reached > total) return { step: { kind: 'solution' }, hintsShown: total + 1 };
  return { step: { kind: 'hint', index: reached, total }, hintsShown: reached };
}

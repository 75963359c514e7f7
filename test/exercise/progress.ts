// The learner's progress, kept in .workbook-progress.json at the workbook's root
// (git-ignored): which lessons pass, and how far each exercise region's hints have gone.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from '../harness.ts';

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

export function readProgress(): Progress {
  const file = progressFile();
  if (!existsSync(file)) return { lessons: {} };
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as Partial<Progress>;
    return { lessons: data.lessons ?? {} };
  } catch {
    // A damaged file is not worth stopping for: start over.
    return { lessons: {} };
  }
}

export function updateLesson(id: string, change: LessonProgress): LessonProgress {
  const progress = readProgress();
  const updated = { ...progress.lessons[id], ...change };
  progress.lessons[id] = updated;
  writeFileSync(progressFile(), `${JSON.stringify(progress, null, 2)}\n`);
  return updated;
}

/** How many hints of `region` the learner has seen, from a progress record that may be old or damaged. */
export function regionHintsShown(record: LessonProgress | undefined, region: string): number {
  const count = record?.regionHints?.[region];
  return typeof count === 'number' && Number.isInteger(count) && count >= 0 ? count : 0;
}

/** Records how far `region`'s hints have gone, keeping the other regions' counts. */
export function updateRegionHints(id: string, region: string, shown: number): LessonProgress {
  const record = readProgress().lessons[id];
  const saved = record?.regionHints;
  const counts = saved !== null && typeof saved === 'object' && !Array.isArray(saved) ? saved : {};
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

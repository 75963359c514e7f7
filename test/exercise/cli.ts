// What `npm run exercise` and `npm run check` share: finding the lesson a
// learner named, and showing paths the way the learner typed them.

import path from 'node:path';
import { findLesson, lessons, type LessonEntry } from '../../lessons/manifest.ts';
import { ROOT } from '../paths.ts';
import { missingPart } from './lesson-data.ts';

/** `01`, `1` or `01-echo` to the lesson; anything else prints the choices and exits 1. */
export function resolveLessonOrExit(name: string, usage: string): LessonEntry {
  const lesson = findLesson(name);
  if (lesson === undefined) {
    console.error(`There is no lesson "${name}". The lessons are:`);
    for (const entry of lessons) console.error(`  ${entry.id}  ${entry.title}`);
    console.error(usage);
    process.exit(1);
  }
  const missing = missingPart(lesson);
  if (missing !== undefined) {
    console.error(`Lesson ${lesson.id} is not ready yet: ${missing}.`);
    process.exit(1);
  }
  return lesson;
}

/** A folder as the learner sees it from the workbook's root, e.g. `workspace/01-echo/`. */
export function shownDir(dir: string): string {
  const relative = path.relative(ROOT, dir);
  if (relative === '') return './';
  return relative.startsWith('..') || path.isAbsolute(relative) ? `${dir}/` : `${relative}/`;
}

// Where a lesson's programs are: the workbook's own lessons, or a learner's copy.
// Without the harness (execa), so the run's global setup can use it too.

import path from 'node:path';
import { findLesson } from '../lessons/manifest.ts';
import { ROOT } from './paths.ts';

/**
 * Where a lesson's programs live. `npm test` checks the reference lessons;
 * `npm run check` points the same specs at a learner's copy through
 * WORKBOOK_LESSON_DIRS, a JSON object such as {"01": "/path/to/workspace/01-echo"}.
 */
export function lessonDir(id: string): string {
  const overrides = JSON.parse(process.env.WORKBOOK_LESSON_DIRS ?? '{}') as Record<string, string>;
  const override = overrides[id];
  if (override !== undefined) return path.resolve(override);
  const lesson = findLesson(id);
  if (lesson === undefined) throw new Error(`lesson ${id} is not in lessons/manifest.ts`);
  return path.join(ROOT, 'lessons', lesson.folder);
}

export function programPath(lessonId: string, file: string): string {
  return path.join(lessonDir(lessonId), file);
}

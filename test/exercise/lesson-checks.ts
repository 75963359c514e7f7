// Which checks concern which lesson (the rule is in test/harness.ts's header):
// a check whose describe title, or its own title, starts with `lesson NN:`
// concerns lesson NN. They live in the lesson's spec, test/NN-slug.test.ts, and
// in any test file whose header holds the line `// @lesson-checks`.

import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { LessonEntry } from '../../lessons/manifest.ts';
import { ROOT } from '../paths.ts';
import { lessonPaths } from './lesson-data.ts';

/** The line a cross-lesson test file carries in its header. */
export const CROSS_LESSON_MARK = '// @lesson-checks';

/** Test files other than the lessons' own specs that hold checks for lessons. */
export function crossLessonFiles(): string[] {
  const dir = path.join(ROOT, 'test');
  return readdirSync(dir)
    .filter((name) => name.endsWith('.test.ts') && !/^\d\d-/.test(name))
    .map((name) => path.join(dir, name))
    .filter((file) =>
      readFileSync(file, 'utf8')
        .slice(0, 2_000)
        .split('\n')
        .some((line) => line.trim() === CROSS_LESSON_MARK),
    )
    .sort();
}

/** The files to run for these lessons: their specs, then the cross-lesson files. */
export function checkFiles(checked: readonly LessonEntry[]): string[] {
  const specs = checked
    .map((lesson) => lessonPaths(lesson).spec)
    .filter((file) => existsSync(file));
  return [...specs, ...crossLessonFiles()];
}

/** The lesson a check concerns, from its full name (`lesson 01: ... > title`), if any. */
export function lessonOfCheck(fullName: string): string | undefined {
  return /(?:^|> )lesson (\d+): /.exec(fullName)?.[1];
}

/** vitest's --testNamePattern for the checks of these lessons (it matches the names joined by spaces). */
export function namePattern(ids: readonly string[]): string {
  return `(^| )lesson (${ids.join('|')}): `;
}

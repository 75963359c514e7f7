// The authoring check's engine. For every lesson that exists it writes the
// generated starter and each known-bad variant as copies under workspace/, and
// for each copy a small case file that points the lesson's spec at that copy
// and then loads the spec. All case files run in ONE vitest child whose three
// workers each run many cases (isolate: false), so a case costs its checks, not
// a worker start: a starter stops at its first failing check, and a variant runs
// only the check it must fail. test/authoring.test.ts asserts on the results.

import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LessonEntry } from '../../lessons/manifest.ts';
import { ROOT } from '../paths.ts';
import {
  applyVariant,
  copyLesson,
  lessonPaths,
  loadKnownBad,
  starterTransform,
  type KnownBadVariant,
} from './lesson-data.ts';
import { runChecks, type ModuleResult } from './run-checks.ts';

const CONFIG = path.join(ROOT, 'test', 'exercise', 'authoring.config.ts');
/** Read by authoring.config.ts: the folder of case files, relative to the root. */
export const CASES_ENV = 'WORKBOOK_AUTHORING_CASES';

export function starterCase(lesson: LessonEntry): string {
  return `${lesson.folder}--starter`;
}

export function variantCase(lesson: LessonEntry, variant: KnownBadVariant): string {
  return `${lesson.folder}--known-bad--${variant.name}`;
}

export interface AuthoringRun {
  /** Results by case name; a case that could not be prepared has none. */
  results: Map<string, ModuleResult>;
  /** Why a case could not be prepared (bad markers, a `find` that does not match), by case. */
  prepareErrors: Map<string, string>;
  /** What vitest printed besides results, for when the child itself failed. */
  otherOutput: string;
  wallMs: number;
}

/**
 * The case file: sets what test/exercise/authoring-setup.ts and the harness
 * read, then loads the spec under its own module id, so each case evaluates it afresh.
 */
function caseFile(
  name: string,
  lesson: LessonEntry,
  dir: string,
  onlyTest: string | undefined,
): string {
  const spec = `${lessonPaths(lesson).spec}?case=${encodeURIComponent(name)}`;
  return [
    '// One case of the authoring check, written by test/exercise/authoring.ts.',
    `process.env.WORKBOOK_LESSON_DIRS = ${JSON.stringify(JSON.stringify({ [lesson.id]: dir }))};`,
    `process.env.WORKBOOK_ONLY_TEST = ${JSON.stringify(onlyTest ?? '')};`,
    `process.env.WORKBOOK_BAIL = ${JSON.stringify(onlyTest === undefined ? '1' : '')};`,
    `await import(${JSON.stringify(spec)});`,
    '',
  ].join('\n');
}

/** Prepares the copies, runs them, and removes the copies again. */
export async function runAuthoringCheck(checked: LessonEntry[]): Promise<AuthoringRun> {
  const started = Date.now();
  // Inside the repository, so tsx loads the copies as ES modules; workspace/ is git-ignored.
  const scratch = path.join(ROOT, 'workspace', `authoring-${process.pid}`);
  const cases = new Map<string, string>();
  const prepareErrors = new Map<string, string>();
  const prepare = (
    name: string,
    lesson: LessonEntry,
    write: (dir: string) => void,
    onlyTest?: string,
  ) => {
    const dir = path.join(scratch, name);
    try {
      write(dir);
      const file = path.join(scratch, `${name}.test.ts`);
      writeFileSync(file, caseFile(name, lesson, dir, onlyTest));
      cases.set(file, name);
    } catch (error) {
      prepareErrors.set(name, (error as Error).message);
    }
  };

  try {
    removeAbandonedScratch();
    mkdirSync(scratch, { recursive: true });
    for (const lesson of checked) {
      prepare(starterCase(lesson), lesson, (dir) =>
        copyLesson(lesson, dir, { transform: starterTransform(lesson) }),
      );
      for (const variant of variantsOrNone(lesson)) {
        const write = (dir: string) => {
          const broken = applyVariant(lesson, variant);
          const target = path.normalize(variant.file);
          copyLesson(lesson, dir, { transform: (file, text) => (file === target ? broken : text) });
        };
        prepare(variantCase(lesson, variant), lesson, write, variant.failsCheck);
      }
    }
    const run =
      cases.size === 0
        ? { modules: [], otherOutput: '' }
        : await runChecks({
            files: [],
            config: CONFIG,
            env: { [CASES_ENV]: path.relative(ROOT, scratch) },
          });
    const results = new Map<string, ModuleResult>();
    for (const module of run.modules) {
      const name = cases.get(path.resolve(module.file));
      if (name !== undefined) results.set(name, module);
    }
    return { results, prepareErrors, otherOutput: run.otherOutput, wallMs: Date.now() - started };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

/** Scratch folders left by runs that were killed before they could clean up. */
function removeAbandonedScratch(): void {
  const workspace = path.join(ROOT, 'workspace');
  if (!existsSync(workspace)) return;
  for (const name of readdirSync(workspace)) {
    const pid = Number(name.match(/^authoring-(\d+)$/)?.[1]);
    if (!pid || pid === process.pid || isRunning(pid)) continue;
    rmSync(path.join(workspace, name), { recursive: true, force: true });
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The lesson's variants; a broken fixture file is reported by the data checks instead. */
function variantsOrNone(lesson: LessonEntry): KnownBadVariant[] {
  try {
    return loadKnownBad(lesson);
  } catch {
    return [];
  }
}

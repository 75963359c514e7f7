// The authoring check's engine: for every lesson that exists, write a generated
// starter and each known-bad variant as copies under workspace/, then run the
// lesson's spec against all of them in ONE vitest child (one project per copy,
// run in parallel): a starter stops at its first failing check, a variant runs
// only the check it must fail. test/authoring.test.ts asserts on the results.

import { rmSync } from 'node:fs';
import path from 'node:path';
import type { LessonEntry } from '../../lessons/manifest.ts';
import { ROOT } from '../harness.ts';
import { PLAN_ENV, type AuthoringCase } from './authoring-plan.ts';
import { applyVariant, copyLesson, loadKnownBad, starterTransform, WORKSPACE, type KnownBadVariant } from './lesson-data.ts';
import { runChecks, type ModuleResult } from './run-checks.ts';

const CONFIG = path.join(ROOT, 'test', 'exercise', 'authoring.config.ts');

export function starterProject(lesson: LessonEntry): string {
  return `${lesson.folder}:starter`;
}

export function variantProject(lesson: LessonEntry, variant: KnownBadVariant): string {
  return `${lesson.folder}:known-bad:${variant.name}`;
}

export interface AuthoringRun {
  /** Results by project name; a case that could not be prepared has none. */
  results: Map<string, ModuleResult>;
  /** Why a case could not be prepared (bad markers, a `find` that does not match), by project. */
  prepareErrors: Map<string, string>;
  /** What vitest printed besides results, for when the child itself failed. */
  otherOutput: string;
  wallMs: number;
}

/** Prepares the copies, runs them, and removes the copies again. */
export async function runAuthoringCheck(checked: LessonEntry[]): Promise<AuthoringRun> {
  const started = Date.now();
  // Inside the repository, so tsx loads the copies as ES modules; workspace/ is git-ignored.
  const scratch = path.join(WORKSPACE, `.authoring-${process.pid}`);
  const cases: AuthoringCase[] = [];
  const prepareErrors = new Map<string, string>();
  const prepare = (project: string, lesson: LessonEntry, write: (dir: string) => void, onlyTest?: string) => {
    const dir = path.join(scratch, project.replaceAll(':', '--'));
    try {
      write(dir);
      cases.push({ project, lessonId: lesson.id, spec: `test/${lesson.folder}.test.ts`, dir, onlyTest });
    } catch (error) {
      prepareErrors.set(project, (error as Error).message);
    }
  };

  try {
    for (const lesson of checked) {
      prepare(starterProject(lesson), lesson, (dir) => copyLesson(lesson, dir, { transform: starterTransform(lesson) }));
      for (const variant of variantsOrNone(lesson)) {
        const write = (dir: string) => {
          const broken = applyVariant(lesson, variant);
          const target = path.normalize(variant.file);
          copyLesson(lesson, dir, { transform: (file, text) => (file === target ? broken : text) });
        };
        prepare(variantProject(lesson, variant), lesson, write, variant.failsCheck);
      }
    }
    const run =
      cases.length === 0
        ? { modules: [], otherOutput: '' }
        : await runChecks({ files: [], config: CONFIG, env: { [PLAN_ENV]: JSON.stringify(cases) } });
    return {
      results: new Map(run.modules.map((module) => [module.project, module])),
      prepareErrors,
      otherOutput: run.otherOutput,
      wallMs: Date.now() - started,
    };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
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

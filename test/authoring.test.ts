// The authoring check, as rustlings has: every lesson that exists has hints and
// exercise regions, its generated starter fails its checks, and each of its
// known-bad variants fails the very check it names. (That the reference lessons
// pass is `npm test`.) Lessons come from the manifest and their data
// files, so a new lesson is covered by adding data. Starters and variants run in
// one vitest child, in parallel: see test/exercise/authoring.ts.

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, test } from 'vitest';
import { lessons } from '../lessons/manifest.ts';
import {
  runAuthoringCheck,
  starterCase,
  variantCase,
  type AuthoringRun,
} from './exercise/authoring.ts';
import {
  lessonPaths,
  lessonRegions,
  loadCheckRegions,
  loadHints,
  loadKnownBad,
  missingPart,
  occurrences,
} from './exercise/lesson-data.ts';
import type { ModuleResult } from './exercise/run-checks.ts';

// WORKBOOK_AUTHORING_LESSONS=05,06 checks only those lessons, for an author at work on them.
const wanted = process.env.WORKBOOK_AUTHORING_LESSONS?.split(',').map((id) => id.trim());
const chosen = lessons.filter((lesson) => wanted === undefined || wanted.includes(lesson.id));
const present = chosen.filter((lesson) => missingPart(lesson) === undefined);
const absent = chosen.filter((lesson) => missingPart(lesson) !== undefined);

for (const lesson of absent) {
  const reason = `lesson ${lesson.id} skipped: ${missingPart(lesson)}`;
  console.log(`Authoring check: ${reason}.`);
  test.skip(`${reason}`, () => {});
}

let run: AuthoringRun;

beforeAll(async () => {
  run = await runAuthoringCheck(present);
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  const slowest = [...run.results]
    .map(
      ([name, result]) =>
        [name, result.tests.reduce((sum, check) => sum + (check.durationMs ?? 0), 0)] as const,
    )
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([name, ms]) => `${name} ${seconds(ms)}`);
  console.log(
    `Authoring check: ${run.results.size} starter and known-bad runs for ${present.length} lesson(s) took ${seconds(run.wallMs)}` +
      ` (slowest: ${slowest.join(', ')}).`,
  );
  // Every lesson's starter and known-bad variants: minutes on a busy two-core machine.
}, 600_000);

/** The results of one project, failing with what went wrong when there are none. */
function resultOf(project: string): ModuleResult {
  const prepareError = run.prepareErrors.get(project);
  if (prepareError !== undefined) throw new Error(`could not prepare ${project}: ${prepareError}`);
  const result = run.results.get(project);
  if (result === undefined)
    throw new Error(`vitest reported nothing for ${project}\n${run.otherOutput}`);
  return result;
}

function failed(result: ModuleResult): string[] {
  return result.tests.filter((check) => check.state === 'failed').map((check) => check.name);
}

describe.each(present.map((lesson) => [lesson.folder, lesson] as const))(
  '%s',
  (_folder, lesson) => {
    const paths = lessonPaths(lesson);

    test('has 1 to 3 hints in hints.json for each exercise region, each a question, and none for regions that do not exist', () => {
      const hints = loadHints(lesson);
      const regions = lessonRegions(lesson).flatMap((entry) =>
        entry.regions.map((region) => region.name),
      );
      const problems = Object.keys(hints)
        .filter((name) => !regions.includes(name))
        .map(
          (name) =>
            `"${name}" is not an exercise region of lessons/${lesson.folder}/*.ts (its regions: ${regions.join(', ')})`,
        );
      for (const region of regions) {
        const list = Object.hasOwn(hints, region) ? hints[region]! : [];
        if (list.length < 1) problems.push(`exercise(${region}) has no hints: give it 1 to 3`);
        if (list.length > 3)
          problems.push(`exercise(${region}) has ${list.length} hints: keep 1 to 3`);
        for (const hint of list.filter((text) => !text.trim().endsWith('?'))) {
          problems.push(
            `${region}: "${hint}" is not a question; a hint leads with a question, it does not give the answer`,
          );
        }
      }
      for (const [title, region] of Object.entries(loadCheckRegions(lesson))) {
        if (!regions.includes(region))
          problems.push(`"checks" maps "${title}" to "${region}", which is not an exercise region`);
      }
      expect(problems, path.relative(process.cwd(), paths.hints)).toEqual([]);
    });

    test('marks at least one exercise region, each with balanced markers and its own name', () => {
      const regions = lessonRegions(lesson).flatMap((entry) =>
        entry.regions.map((region) => region.name),
      );
      expect(
        regions.length,
        `no "// exercise(name): task" markers in lessons/${lesson.folder}/*.ts`,
      ).toBeGreaterThan(0);
      expect(new Set(regions).size, `region names repeat: ${regions.join(', ')}`).toBe(
        regions.length,
      );
    });

    test('has at least two known-bad variants, each breaking text found exactly once', () => {
      const variants = loadKnownBad(lesson);
      expect(
        variants.length,
        `${path.relative(process.cwd(), paths.knownBad)} needs at least two variants`,
      ).toBeGreaterThanOrEqual(2);
      expect(new Set(variants.map((variant) => variant.name)).size, 'variant names repeat').toBe(
        variants.length,
      );
      for (const variant of variants) {
        const text = readFileSync(path.join(paths.reference, variant.file), 'utf8');
        expect(
          occurrences(text, variant.find),
          `${variant.name}: "find" must occur exactly once in ${variant.file}`,
        ).toBe(1);
        expect(
          variant.replace,
          `${variant.name}: "replace" equals "find", so nothing breaks`,
        ).not.toBe(variant.find);
      }
    });

    test('its generated starter fails its checks', () => {
      const result = resultOf(starterCase(lesson));
      expect(result.errors, 'the spec did not load').toEqual([]);
      expect(
        failed(result),
        'every check passed against the starter: the exercise regions do not cover what the checks test',
      ).not.toEqual([]);
    });

    const variants = (() => {
      try {
        return loadKnownBad(lesson);
      } catch {
        return [];
      }
    })();
    test.each(variants.map((variant) => [variant.name, variant] as const))(
      'known-bad variant %s fails the check it names',
      (_name, variant) => {
        const result = resultOf(variantCase(lesson, variant));
        const titles = result.tests.map((check) => check.name);
        expect(
          titles,
          `no check titled "${variant.failsCheck}" in test/${lesson.folder}.test.ts`,
        ).toContain(variant.failsCheck);
        const check = result.tests.find((entry) => entry.name === variant.failsCheck);
        if (check === undefined) return;
        expect(
          check.state,
          `${variant.name} (${variant.description}) passed "${variant.failsCheck}": that check does not catch this breakage`,
        ).toBe('failed');
        // It must fail for the breakage, not because the broken copy cannot even start.
        const why = [
          ...check.errors.map((error) => error.message),
          ...(check.transcripts ?? []).flatMap((transcript) => transcript.stderr),
        ].join('\n');
        expect(
          why,
          `${variant.name} fails only because the program does not start or compile`,
        ).not.toMatch(
          /before printing its "Listening on|SyntaxError|Transform failed|ERR_MODULE_NOT_FOUND|ReferenceError/,
        );
      },
    );
  },
);

// Where each lesson's exercise data lives, and reading it with clear errors.
// Adding a lesson adds data only: its folder (programs with exercise regions),
// lessons/NN-slug/hints.json, test/NN-slug.test.ts and
// test/fixtures/known-bad/NN-slug.json. Nothing here names a lesson.

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { LessonEntry } from '../../lessons/manifest.ts';
import { ROOT } from '../paths.ts';
import { findRegions, makeStarter, rewriteImports, type Region } from './regions.ts';

/**
 * The learner's copies. WORKBOOK_WORKSPACE moves them (the tools' own tests do,
 * to leave a learner's work alone); it must stay inside the workbook, where
 * package.json makes Node load .ts files as ES modules.
 */
export const WORKSPACE = process.env.WORKBOOK_WORKSPACE ?? path.join(ROOT, 'workspace');

export interface LessonPaths {
  /** The reference lesson folder, lessons/NN-slug. */
  reference: string;
  /** Its checks, test/NN-slug.test.ts. */
  spec: string;
  hints: string;
  knownBad: string;
  /** The learner's copy, workspace/NN-slug. */
  workspace: string;
}

export function lessonPaths(lesson: LessonEntry): LessonPaths {
  return {
    reference: path.join(ROOT, 'lessons', lesson.folder),
    spec: path.join(ROOT, 'test', `${lesson.folder}.test.ts`),
    hints: path.join(ROOT, 'lessons', lesson.folder, 'hints.json'),
    knownBad: path.join(ROOT, 'test', 'fixtures', 'known-bad', `${lesson.folder}.json`),
    workspace: path.join(WORKSPACE, lesson.folder),
  };
}

/** Why a lesson cannot be used yet (its folder or checks are missing), or undefined when it can. */
export function missingPart(lesson: LessonEntry): string | undefined {
  const paths = lessonPaths(lesson);
  if (!existsSync(paths.reference)) return `lessons/${lesson.folder}/ does not exist yet`;
  if (!existsSync(paths.spec)) return `its checks, test/${lesson.folder}.test.ts, do not exist yet`;
  return undefined;
}

/** A problem in a lesson's exercise data, worded for the lesson's author. */
export class DataError extends Error {
  override name = 'DataError';
}

function readJson(file: string): unknown {
  const shown = path.relative(ROOT, file);
  if (!existsSync(file)) throw new DataError(`${shown} is missing`);
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new DataError(`${shown} is not valid JSON: ${(error as Error).message}`);
  }
}

/** A lesson's hints, by exercise region name: for each, leading questions in order, not answers. */
export type RegionHints = Record<string, string[]>;

/** The lesson's hints, `{ "hints": { "<region-name>": ["A question...?", ...] } }`. */
export function loadHints(lesson: LessonEntry): RegionHints {
  const file = lessonPaths(lesson).hints;
  const shown = path.relative(ROOT, file);
  const data = readJson(file) as { hints?: unknown };
  const hints = data?.hints;
  const format = `${shown} must be { "hints": { "<region-name>": ["A question...?", ...], ... } }`;
  if (Array.isArray(hints))
    throw new DataError(`${format}: its hints are one list, not one list per exercise region`);
  if (typeof hints !== 'object' || hints === null) throw new DataError(format);
  for (const [region, list] of Object.entries(hints)) {
    if (
      !Array.isArray(list) ||
      !list.every((hint) => typeof hint === 'string' && hint.trim() !== '')
    ) {
      throw new DataError(
        `${format}: the hints of "${region}" are not a list of non-empty strings`,
      );
    }
  }
  return hints as RegionHints;
}

/**
 * hints.json's optional `"checks": { "<exact check title>": "<region-name>" }`:
 * the TODO a check is about, so its failure shows that TODO's hint (before any
 * guess from the failure's output; see test/exercise/hints.ts).
 */
export function loadCheckRegions(lesson: LessonEntry): Record<string, string> {
  const file = lessonPaths(lesson).hints;
  const shown = path.relative(ROOT, file);
  const data = readJson(file) as { checks?: unknown };
  const checks = data?.checks;
  if (checks === undefined) return {};
  const format = `${shown}: "checks" must be { "<check title>": "<region-name>", ... }`;
  if (typeof checks !== 'object' || checks === null || Array.isArray(checks))
    throw new DataError(format);
  for (const [title, region] of Object.entries(checks)) {
    if (typeof region !== 'string' || region === '')
      throw new DataError(`${format}: "${title}" does not name a region`);
  }
  return checks as Record<string, string>;
}

export interface KnownBadVariant {
  name: string;
  description: string;
  /** The reference file to break, inside the lesson folder. */
  file: string;
  /** Text occurring exactly once in that file... */
  find: string;
  /** ...and what it becomes. */
  replace: string;
  /** The exact title of the check in test/NN-slug.test.ts that this breakage must fail. */
  failsCheck: string;
}

const VARIANT_FIELDS = ['name', 'description', 'file', 'find', 'replace', 'failsCheck'] as const;

/** The lesson's deliberately broken variants, test/fixtures/known-bad/NN-slug.json. */
export function loadKnownBad(lesson: LessonEntry): KnownBadVariant[] {
  const file = lessonPaths(lesson).knownBad;
  const shown = path.relative(ROOT, file);
  const data = readJson(file);
  if (!Array.isArray(data)) throw new DataError(`${shown} must be a JSON array of variants`);
  return data.map((entry: Record<string, unknown>, index) => {
    for (const field of VARIANT_FIELDS) {
      if (typeof entry?.[field] !== 'string' || (field !== 'replace' && entry[field] === '')) {
        throw new DataError(
          `${shown}, variant ${index + 1}: "${field}" must be a non-empty string`,
        );
      }
    }
    if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(entry.name as string)) {
      throw new DataError(
        `${shown}, variant ${index + 1}: name ${JSON.stringify(entry.name)} must be kebab-case`,
      );
    }
    return entry as unknown as KnownBadVariant;
  });
}

/** How often `needle` occurs in `haystack` (non-overlapping). */
export function occurrences(haystack: string, needle: string): number {
  return needle === '' ? 0 : haystack.split(needle).length - 1;
}

/** The reference file a variant breaks, with its one replacement made. */
export function applyVariant(lesson: LessonEntry, variant: KnownBadVariant): string {
  const file = path.join(lessonPaths(lesson).reference, variant.file);
  const shown = `lessons/${lesson.folder}/${variant.file}`;
  if (!existsSync(file))
    throw new DataError(`known-bad variant ${variant.name}: ${shown} does not exist`);
  const text = readFileSync(file, 'utf8');
  const count = occurrences(text, variant.find);
  if (count !== 1) {
    throw new DataError(
      `known-bad variant ${variant.name}: its "find" text occurs ${count} times in ${shown}; it must occur exactly once`,
    );
  }
  return text.replace(variant.find, () => variant.replace);
}

/** The files of a lesson folder that make up a copy (paths relative to the folder). */
export function lessonFiles(lesson: LessonEntry): string[] {
  const root = lessonPaths(lesson).reference;
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return walk(full);
      return [path.relative(root, full)];
    });
  return walk(root)
    .filter((file) => file !== 'hints.json')
    .sort();
}

export interface FileRegions {
  /** Relative to the lesson folder. */
  file: string;
  regions: Region[];
}

/** The exercise regions of every .ts file of the lesson (files without regions left out). */
export function lessonRegions(lesson: LessonEntry): FileRegions[] {
  const root = lessonPaths(lesson).reference;
  return lessonFiles(lesson)
    .filter((file) => file.endsWith('.ts'))
    .map((file) => ({
      file,
      regions: findRegions(
        readFileSync(path.join(root, file), 'utf8'),
        `lessons/${lesson.folder}/${file}`,
      ),
    }))
    .filter((entry) => entry.regions.length > 0);
}

export interface CopyOptions {
  /** Turn each .ts file's reference text into the copy's text (e.g. makeStarter). */
  transform?: (file: string, text: string) => string;
}

/**
 * Copies the lesson folder to `dest` (which must lie inside the repository, so
 * tsx loads the copy as an ES module): .ts files go through `transform`, and
 * their imports are rewritten to reach shared/ and other lessons from `dest`.
 * Returns the copied files, relative to `dest`.
 */
export function copyLesson(lesson: LessonEntry, dest: string, options: CopyOptions = {}): string[] {
  const root = lessonPaths(lesson).reference;
  const files = lessonFiles(lesson);
  for (const file of files) {
    const from = path.join(root, file);
    const to = path.join(dest, file);
    mkdirSync(path.dirname(to), { recursive: true });
    if (!file.endsWith('.ts')) {
      writeFileSync(to, readFileSync(from));
      continue;
    }
    const text = readFileSync(from, 'utf8');
    const transformed = options.transform ? options.transform(file, text) : text;
    writeFileSync(to, rewriteImports(transformed, from, to, root));
  }
  return files;
}

/** The starter transform: every exercise region becomes a TODO that throws. */
export function starterTransform(lesson: LessonEntry): (file: string, text: string) => string {
  return (file, text) => makeStarter(text, `lessons/${lesson.folder}/${file}`);
}

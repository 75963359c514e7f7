// Which hint `npm run check` shows for a failing check. Hints belong to exercise
// regions (lessons/NN-slug/hints.json: { "hints": { "<region>": ["...?"] } }),
// so the hint shown is about the TODO the failure is about:
//   1. a region whose `TODO(<name>)` the failing check's output shows (the
//      starter's stub throws `Error: TODO(<name>): ...`, and the transcripts show it);
//   then the region hints.json's "checks" names for the failing check's title
//      (`{ "checks": { "<exact check title>": "<region>" } }`), before any guess:
//   2. else a region whose file the output names (a stack frame, a program);
//   3. else the first region whose TODO is still in the learner's copy;
//   4. else the lesson's first region.
// `--hint` moves that region's counter on, and after its last hint shows that
// region's reference solution only: the other TODOs are not given away.

import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { LessonEntry } from '../../lessons/manifest.ts';
import { escapeRegExp } from '../paths.ts';
import type { TestOutcome } from './events.ts';
import type { Style } from './format.ts';
import {
  lessonRegions,
  loadCheckRegions,
  loadHints,
  type FileRegions,
  type RegionHints,
} from './lesson-data.ts';
import {
  nextHintStep,
  readProgress,
  regionHintsShown,
  updateRegionHints,
  type HintStep,
} from './progress.ts';
import type { Region } from './regions.ts';

export type ChoiceReason =
  'check-map' | 'todo-in-output' | 'file-in-output' | 'unfinished' | 'first';

export interface RegionChoice {
  /** The region's file, relative to the lesson folder. */
  file: string;
  region: Region;
  why: ChoiceReason;
}

/** Everything a failing check reported: its messages and stacks, then what its programs printed. */
export function failureText(test: TestOutcome): string {
  return [
    ...test.errors.flatMap((error) => [error.message, error.stack ?? '']),
    ...(test.transcripts ?? []).flatMap((transcript) => [
      transcript.command,
      ...transcript.stdout,
      ...transcript.stderr,
    ]),
  ].join('\n');
}

/**
 * Where `output` names `file` (a whole file name: `message.ts` is not found in
 * `server-message.ts`): a position in a stack frame or at a line (`file.ts:12`)
 * ranks before a mere mention, such as a program's command line.
 */
function fileRank(output: string, file: string): number | undefined {
  const name = escapeRegExp(path.basename(file));
  const atLine = new RegExp(`(?<![\\w.-])${name}:\\d`).exec(output);
  if (atLine) return atLine.index;
  const mention = new RegExp(`(?<![\\w.-])${name}(?![\\w-])`).exec(output);
  return mention ? output.length + mention.index : undefined;
}

/**
 * The region a failing check is about (see the top of this file). `copyText`
 * reads a file of the learner's copy, by its path relative to the lesson folder
 * (undefined when it is missing).
 */
export function chooseRegion(
  files: FileRegions[],
  output: string,
  copyText: (file: string) => string | undefined,
  mapped?: string,
): RegionChoice | undefined {
  const all = files.flatMap(({ file, regions }) => regions.map((region) => ({ file, region })));
  if (all.length === 0) return undefined;
  const earliest = <T>(entries: { at: number; value: T }[]): T | undefined =>
    entries.sort((a, b) => a.at - b.at)[0]?.value;

  const named = earliest(
    all.flatMap((entry) => {
      const at = output.indexOf(`TODO(${entry.region.name})`);
      return at === -1 ? [] : [{ at, value: entry }];
    }),
  );
  if (named) return { ...named, why: 'todo-in-output' };
  // Then the TODO hints.json names for this check: its author knows what the check is about.
  const byMap = all.find((entry) => entry.region.name === mapped);
  if (byMap) return { ...byMap, why: 'check-map' };

  const texts = new Map(files.map(({ file }) => [file, copyText(file)]));
  const unfinished = (entry: { file: string; region: Region }) =>
    texts.get(entry.file)?.includes(`TODO(${entry.region.name})`) === true;

  const file = earliest(
    files.flatMap(({ file }) => {
      const at = fileRank(output, file);
      return at === undefined ? [] : [{ at, value: file }];
    }),
  );
  if (file !== undefined) {
    const inFile = all.filter((entry) => entry.file === file);
    const chosen = inFile.find(unfinished) ?? inFile[0];
    if (chosen) return { ...chosen, why: 'file-in-output' };
  }

  const open = all.find(unfinished);
  if (open) return { ...open, why: 'unfinished' };
  const [first] = all;
  return first && { ...first, why: 'first' };
}

const WHY: Record<ChoiceReason, string> = {
  'check-map': 'the TODO this check is about',
  'todo-in-output': "the failing check's output shows it",
  'file-in-output': "the failing check's output names its file",
  unfinished: 'the first TODO still in your copy',
  first: "the lesson's first TODO",
};

/** The lines for one step of a region's hints: a question, its solution, or nothing. */
export function hintLines(
  lesson: LessonEntry,
  choice: RegionChoice,
  hints: readonly string[],
  step: HintStep,
  style: Style,
): string[] {
  const todo = `TODO(${choice.region.name}) in ${choice.file}`;
  if (step.kind === 'hint') {
    const more =
      step.index < step.total
        ? 'the next hint for this TODO'
        : 'the reference solution of this TODO';
    return [
      `${style.bold(`Hint ${step.index} of ${step.total} for ${todo}`)} (${WHY[choice.why]}): ${hints[step.index - 1]}`,
      style.dim(`  (npm run check -- ${lesson.id} --hint shows ${more})`),
    ];
  }
  if (step.kind === 'solution') {
    return [
      `${style.bold(`The reference solution of ${todo}`)} (${WHY[choice.why]}), from lessons/${lesson.folder}/${choice.file}:`,
      `  ${style.dim(`TODO(${choice.region.name}): ${choice.region.task}`)}`,
      ...choice.region.solution.split('\n').map((line) => `    ${line}`),
      style.dim(`  (only this TODO's solution is shown; the other TODOs keep their own hints)`),
    ];
  }
  return [style.dim(`There are no hints for ${todo} yet.`)];
}

/**
 * The hint for a failing check of `lesson`, checked in the copy at `dir`:
 * chooses the region, moves its counter on with `advance` (--hint), records it
 * in the progress file, and returns the lines to print.
 */
export function hintForFailure(
  lesson: LessonEntry,
  dir: string,
  test: TestOutcome,
  advance: boolean,
  style: Style,
): string[] {
  let hints: RegionHints;
  let files: FileRegions[];
  let checks: Record<string, string>;
  try {
    hints = loadHints(lesson);
    files = lessonRegions(lesson);
    checks = loadCheckRegions(lesson);
  } catch {
    return [style.dim(`Lesson ${lesson.id} has no hints yet.`)];
  }
  const choice = chooseRegion(
    files,
    failureText(test),
    (file) => {
      const copy = path.join(dir, file);
      return existsSync(copy) ? readFileSync(copy, 'utf8') : undefined;
    },
    Object.hasOwn(checks, test.name) ? checks[test.name] : undefined,
  );
  if (choice === undefined) return [style.dim(`Lesson ${lesson.id} has no hints yet.`)];
  const list = (Object.hasOwn(hints, choice.region.name) && hints[choice.region.name]) || [];
  const shown = regionHintsShown(readProgress().lessons[lesson.id], choice.region.name);
  const { step, hintsShown } = nextHintStep(shown, list.length, advance);
  if (step.kind !== 'none') updateRegionHints(lesson.id, choice.region.name, hintsShown);
  return hintLines(lesson, choice, list, step, style);
}

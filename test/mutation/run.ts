// `npm run mutation -- NN [NN...] [--limit N] [--operator X] [--file F] [--jobs N] [--list]`:
// how many plausible learner mistakes a lesson's checks catch. Each mutant is
// the lesson's programs with one mistake made (test/mutation/operators.ts); it
// runs through the very checks `npm run check -- NN` runs (the lesson's spec and
// its share of the cross-lesson files), against a copy in workspace/. A mutant
// is killed when a check fails, survives when all pass, and is set apart when it
// does not compile. Mutants a person judged equivalent (no check could tell them
// apart from the reference) are listed in test/mutation/equivalents.json with
// the reason and left out of the score.
// Prints a summary per lesson and writes test-output/mutation/NN.json.

import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { findLesson, type LessonEntry } from '../../lessons/manifest.ts';
import { ROOT } from '../harness.ts';
import { copyLesson, lessonPaths } from '../exercise/lesson-data.ts';
import { checkFiles, namePattern } from '../exercise/lesson-checks.ts';
import { findRegions } from '../exercise/regions.ts';
import { runChecks, type ModuleResult } from '../exercise/run-checks.ts';
import { BUDGET_ENV, TIME_BOX_MESSAGE } from './time-box.ts';
import { compileChecker } from './compile.ts';
import {
  applyMutant,
  generateMutants,
  MAY_NOT_TYPE_CHECK,
  OPERATOR_NAMES,
  type Mutant,
} from './operators.ts';

const USAGE = `Usage: npm run mutation -- <lesson> [<lesson>...] [options]
  --limit N      run N mutants per lesson, spread evenly over the full list
  --operator X   only mutants of operator X (repeatable): ${OPERATOR_NAMES.join(', ')}
  --file F       only mutants of program file F (repeatable), e.g. echo-server.ts
  --jobs N       mutants at a time (default 2)
  --list         list the mutants and exit, running nothing`;

const CONFIG = path.join(ROOT, 'test', 'mutation', 'mutation.config.ts');
const EQUIVALENTS = path.join(ROOT, 'test', 'mutation', 'equivalents.json');
const OUTPUT = path.join(ROOT, 'test-output', 'mutation');
/** The longest one mutant's checks may take together before it counts as a timeout. */
const BUDGET_MS = 90_000;

export interface Equivalent {
  id: string;
  /** The mutation as the report shows it, for a reader of the file. */
  mutation: string;
  reason: string;
}

/** test/mutation/equivalents.json: lesson id to the mutants judged equivalent. */
export function loadEquivalents(file = EQUIVALENTS): Record<string, Equivalent[]> {
  if (!existsSync(file)) return {};
  return JSON.parse(readFileSync(file, 'utf8')) as Record<string, Equivalent[]>;
}

type Outcome =
  | { status: 'killed'; by: string; message: string }
  | { status: 'survived' }
  | { status: 'timeout' }
  | { status: 'no-compile'; problem: string }
  | { status: 'error'; problem: string };

interface MutantResult extends Mutant {
  /** The exercise region the edit falls in, if any: code the learner writes. */
  region: string | null;
  outcome: Outcome;
  seconds: number;
}

interface Options {
  limit?: number;
  operators: string[];
  files: string[];
  jobs: number;
  list: boolean;
}

function parseOptions(): { ids: string[]; options: Options } {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        limit: { type: 'string' },
        operator: { type: 'string', multiple: true, default: [] },
        file: { type: 'string', multiple: true, default: [] },
        jobs: { type: 'string', default: '2' },
        list: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    process.exit(1);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const count = (text: string | undefined, name: string) => {
    if (text === undefined) return undefined;
    const value = Number(text);
    if (!Number.isInteger(value) || value < 1) {
      console.error(`--${name} takes a whole number above 0, not "${text}"\n${USAGE}`);
      process.exit(1);
    }
    return value;
  };
  const unknown = values.operator.filter((name) => !(OPERATOR_NAMES as string[]).includes(name));
  if (positionals.length === 0 || unknown.length > 0) {
    if (unknown.length > 0) console.error(`Unknown operator: ${unknown.join(', ')}`);
    console.error(USAGE);
    process.exit(1);
  }
  return {
    ids: positionals,
    options: {
      limit: count(values.limit, 'limit'),
      operators: values.operator,
      files: values.file,
      jobs: count(values.jobs, 'jobs') ?? 2,
      list: values.list,
    },
  };
}

/** Every mutant of the lesson's programs, with the exercise region each falls in. */
export function lessonMutants(lesson: LessonEntry): (Mutant & { region: string | null })[] {
  const dir = lessonPaths(lesson).reference;
  return readdirSync(dir)
    .filter((file) => file.endsWith('.ts'))
    .sort()
    .flatMap((file) => {
      const text = readFileSync(path.join(dir, file), 'utf8');
      const regions = findRegions(text, `lessons/${lesson.folder}/${file}`);
      return generateMutants(text, file).map((mutant) => ({
        ...mutant,
        region:
          regions.find((region) => region.startLine < mutant.line && mutant.line < region.endLine)
            ?.name ?? null,
      }));
    });
}

/** `count` items spread evenly over `items`, keeping their order. */
export function spread<T>(items: T[], count: number | undefined): T[] {
  if (count === undefined || count >= items.length) return items;
  return Array.from({ length: count }, (_, index) => {
    const item = items[Math.floor((index * items.length) / count)];
    if (item === undefined) throw new Error('spread: index out of range');
    return item;
  });
}

function firstLine(text: string): string {
  return text.split('\n').find((line) => line.trim() !== '') ?? '';
}

/** What happened to one case, from the checks its run reported. */
function classify(module: ModuleResult | undefined): Outcome {
  if (module === undefined)
    return { status: 'error', problem: 'vitest reported nothing for this mutant' };
  const failed = module.tests.find((test) => test.state === 'failed');
  if (failed !== undefined) {
    const message = firstLine(failed.errors[0]?.message ?? '');
    if (message.includes(TIME_BOX_MESSAGE)) return { status: 'timeout' };
    return { status: 'killed', by: failed.name, message };
  }
  const [error] = module.errors;
  if (error !== undefined)
    return { status: 'killed', by: '(the spec itself)', message: firstLine(error.message) };
  if (!module.tests.some((test) => test.state === 'passed'))
    return { status: 'error', problem: 'no check ran' };
  return { status: 'survived' };
}

const seconds = (ms: number) => Math.round(ms / 100) / 10;

/**
 * One mutant's case file: points the lesson's checks at the copy, then loads
 * afresh every file that holds checks for the lesson, as `npm run check -- NN`
 * does: its spec and the cross-lesson files (clear errors, hostile input, load).
 * The run's name pattern keeps only the checks that concern this lesson.
 */
function caseFile(lesson: LessonEntry, name: string, dir: string): string {
  const query = `?mutant=${encodeURIComponent(name)}`;
  return [
    '// One mutant of the mutation run, written by test/mutation/run.ts.',
    `process.env.WORKBOOK_LESSON_DIRS = ${JSON.stringify(JSON.stringify({ [lesson.id]: dir }))};`,
    ...checkFiles([lesson]).map((file) => `await import(${JSON.stringify(file + query)});`),
    '',
  ].join('\n');
}

async function mutateLesson(lesson: LessonEntry, options: Options, scratch: string) {
  const equivalents = loadEquivalents()[lesson.id] ?? [];
  const all = lessonMutants(lesson);
  const chosen = spread(
    all.filter(
      (mutant) =>
        (options.operators.length === 0 || options.operators.includes(mutant.operator)) &&
        (options.files.length === 0 || options.files.includes(mutant.file)),
    ),
    options.limit,
  );
  if (options.list) {
    for (const mutant of chosen)
      console.log(
        `${mutant.id}  ${mutant.file}:${mutant.line}  ${mutant.before}  =>  ${mutant.after}`,
      );
    console.log(`Lesson ${lesson.id}: ${chosen.length} of ${all.length} mutants`);
    return;
  }
  const started = Date.now();
  const reference = lessonPaths(lesson).reference;
  console.log(
    `Lesson ${lesson.id} (${lesson.folder}): ${chosen.length} of ${all.length} mutants, ${options.jobs} at a time`,
  );

  // Compile first: a mutant that does not compile is a typo, not a mistake to catch.
  const checker = compileChecker(
    readdirSync(reference)
      .filter((file) => file.endsWith('.ts'))
      .map((file) => path.join(reference, file)),
  );
  const cases = path.join(scratch, lesson.id);
  const outcomes = new Map<number, Outcome>();
  const caseIndex = new Map<string, number>();
  const write = (
    name: string,
    index: number,
    transform?: (file: string, text: string) => string,
  ) => {
    const dir = path.join(cases, name);
    copyLesson(lesson, dir, { transform });
    const file = path.join(cases, `${name}.test.ts`);
    writeFileSync(file, caseFile(lesson, name, dir));
    caseIndex.set(file, index);
  };
  // The unchanged lesson runs too, as case -1: if it fails, no mutant's result means anything.
  write('reference', -1);
  chosen.forEach((mutant, index) => {
    const file = path.join(reference, mutant.file);
    const mutated = applyMutant(readFileSync(file, 'utf8'), mutant);
    const problem = checker.problem(file, mutated, MAY_NOT_TYPE_CHECK.has(mutant.operator));
    if (problem !== undefined) outcomes.set(index, { status: 'no-compile', problem });
    else write(`m${index}`, index, (name, text) => (name === mutant.file ? mutated : text));
  });
  console.log(
    `  ${outcomes.size} did not compile; running ${caseIndex.size - 1} mutants and the reference (${seconds(Date.now() - started)} s so far)`,
  );

  let done = 0;
  const run = await runChecks({
    files: [],
    config: CONFIG,
    testNamePattern: namePattern([lesson.id]),
    env: {
      WORKBOOK_MUTATION_CASES: path.relative(ROOT, cases),
      WORKBOOK_MUTATION_JOBS: String(options.jobs),
      [BUDGET_ENV]: String(BUDGET_MS),
    },
    onEvent: (event) => {
      if (event.type !== 'module') return;
      const index = caseIndex.get(path.resolve(event.file));
      if (index === undefined) return;
      const outcome = classify({ ...event, tests: event.tests, errors: event.errors });
      const mutant = chosen[index];
      done += 1;
      const by = outcome.status === 'killed' ? `  by "${outcome.by}"` : '';
      const what =
        mutant === undefined
          ? 'the unchanged lesson'
          : `${mutant.file}:${mutant.line} ${mutant.operator}`;
      console.log(`  [${done}/${caseIndex.size}] ${outcome.status.padEnd(8)} ${what}${by}`);
    },
  });
  const byCase = new Map<number, ModuleResult>();
  for (const module of run.modules) {
    const index = caseIndex.get(path.resolve(module.file));
    if (index !== undefined) byCase.set(index, module);
  }
  const baseline = classify(byCase.get(-1));
  // Survivors still passed every check, but a kill may be the same failure: shown, not trusted.
  const referenceFailure =
    baseline.status === 'survived'
      ? undefined
      : `the unchanged lesson failed its own checks (${JSON.stringify(baseline)}): kills are not to be trusted, rerun`;
  if (referenceFailure !== undefined) {
    console.error(`Lesson ${lesson.id}: ${referenceFailure}`);
    process.exitCode = 1;
  }
  if (run.unhandled.length > 0)
    console.log(
      `  vitest reported ${run.unhandled.length} error(s) it could not tie to a mutant: ${firstLine(run.unhandled[0]?.message ?? '')}`,
    );
  const results: MutantResult[] = chosen.map((mutant, index) => ({
    ...mutant,
    outcome: outcomes.get(index) ?? classify(byCase.get(index)),
    seconds: seconds(
      byCase.get(index)?.tests.reduce((sum, test) => sum + (test.durationMs ?? 0), 0) ?? 0,
    ),
  }));
  report(lesson, results, equivalents, all.length, seconds(Date.now() - started), referenceFailure);
}

function report(
  lesson: LessonEntry,
  results: MutantResult[],
  equivalents: Equivalent[],
  generated: number,
  wallSeconds: number,
  referenceFailure?: string,
) {
  const isEquivalent = (result: MutantResult) =>
    equivalents.some((entry) => entry.id === result.id);
  const by = (status: Outcome['status']) =>
    results.filter((result) => result.outcome.status === status);
  const noCompile = by('no-compile');
  const errors = by('error');
  const equivalent = results.filter(
    (result) => result.outcome.status === 'survived' && isEquivalent(result),
  );
  const survived = by('survived').filter((result) => !isEquivalent(result));
  const killed = [...by('killed'), ...by('timeout')];
  // Equivalents that a run still killed were judged wrongly: they count as killed and are flagged.
  const misjudged = killed.filter(isEquivalent);
  const scored = killed.length + survived.length;
  const score = scored === 0 ? 0 : Math.round((1000 * killed.length) / scored) / 10;
  const stale = equivalents.filter((entry) => !results.some((result) => result.id === entry.id));
  const line = (result: MutantResult) =>
    `    ${result.file}:${result.line} ${result.operator}${result.region ? ` [exercise(${result.region})]` : ''}\n` +
    `      - ${result.before.replaceAll('\n', '\n        ')}\n` +
    `      + ${result.after.replaceAll('\n', '\n        ')}\n` +
    `      ${result.id}`;

  console.log(
    `\nLesson ${lesson.id}: ${killed.length}/${scored} killed (${score}%)` +
      ` — ${survived.length} survived, ${equivalent.length} equivalent, ${noCompile.length} did not compile` +
      `${errors.length ? `, ${errors.length} could not run` : ''}; ${wallSeconds} s`,
  );
  if (referenceFailure !== undefined) console.log(`  WARNING: ${referenceFailure}`);
  if (survived.length > 0) {
    console.log('  Survivors (mistakes every check lets through):');
    for (const result of survived) console.log(line(result));
  }
  if (equivalent.length > 0) {
    console.log('  Judged equivalent (test/mutation/equivalents.json):');
    for (const result of equivalent) {
      const reason = equivalents.find((entry) => entry.id === result.id)?.reason ?? '';
      console.log(`${line(result)}\n      why: ${reason}`);
    }
  }
  if (misjudged.length > 0) {
    console.log('  Listed as equivalent but killed (remove them from equivalents.json):');
    for (const result of misjudged) console.log(line(result));
  }
  if (noCompile.length > 0) {
    console.log('  Did not compile (not counted):');
    for (const result of noCompile)
      console.log(
        `    ${result.file}:${result.line} ${result.operator}: ${result.outcome.status === 'no-compile' ? result.outcome.problem : ''}`,
      );
  }
  if (errors.length > 0) {
    console.log('  Could not run (not counted):');
    for (const result of errors)
      console.log(
        `    ${result.file}:${result.line} ${result.operator}: ${result.outcome.status === 'error' ? result.outcome.problem : ''}`,
      );
  }
  if (stale.length > 0 && results.length === generated)
    console.log(
      `  equivalents.json lists ${stale.length} mutant(s) that no longer exist: ${stale.map((entry) => entry.id).join(', ')}`,
    );

  mkdirSync(OUTPUT, { recursive: true });
  const file = path.join(OUTPUT, `${lesson.id}.json`);
  writeFileSync(
    file,
    `${JSON.stringify(
      {
        lesson: lesson.id,
        folder: lesson.folder,
        referenceFailure,
        generated,
        ran: results.length,
        killed: killed.length,
        scored,
        score,
        survived: survived.length,
        equivalent: equivalent.length,
        noCompile: noCompile.length,
        errors: errors.length,
        wallSeconds,
        mutants: results.map((result) => ({
          ...result,
          equivalent: isEquivalent(result)
            ? equivalents.find((entry) => entry.id === result.id)?.reason
            : undefined,
        })),
      },
      null,
      2,
    )}\n`,
  );
  console.log(`  Report: ${path.relative(ROOT, file)}`);
}

async function main() {
  const { ids, options } = parseOptions();
  const chosen = ids.map((id) => {
    const lesson = findLesson(id);
    if (lesson === undefined || !existsSync(lessonPaths(lesson).reference)) {
      console.error(`There is no lesson "${id}" with programs yet.\n${USAGE}`);
      process.exit(1);
    }
    return lesson;
  });
  // Inside the repository, so the copies load as ES modules; workspace/ is git-ignored.
  const scratch = path.join(ROOT, 'workspace', `mutation-${process.pid}`);
  const cleanUp = () => rmSync(scratch, { recursive: true, force: true });
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      cleanUp();
      process.exit(130);
    });
  try {
    for (const lesson of chosen) await mutateLesson(lesson, options, scratch);
  } finally {
    cleanUp();
  }
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href)
  await main();

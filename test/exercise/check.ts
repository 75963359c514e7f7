// `npm run check -- <lesson> [--dir PATH] [--only] [--watch] [--hint]`: runs every
// check that concerns a lesson (its spec, test/NN-slug.test.ts, and its share of
// the cross-lesson files: see test/exercise/lesson-checks.ts) against the
// learner's copy, and says in plain words what passed, what failed and why.
// `npm run check` alone shows the learner's progress through the lessons.
//
// Hints: each exercise region (TODO) has its own. A failing run shows the hint
// reached for the TODO the first failure is about (see test/exercise/hints.ts),
// the first one the first time; each `--hint` moves that TODO on to its next
// hint, and after its last hint to the reference solution of that TODO only.
// Failing runs alone never use up hints, so --watch can rerun on every save
// without giving answers away.
//
// It imports neither the harness nor vitest: it starts in well under a second,
// and the checks run in a vitest child (test/exercise/run-checks.ts).

import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { lessons, type LessonEntry } from '../../lessons/manifest.ts';
import { ROOT } from '../paths.ts';
import { resolveLessonOrExit, shownDir } from './cli.ts';
import type { CheckError, TestOutcome } from './events.ts';
import { checkLine, describeError, failedLine, formatFailure, makeStyle } from './format.ts';
import { hintForFailure } from './hints.ts';
import { lessonPaths, missingPart } from './lesson-data.ts';
import { checkFiles, lessonOfCheck, namePattern } from './lesson-checks.ts';
import { readProgress, updateLesson } from './progress.ts';
import { watchCopies } from './watch.ts';
import { killRunPrograms, runChecks } from './run-checks.ts';

const USAGE = 'Usage: npm run check -- [lesson] [--dir PATH] [--only] [--watch] [--hint]';
const style = makeStyle();
const print = (line = '') => process.stdout.write(`${line}\n`);

export interface Target {
  lesson: LessonEntry;
  dir: string;
}

interface Request {
  /** The lesson asked for last; earlier lessons are rechecked before it. */
  targets: Target[];
  /** Earlier lessons that are not rechecked, and why. */
  skipped: string[];
}

/** The checks of one lesson in one run. */
interface LessonResult {
  target: Target;
  ran: TestOutcome[];
  failing: TestOutcome[];
}

/** What a run of the checks came to, before anything is printed. */
type Summary =
  | { kind: 'aborted' }
  | { kind: 'broken'; lesson: LessonEntry; errors: CheckError[]; otherOutput: string }
  | { kind: 'done'; main: LessonResult; earlier: LessonResult[]; firstFailure?: Failure };

interface Failure {
  target: Target;
  test: TestOutcome;
}

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

function main(): void {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        dir: { type: 'string' },
        only: { type: 'boolean', default: false },
        watch: { type: 'boolean', default: false },
        hint: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    fail(`${USAGE}\n${(error as Error).message}`);
  }
  const { positionals, values } = parsed;
  if (positionals.length > 1) fail(USAGE);
  const [name] = positionals;
  if (name === undefined) {
    printProgress();
    return;
  }
  const request = resolveRequest(resolveLessonOrExit(name, USAGE), values.dir, values.only);
  stopProgramsOnSignal();
  if (values.watch) {
    watchAndCheck(request, values.hint);
    return;
  }
  void checkOnce(request, values.hint, false).then((passed) => process.exit(passed ? 0 : 1));
}

/** The copy to check (the workspace's, or --dir) and the earlier lessons to recheck. */
function resolveRequest(
  lesson: LessonEntry,
  dirOption: string | undefined,
  only: boolean,
): Request {
  // npm runs scripts from the workbook's root; INIT_CWD is where the learner typed the command.
  const dir =
    dirOption === undefined
      ? lessonPaths(lesson).workspace
      : path.resolve(process.env.INIT_CWD ?? process.cwd(), dirOption);
  if (!existsSync(dir)) {
    fail(
      `There is no copy of lesson ${lesson.id} at ${shownDir(dir)}\nCreate one with: npm run exercise -- ${lesson.id}`,
    );
  }
  if (!statSync(dir).isDirectory()) {
    fail(
      `${path.relative(process.cwd(), dir) || dir} is a file: --dir takes the folder of your copy of lesson ${lesson.id} (e.g. workspace/${lesson.folder}).`,
    );
  }
  const targets: Target[] = [{ lesson, dir }];
  const skipped: string[] = [];
  if (!only) {
    for (const earlier of lessons.slice(0, lessons.indexOf(lesson))) {
      const copy = lessonPaths(earlier).workspace;
      if (missingPart(earlier) !== undefined) continue;
      if (existsSync(copy)) targets.unshift({ lesson: earlier, dir: copy });
      else skipped.push(`lesson ${earlier.id} (no copy in ${shownDir(copy)})`);
    }
  }
  return { targets, skipped };
}

/** Ctrl-C or SIGTERM: kill what the checks' programs started, then stop. */
function stopProgramsOnSignal(): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killRunPrograms();
      print();
      process.exit(signal === 'SIGINT' ? 130 : 143);
    });
  }
}

/** Runs the checks once, records progress and prints the results; true when every check passed. */
async function checkOnce(
  request: Request,
  advanceHint: boolean,
  watching: boolean,
  signal?: AbortSignal,
): Promise<boolean> {
  printHeader(request);
  const summary = await runLessonChecks(request.targets, signal);
  if (summary.kind === 'done') recordProgress(summary);
  return printSummary(summary, advanceHint, watching);
}

function printHeader({ targets, skipped }: Request): void {
  const main = mainTarget(targets);
  warnAboutCopy(main);
  print(
    style.bold(`Lesson ${main.lesson.id}, ${main.lesson.title}: checking ${shownDir(main.dir)}`),
  );
  const earlier = targets.slice(0, -1);
  if (earlier.length > 0) {
    print(
      style.dim(
        `Also rechecking ${earlier.map((target) => `lesson ${target.lesson.id} in ${shownDir(target.dir)}`).join(', ')} (--only skips this).`,
      ),
    );
  }
  if (skipped.length > 0) print(style.dim(`Not rechecked: ${skipped.join(', ')}.`));
  print();
}

function mainTarget(targets: readonly Target[]): Target {
  const main = targets.at(-1);
  if (main === undefined) throw new Error('no lesson to check');
  return main;
}

/** Runs every check of the targets' lessons in one vitest child and sorts the results by lesson. */
async function runLessonChecks(targets: Target[], signal?: AbortSignal): Promise<Summary> {
  const main = mainTarget(targets);
  const ids = targets.map((target) => target.lesson.id);
  const files = checkFiles([...targets].reverse().map((target) => target.lesson));
  const result = await runChecks({
    files,
    testNamePattern: namePattern(ids),
    lessonDirs: Object.fromEntries(targets.map((target) => [target.lesson.id, target.dir])),
    signal,
    onEvent: (event) => {
      if (
        event.type === 'test' &&
        event.test.state !== 'skipped' &&
        lessonOfCheck(event.test.fullName) === main.lesson.id
      ) {
        print(`  ${checkLine(tidy(event.test), style)}`);
      }
    },
  });
  if (result.aborted) return { kind: 'aborted' };
  // In the order of `files` (the lessons' own specs first), whatever order vitest ran them in.
  const order = (file: string) => files.indexOf(path.resolve(file));
  const tests = [...result.modules]
    .sort((a, b) => order(a.file) - order(b.file))
    .flatMap((module) => module.tests.map((test) => ({ ...test, file: test.file ?? module.file })));
  const ranOf = (target: Target) =>
    tests.filter(
      (test) => test.state !== 'skipped' && lessonOfCheck(test.fullName) === target.lesson.id,
    );
  // A spec that failed to load, or a lesson with no checks that ran, cannot be judged.
  const loadErrors = result.modules.flatMap((module) => module.errors);
  const broken = targets.find((target) => ranOf(target).length === 0);
  if (loadErrors.length > 0 || broken !== undefined) {
    return {
      kind: 'broken',
      lesson: (broken ?? main).lesson,
      errors: [...loadErrors, ...result.unhandled],
      otherOutput: result.otherOutput,
    };
  }
  const lessonResult = (target: Target): LessonResult => {
    const ran = ranOf(target);
    return { target, ran, failing: ran.filter((test) => test.state === 'failed') };
  };
  const mainResult = lessonResult(main);
  const earlier = targets.slice(0, -1).map(lessonResult);
  const withFailure = [mainResult, ...earlier].find((lesson) => lesson.failing.length > 0);
  const firstTest = withFailure?.failing[0];
  return {
    kind: 'done',
    main: mainResult,
    earlier,
    ...(withFailure &&
      firstTest && { firstFailure: { target: withFailure.target, test: firstTest } }),
  };
}

function recordProgress(summary: Extract<Summary, { kind: 'done' }>): void {
  for (const { target, ran, failing } of [summary.main, ...summary.earlier]) {
    updateLesson(target.lesson.id, {
      state: failing.length === 0 ? 'passed' : 'failing',
      passed: ran.length - failing.length,
      total: ran.length,
      dir: target.dir,
      checkedAt: new Date().toISOString(),
    });
  }
}

/** Prints what a run came to; true when every check passed. */
function printSummary(summary: Summary, advanceHint: boolean, watching: boolean): boolean {
  if (summary.kind === 'aborted') return false;
  if (summary.kind === 'broken') {
    print(style.fail(`The checks of lesson ${summary.lesson.id} could not run.`));
    for (const error of summary.errors)
      print(
        describeError(error, style)
          .map((line) => `  ${line}`)
          .join('\n'),
      );
    if (summary.otherOutput !== '') print(summary.otherOutput.split('\n').slice(-30).join('\n'));
    return false;
  }
  const { main, earlier, firstFailure } = summary;
  if (earlier.length > 0) print(`\n  Earlier lessons:`);
  for (const { target, ran, failing } of earlier) {
    const where = `lesson ${target.lesson.id} (${shownDir(target.dir)})`;
    print(
      failing.length === 0
        ? `  ${style.pass('✓')} ${where}: all ${ran.length} checks still pass`
        : `  ${style.fail('✗')} ${where}: ${failing.length} of ${ran.length} checks fail now`,
    );
    for (const test of failing) print(`      ${checkLine(tidy(test), style)}`);
  }
  print();
  const id = main.target.lesson.id;
  if (firstFailure === undefined) {
    print(
      style.pass(`All ${main.ran.length} checks of lesson ${id} pass.`) +
        (earlier.length > 0 ? ' Earlier lessons still pass too.' : ''),
    );
    if (advanceHint) print('No hint needed.');
    print(nextStep());
    return true;
  }
  printFailure(firstFailure, advanceHint);
  print();
  const passing = main.ran.length - main.failing.length;
  print(
    `${style.fail(`${passing} of ${main.ran.length} checks of lesson ${id} pass.`)} ` +
      (watching
        ? 'Save a file to check again.'
        : `Fix the first failing check, then run: npm run check -- ${id}`),
  );
  return false;
}

function printFailure({ target, test }: Failure, advanceHint: boolean): void {
  print(formatFailure(tidy(test), style, failingSource(test)).join('\n'));
  print();
  for (const line of hintForFailure(target.lesson, target.dir, test, advanceHint, style))
    print(line);
}

/** A check's title with paths inside the workbook shown relative to it, as the learner types them. */
function tidy(test: TestOutcome): TestOutcome {
  return { ...test, name: test.name.replaceAll(`${ROOT}${path.sep}`, '') };
}

/** The spec line that failed, so "Expected: 0" comes with `expect(result.exitCode, output).toBe(0)`. */
function failingSource(test: TestOutcome): { where: string; code: string } | undefined {
  const error = test.errors[0];
  const spec = test.file;
  if (error === undefined || spec === undefined) return undefined;
  const line = failedLine(error, spec);
  if (line === undefined) return undefined;
  const code = readFileSync(spec, 'utf8').split('\n')[line - 1];
  const where = `${path.relative(ROOT, spec).split(path.sep).join('/')}:${line}`;
  return code === undefined ? undefined : { where, code };
}

/** What to do after the checks pass: the first lesson that does not pass yet. */
function nextStep(): string {
  const progress = readProgress();
  for (const lesson of lessons) {
    if (progress.lessons[lesson.id]?.state === 'passed') continue;
    const missing = missingPart(lesson);
    if (missing !== undefined)
      return `Next: lesson ${lesson.id}, ${lesson.title}, is not ready yet (${missing}).`;
    return existsSync(lessonPaths(lesson).workspace)
      ? `Next: npm run check -- ${lesson.id}`
      : `Next: lesson ${lesson.id}, ${lesson.title}: npm run exercise -- ${lesson.id}`;
  }
  return 'Every lesson passes. Well done!';
}

/** `npm run check` with no lesson: each lesson's state, and the next step. */
function printProgress(): void {
  const progress = readProgress();
  print(style.bold('Your progress through the Sockets Workbook:'));
  const width = Math.max(...lessons.map((lesson) => lesson.title.length));
  for (const lesson of lessons) {
    const record = progress.lessons[lesson.id];
    const copy = lessonPaths(lesson).workspace;
    let mark = style.dim('·');
    let state: string;
    if (missingPart(lesson) !== undefined) state = style.dim('not written yet');
    else if (record?.state === 'passed') {
      mark = style.pass('✓');
      state = `passes (${record.total} checks) in ${shownDir(record.dir ?? copy)}`;
    } else if (record?.state === 'failing') {
      mark = style.fail('✗');
      state = `${record.passed} of ${record.total} checks pass in ${shownDir(record.dir ?? copy)}`;
    } else if (existsSync(copy)) state = `started in ${shownDir(copy)}, not checked yet`;
    else state = 'not started';
    if (record?.dir !== undefined && !existsSync(record.dir))
      state += style.dim(' (that copy is gone)');
    print(`  ${mark} ${lesson.id}  ${lesson.title.padEnd(width)}  ${state}`);
  }
  print();
  print(nextStep());
}

/** Warns about a copy that cannot work: programs missing, or a folder where .ts loads as CommonJS. */
function warnAboutCopy(target: Target): void {
  for (const program of target.lesson.programs) {
    if (!existsSync(path.join(target.dir, program.file)))
      print(style.fail(`Note: ${shownDir(target.dir)} has no ${program.file}.`));
  }
  if (!loadsAsModule(target.dir)) {
    print(
      style.fail(
        `Note: ${shownDir(target.dir)} is not inside a package with "type": "module", so Node loads its .ts files as CommonJS. Keep your copy inside the workbook (workspace/ is the place).`,
      ),
    );
  }
}

function loadsAsModule(dir: string): boolean {
  for (let current = dir; ; current = path.dirname(current)) {
    const manifest = path.join(current, 'package.json');
    if (existsSync(manifest)) {
      try {
        return (JSON.parse(readFileSync(manifest, 'utf8')) as { type?: string }).type === 'module';
      } catch {
        return false;
      }
    }
    if (path.dirname(current) === current) return false;
  }
}

/** --watch: check now, then again after each save (debounced); Ctrl-C stops. */
function watchAndCheck(request: Request, advanceHint: boolean): void {
  let running: AbortController | undefined;
  let again = false;
  let advance = advanceHint;
  let runs = 0;
  const run = async () => {
    const stop = new AbortController();
    running = stop;
    if (process.stdout.isTTY) process.stdout.write('\u001bc');
    else if (runs > 0) print(style.dim('\n--- a file changed: checking again ---\n'));
    runs += 1;
    await checkOnce(request, advance, true, stop.signal);
    running = undefined;
    if (stop.signal.aborted) return;
    advance = false;
    print(
      style.dim(
        `Watching ${request.targets.map((target) => shownDir(target.dir)).join(', ')} for changes. Ctrl-C stops.`,
      ),
    );
    if (again) {
      again = false;
      void run();
    }
  };
  watchCopies(
    request.targets.map((target) => target.dir),
    () => {
      if (running !== undefined) again = true;
      else void run();
    },
    (message) => print(style.dim(message)),
  );
  void run();
}

main();

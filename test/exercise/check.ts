// `npm run check -- <lesson> [--dir PATH] [--only] [--watch] [--hint]`: runs a
// lesson's checks (test/NN-slug.test.ts, the very spec `npm test` runs) against
// the learner's copy, and says in plain words what passed, what failed and why.
// `npm run check` alone shows the learner's progress through the lessons.
//
// Hints: each exercise region (TODO) has its own. A failing run shows the hint
// reached for the TODO the first failure is about (see test/exercise/hints.ts),
// the first one the first time; each `--hint` moves that TODO on to its next
// hint, and after its last hint to the reference solution of that TODO only.
// Failing runs alone never use up hints, so --watch can rerun on every save
// without giving answers away.

import { existsSync, readFileSync, watch } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { lessons, type LessonEntry } from '../../lessons/manifest.ts';
import { ROOT } from '../harness.ts';
import { resolveLessonOrExit, shownDir } from './cli.ts';
import type { TestOutcome } from './events.ts';
import {
  checkLine,
  describeError,
  failedLine,
  formatFailure,
  makeStyle,
  wantsColour,
} from './format.ts';
import { hintForFailure } from './hints.ts';
import { lessonPaths, missingPart } from './lesson-data.ts';
import { readProgress, updateLesson } from './progress.ts';
import { runChecks, type ModuleResult } from './run-checks.ts';

const USAGE = 'Usage: npm run check -- [lesson] [--dir PATH] [--only] [--watch] [--hint]';
const style = makeStyle(wantsColour());
const print = (line = '') => process.stdout.write(`${line}\n`);

interface Target {
  lesson: LessonEntry;
  dir: string;
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
    console.error(`${USAGE}\n${(error as Error).message}`);
    process.exit(1);
  }
  const { positionals, values } = parsed;
  if (positionals.length > 1) {
    console.error(USAGE);
    process.exit(1);
  }
  if (positionals.length === 0) {
    printProgress();
    return;
  }
  const lesson = resolveLessonOrExit(positionals[0]!, USAGE);
  // npm runs scripts from the workbook's root; INIT_CWD is where the learner typed the command.
  const dir =
    values.dir === undefined
      ? lessonPaths(lesson).workspace
      : path.resolve(process.env.INIT_CWD ?? process.cwd(), values.dir);
  if (!existsSync(dir)) {
    console.error(`There is no copy of lesson ${lesson.id} at ${shownDir(dir)}`);
    console.error(`Create one with: npm run exercise -- ${lesson.id}`);
    process.exit(1);
  }
  const targets = [{ lesson, dir }];
  const skipped: string[] = [];
  if (!values.only) {
    for (const earlier of lessons.slice(0, lessons.indexOf(lesson))) {
      const copy = lessonPaths(earlier).workspace;
      if (missingPart(earlier) !== undefined) continue;
      if (existsSync(copy)) targets.unshift({ lesson: earlier, dir: copy });
      else skipped.push(`lesson ${earlier.id} (no copy in ${shownDir(copy)})`);
    }
  }
  if (!values.watch) {
    void checkOnce(targets, skipped, values.hint, false).then((passed) =>
      process.exit(passed ? 0 : 1),
    );
    return;
  }
  watchAndCheck(targets, skipped, values.hint);
}

/** Runs the checks once and prints the results; true when every check passed. */
async function checkOnce(
  targets: Target[],
  skipped: string[],
  advanceHint: boolean,
  watching: boolean,
  signal?: AbortSignal,
): Promise<boolean> {
  const main = targets.at(-1)!;
  const earlier = targets.slice(0, -1);
  const mainSpec = lessonPaths(main.lesson).spec;
  warnAboutCopy(main);
  print(
    style.bold(`Lesson ${main.lesson.id}, ${main.lesson.title}: checking ${shownDir(main.dir)}`),
  );
  if (earlier.length > 0) {
    print(
      style.dim(
        `Also rechecking ${earlier.map((target) => `lesson ${target.lesson.id} in ${shownDir(target.dir)}`).join(', ')} (--only skips this).`,
      ),
    );
  }
  if (skipped.length > 0) print(style.dim(`Not rechecked: ${skipped.join(', ')}.`));
  print();

  const result = await runChecks({
    files: targets.map((target) => lessonPaths(target.lesson).spec),
    lessonDirs: Object.fromEntries(targets.map((target) => [target.lesson.id, target.dir])),
    signal,
    onEvent: (event) => {
      if (
        event.type === 'test' &&
        path.resolve(event.file) === mainSpec &&
        event.test.state !== 'skipped'
      ) {
        print(`  ${checkLine(tidy(event.test), style)}`);
      }
    },
  });

  const byLesson = new Map<string, ModuleResult | undefined>(
    targets.map((target) => [
      target.lesson.id,
      result.modules.find(
        (module) => path.resolve(module.file) === lessonPaths(target.lesson).spec,
      ),
    ]),
  );
  if (result.aborted) return false;
  const broken = targets.find((target) => {
    const module = byLesson.get(target.lesson.id);
    return module === undefined || module.errors.length > 0 || module.tests.length === 0;
  });
  if (broken !== undefined) {
    const module = byLesson.get(broken.lesson.id);
    print(style.fail(`The checks of lesson ${broken.lesson.id} could not run.`));
    for (const error of module?.errors ?? [])
      print(
        describeError(error, style)
          .map((line) => `  ${line}`)
          .join('\n'),
      );
    if (result.otherOutput !== '') print(result.otherOutput.split('\n').slice(-30).join('\n'));
    return false;
  }

  let firstFailure: { target: Target; test: TestOutcome } | undefined;
  for (const target of [main, ...earlier]) {
    const tests = byLesson.get(target.lesson.id)!.tests;
    const ran = tests.filter((test) => test.state !== 'skipped');
    const failing = ran.filter((test) => test.state === 'failed');
    const passed = ran.length - failing.length;
    updateLesson(target.lesson.id, {
      state: failing.length === 0 ? 'passed' : 'failing',
      passed,
      total: ran.length,
      dir: target.dir,
      checkedAt: new Date().toISOString(),
    });
    if (target !== main) {
      if (target === earlier[0]) print(`\n  Earlier lessons:`);
      print(
        failing.length === 0
          ? `  ${style.pass('✓')} lesson ${target.lesson.id} (${shownDir(target.dir)}): all ${ran.length} checks still pass`
          : `  ${style.fail('✗')} lesson ${target.lesson.id} (${shownDir(target.dir)}): ${failing.length} of ${ran.length} checks fail now`,
      );
      for (const test of failing) print(`      ${checkLine(tidy(test), style)}`);
    }
    if (firstFailure === undefined && failing.length > 0)
      firstFailure = { target, test: failing[0]! };
  }
  print();

  if (firstFailure === undefined) {
    const total = byLesson
      .get(main.lesson.id)!
      .tests.filter((test) => test.state !== 'skipped').length;
    print(
      style.pass(`All ${total} checks of lesson ${main.lesson.id} pass.`) +
        (earlier.length > 0 ? ' Earlier lessons still pass too.' : ''),
    );
    if (advanceHint) print('No hint needed.');
    print(nextStep());
    return true;
  }

  print(
    formatFailure(
      tidy(firstFailure.test),
      style,
      failingSource(firstFailure.target.lesson, firstFailure.test),
    ).join('\n'),
  );
  print();
  for (const line of hintForFailure(
    firstFailure.target.lesson,
    firstFailure.target.dir,
    firstFailure.test,
    advanceHint,
    style,
  ))
    print(line);
  const mainTests = byLesson.get(main.lesson.id)!.tests.filter((test) => test.state !== 'skipped');
  const passing = mainTests.filter((test) => test.state === 'passed').length;
  print();
  print(
    `${style.fail(`${passing} of ${mainTests.length} checks of lesson ${main.lesson.id} pass.`)} ` +
      (watching
        ? 'Save a file to check again.'
        : `Fix the first failing check, then run: npm run check -- ${main.lesson.id}`),
  );
  return false;
}

/** A check's title with paths inside the workbook shown relative to it, as the learner types them. */
function tidy(test: TestOutcome): TestOutcome {
  return { ...test, name: test.name.replaceAll(`${ROOT}${path.sep}`, '') };
}

/** The spec line that failed, so "Expected: 0" comes with `expect(result.exitCode, output).toBe(0)`. */
function failingSource(
  lesson: LessonEntry,
  test: TestOutcome,
): { where: string; code: string } | undefined {
  const spec = lessonPaths(lesson).spec;
  const error = test.errors[0];
  const line = error === undefined ? undefined : failedLine(error, spec);
  if (line === undefined) return undefined;
  const code = readFileSync(spec, 'utf8').split('\n')[line - 1];
  return code === undefined ? undefined : { where: `test/${lesson.folder}.test.ts:${line}`, code };
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
    if (existsSync(manifest))
      return (JSON.parse(readFileSync(manifest, 'utf8')) as { type?: string }).type === 'module';
    if (path.dirname(current) === current) return false;
  }
}

/** --watch: check now, then again after each save (debounced); Ctrl-C stops. */
function watchAndCheck(targets: Target[], skipped: string[], advanceHint: boolean): void {
  let lastPassed = false;
  let running = false;
  let again = false;
  let timer: NodeJS.Timeout | undefined;
  let advance = advanceHint;
  let runs = 0;
  const stop = new AbortController();
  const run = async () => {
    running = true;
    if (process.stdout.isTTY) process.stdout.write('\u001bc');
    else if (runs > 0) print(style.dim('\n--- a file changed: checking again ---\n'));
    runs += 1;
    lastPassed = await checkOnce(targets, skipped, advance, true, stop.signal);
    if (stop.signal.aborted) return;
    advance = false;
    running = false;
    print(
      style.dim(
        `Watching ${targets.map((target) => shownDir(target.dir)).join(', ')} for changes. Ctrl-C stops.`,
      ),
    );
    if (again) {
      again = false;
      void run();
    }
  };
  const onChange = (_event: string, file: string | Buffer | null) => {
    const name = path.basename(String(file ?? ''));
    if (name.startsWith('.') || name.endsWith('~') || name.endsWith('.swp')) return;
    clearTimeout(timer);
    timer = setTimeout(() => {
      if (running) again = true;
      else void run();
    }, 250);
  };
  const watchers = targets.map((target) => watch(target.dir, { recursive: true }, onChange));
  process.on('SIGINT', () => {
    stop.abort();
    for (const watcher of watchers) watcher.close();
    print();
    process.exit(lastPassed ? 0 : 1);
  });
  void run();
}

main();

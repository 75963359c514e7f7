// `npm run exercise -- <lesson> [--force]`: writes the learner's copy of a lesson
// to workspace/NN-slug/: the reference programs with each exercise region
// replaced by a TODO that throws, and the lesson text for reference.

import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { resolveLessonOrExit, shownDir } from './cli.ts';
import { copyLesson, lessonPaths, lessonRegions, starterTransform } from './lesson-data.ts';
import { makeStyle } from './format.ts';
import { resetLesson } from './progress.ts';

const USAGE = 'Usage: npm run exercise -- <lesson> [--force]   (e.g. npm run exercise -- 01)';

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: { force: { type: 'boolean', default: false } },
  });
} catch (error) {
  console.error(`${USAGE}\n${(error as Error).message}`);
  process.exit(1);
}
if (parsed.positionals.length !== 1) {
  console.error(USAGE);
  process.exit(1);
}

const style = makeStyle();
const lesson = resolveLessonOrExit(parsed.positionals[0] ?? '', USAGE);
const paths = lessonPaths(lesson);
const dest = paths.workspace;
const shown = shownDir(dest);

if (existsSync(dest)) {
  if (!parsed.values.force) {
    console.error(`${shown} already exists, and may hold your work: nothing was changed.`);
    console.error(`To check it:             npm run check -- ${lesson.id}`);
    console.error(
      `To start over (your changes there are lost): npm run exercise -- ${lesson.id} --force`,
    );
    process.exit(1);
  }
  rmSync(dest, { recursive: true, force: true });
}

let files: string[];
try {
  files = copyLesson(lesson, dest, { transform: starterTransform(lesson) });
} catch (error) {
  rmSync(dest, { recursive: true, force: true });
  console.error(
    `Could not create the starter for lesson ${lesson.id}: ${(error as Error).message}`,
  );
  process.exit(1);
}

// A new copy starts over: an old copy's results and hint counters do not apply to it.
resetLesson(lesson.id);

console.log(`Created ${style.bold(shown)}, your copy of lesson ${lesson.id}, ${lesson.title}:`);
const regionsByFile = new Map(lessonRegions(lesson).map((entry) => [entry.file, entry.regions]));
const width = Math.max(...files.map((file) => file.length));
for (const file of files) {
  const regions = regionsByFile.get(file) ?? [];
  const note =
    file === 'README.md'
      ? 'the lesson text, for reference'
      : regions.length === 0
        ? 'complete, as in the lesson'
        : `${regions.length} TODO${regions.length === 1 ? '' : 's'}: ${regions.map((region) => region.name).join(', ')}`;
  console.log(`  ${file.padEnd(width)}  ${style.dim(note)}`);
}
const fromOtherLessons = new Set(
  files
    .filter((file) => file.endsWith('.ts'))
    .flatMap((file) =>
      [
        ...readFileSync(path.join(dest, file), 'utf8').matchAll(
          /from '(?:\.\.\/)+(lessons\/[^']+)'/g,
        ),
      ].flatMap((match) => (match[1] === undefined ? [] : [match[1]])),
    ),
);
if (fromOtherLessons.size > 0) {
  console.log(
    `It uses the workbook's own ${[...fromOtherLessons].join(', ')}, not your copy of that lesson.`,
  );
}
console.log('');
console.log(`Write the code each TODO asks for (search for "TODO("), then check your work:`);
console.log(
  `  ${style.bold(`npm run check -- ${lesson.id}`)}          (add --watch to recheck on every save)`,
);

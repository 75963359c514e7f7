// The curriculum lint: the manifest, the lesson folders and the specs agree.
// A lesson missing its text, a program or its checks fails here, by name.

import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { lessons } from '../lessons/manifest.ts';
import { ROOT } from './harness.ts';
import { crossLessonFiles } from './exercise/lesson-checks.ts';
import { lessonPaths } from './exercise/lesson-data.ts';
import { LESSON_SUITE, SITE_SUITE, TOOLS_SUITE } from './suites.ts';

const lessonsDir = path.join(ROOT, 'lessons');
const foldersOnDisk = readdirSync(lessonsDir, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

describe('the lesson manifest', () => {
  test('lists every lesson folder on disk, in order, and nothing else', () => {
    expect(lessons.map((lesson) => lesson.folder)).toEqual(foldersOnDisk);
  });

  test('numbers lessons 01, 02, ... with folders named NN-slug', () => {
    lessons.forEach((lesson, index) => {
      expect(lesson.id).toBe(String(index + 1).padStart(2, '0'));
      expect(lesson.folder).toMatch(new RegExp(`^${lesson.id}-[a-z0-9]+(-[a-z0-9]+)*$`));
    });
  });

  describe.each(lessons.map((lesson) => [lesson.folder, lesson] as const))(
    '%s',
    (_folder, lesson) => {
      const folder = path.join(lessonsDir, lesson.folder);

      test('has its lesson text (README.md)', () => {
        expect(
          existsSync(path.join(folder, 'README.md')),
          `${lesson.folder}/README.md is missing`,
        ).toBe(true);
      });

      test('has every program the manifest names, with at least one server and one client, or a demo that runs alone', () => {
        for (const program of lesson.programs) {
          expect(
            existsSync(path.join(folder, program.file)),
            `${lesson.folder}/${program.file} is missing`,
          ).toBe(true);
        }
        if (lesson.programs.some((program) => program.role === 'demo')) return;
        expect(lesson.programs.some((program) => program.role === 'server')).toBe(true);
        expect(lesson.programs.some((program) => program.role === 'client')).toBe(true);
      });

      test('has its checks in test/NN-slug.test.ts', () => {
        const spec = path.join(ROOT, 'test', `${lesson.folder}.test.ts`);
        expect(existsSync(spec), `test/${lesson.folder}.test.ts is missing`).toBe(true);
      });
    },
  );
});

describe('the test suites', () => {
  /** A suite's include patterns as one test: `*` is any run of name characters, `[0-9]` a digit. */
  const matcherOf = (patterns: readonly string[]) => {
    const sources = patterns.map((pattern) =>
      pattern
        .replace(/[.+?^${}()|\\]/g, '\\$&')
        .replaceAll('[0-9]', '\\d')
        .replaceAll('*', '[^/]*'),
    );
    return new RegExp(`^(?:${sources.join('|')})$`);
  };
  const suites = [
    ['npm test', LESSON_SUITE],
    ['npm run test:tools', TOOLS_SUITE],
    ['npm run test:site', SITE_SUITE],
  ] as const;

  test('every test file runs in exactly one of npm test, test:tools and test:site', () => {
    const files = readdirSync(path.join(ROOT, 'test'), { recursive: true, encoding: 'utf8' })
      .filter((file) => file.endsWith('.test.ts'))
      .map((file) => `test/${file.split(path.sep).join('/')}`);
    const homes = files.map((file) => {
      const names = suites
        .filter(([, include]) => matcherOf(include).test(file))
        .map(([name]) => name);
      return `${file}: ${names.join(', ') || 'no suite'}`;
    });
    expect(homes.filter((home) => !/: [^,]+$/.test(home) || home.endsWith(': no suite'))).toEqual(
      [],
    );
  });

  test('every lesson spec and cross-lesson check file runs in npm test', () => {
    const lessonFiles = [
      ...lessons.map((lesson) => lessonPaths(lesson).spec),
      ...crossLessonFiles(),
    ].map((file) => path.relative(ROOT, file).split(path.sep).join('/'));
    const matcher = matcherOf(LESSON_SUITE);
    expect(lessonFiles.filter((file) => !matcher.test(file))).toEqual([]);
  });
});

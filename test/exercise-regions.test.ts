// The starter generator of exercise mode: finding exercise regions, replacing
// them with TODOs that throw, rejecting bad markers, and copying a lesson so
// its imports still resolve from the copy's place.

import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { Script } from 'node:vm';
import { afterAll, describe, expect, test } from 'vitest';
import { findLesson } from '../lessons/manifest.ts';
import { ROOT } from './harness.ts';
import { copyLesson, lessonRegions, starterTransform } from './exercise/lesson-data.ts';
import { nextHintStep } from './exercise/progress.ts';
import { findRegions, makeStarter, RegionError, rewriteImports } from './exercise/regions.ts';

const SOURCE = [
  "import net from 'node:net';",
  '',
  'function serve(socket) {',
  '  // exercise(echo-back): Write every chunk back to the client.',
  "  socket.on('data', (data) => {",
  '    socket.write(data);',
  '  });',
  '  // end exercise',
  "  console.log('serving');",
  '}',
  '// exercise(start): Listen on port 0.',
  'net.createServer(serve).listen(0);',
  '// end exercise',
  '',
].join('\n');

describe('findRegions', () => {
  test('finds each region with its name, task, indentation, lines and dedented solution', () => {
    const regions = findRegions(SOURCE, 'server.ts');
    expect(regions.map(({ name, task, indent, startLine, endLine }) => ({ name, task, indent, startLine, endLine }))).toEqual([
      { name: 'echo-back', task: 'Write every chunk back to the client.', indent: '  ', startLine: 4, endLine: 8 },
      { name: 'start', task: 'Listen on port 0.', indent: '', startLine: 11, endLine: 13 },
    ]);
    expect(regions[0]!.solution).toBe("socket.on('data', (data) => {\n  socket.write(data);\n});");
  });

  test('finds nothing in a file without markers', () => {
    expect(findRegions("console.log('hi');\n", 'plain.ts')).toEqual([]);
  });

  test.each([
    ['a start marker with no end', '// exercise(a): Do it.\nx();\n', /a\.ts:1: exercise\(a\) has no "\/\/ end exercise"/],
    ['an end marker with no start', 'x();\n// end exercise\n', /a\.ts:2: "\/\/ end exercise" with no/],
    ['a region inside a region', '// exercise(a): A.\n// exercise(b): B.\nx();\n// end exercise\n', /a\.ts:2: exercise\(b\) starts inside exercise\(a\)/],
    ['two regions with one name', '// exercise(a): A.\nx();\n// end exercise\n// exercise(a): A.\ny();\n// end exercise\n', /a\.ts:4: a second region named exercise\(a\)/],
    ['an empty region', '// exercise(a): A.\n// end exercise\n', /a\.ts:2: exercise\(a\) is empty/],
    ['a marker without its task', '// exercise(a):\nx();\n// end exercise\n', /a\.ts:1: malformed exercise marker/],
    ['a name that is not kebab-case', '// exercise(Echo_Back): A.\nx();\n// end exercise\n', /a\.ts:1: malformed exercise marker/],
    ['a misspelt end marker', '// exercise(a): A.\nx();\n// end exercises\n', /a\.ts:3: malformed exercise marker/],
  ])('rejects %s, naming the file and line', (_what, text, message) => {
    expect(() => findRegions(text, 'a.ts')).toThrow(RegionError);
    expect(() => findRegions(text, 'a.ts')).toThrow(message);
  });
});

describe('makeStarter', () => {
  test('replaces each region with a TODO comment and a throw, at the marker\'s indentation', () => {
    expect(makeStarter(SOURCE, 'lessons/01-x/server.ts')).toBe(
      [
        "import net from 'node:net';",
        '',
        'function serve(socket) {',
        '  // TODO(echo-back): Write every chunk back to the client.',
        "  throw new Error('TODO(echo-back): write this part of server.ts');",
        "  console.log('serving');",
        '}',
        '// TODO(start): Listen on port 0.',
        "throw new Error('TODO(start): write this part of server.ts');",
        '',
      ].join('\n'),
    );
  });

  test('leaves a file without regions unchanged, and keeps CRLF line endings', () => {
    expect(makeStarter("a();\nb();\n", 'a.ts')).toBe("a();\nb();\n");
    const crlf = SOURCE.replaceAll('\n', '\r\n');
    const starter = makeStarter(crlf, 'server.ts');
    expect(starter).toContain("  // TODO(echo-back): Write every chunk back to the client.\r\n  throw new Error(");
    expect(starter.replaceAll('\r\n', '')).not.toContain('\n');
  });

  test('produces code that still parses, with quotes in the file name escaped', () => {
    const starter = makeStarter(SOURCE.replace("import net from 'node:net';", "const net = require('node:net');"), "it's.ts");
    expect(() => new Script(starter)).not.toThrow();
    expect(starter).toContain("throw new Error('TODO(start): write this part of it\\'s.ts');");
  });

  test('throws the same RegionError as findRegions for bad markers', () => {
    expect(() => makeStarter('// exercise(a): A.\nx();\n', 'a.ts')).toThrow(RegionError);
  });
});

describe('rewriteImports', () => {
  const lesson = path.join(ROOT, 'lessons', '04-app');
  const from = path.join(lesson, 'app-server.ts');
  const text = [
    "import net from 'node:net';",
    "import { parseArgsOrExit } from '../../shared/args.ts';",
    "import { MessageDecoder } from '../03-framing/frame.ts';",
    "import { Message } from './message.ts';",
    "export { encodeJson } from \"../03-framing/frame.ts\";",
    "const codec = await import('../03-framing/frame.ts');",
  ].join('\n');

  test('keeps imports within the lesson and of shared/ as they are for a copy in workspace/', () => {
    const rewritten = rewriteImports(text, from, path.join(ROOT, 'workspace', '04-app', 'app-server.ts'), lesson);
    expect(rewritten.split('\n')).toEqual([
      "import net from 'node:net';",
      "import { parseArgsOrExit } from '../../shared/args.ts';",
      "import { MessageDecoder } from '../../lessons/03-framing/frame.ts';",
      "import { Message } from './message.ts';",
      'export { encodeJson } from "../../lessons/03-framing/frame.ts";',
      "const codec = await import('../../lessons/03-framing/frame.ts');",
    ]);
  });

  test('reaches shared/ and other lessons from a deeper copy', () => {
    const rewritten = rewriteImports(text, from, path.join(ROOT, 'workspace', 'tmp', '04-app', 'app-server.ts'), lesson);
    expect(rewritten).toContain("from '../../../shared/args.ts'");
    expect(rewritten).toContain("from '../../../lessons/03-framing/frame.ts'");
    expect(rewritten).toContain("from './message.ts'");
  });
});

describe('copyLesson with the starter transform (lesson 01)', () => {
  const lesson = findLesson('01')!;
  const dest = path.join(ROOT, 'workspace', `.test-regions-${process.pid}`, lesson.folder);
  afterAll(() => rmSync(path.dirname(dest), { recursive: true, force: true }));

  test('writes the programs with TODOs in place of every region, and the lesson text, but not hints.json', () => {
    const files = copyLesson(lesson, dest, { transform: starterTransform(lesson) });
    expect(files).toContain('README.md');
    expect(files).not.toContain('hints.json');
    expect(existsSync(path.join(dest, 'hints.json'))).toBe(false);
    for (const { file, regions } of lessonRegions(lesson)) {
      const copy = readFileSync(path.join(dest, file), 'utf8');
      expect(copy).not.toMatch(/\/\/ (end )?exercise/);
      for (const region of regions) expect(copy).toContain(`// TODO(${region.name}): ${region.task}`);
      expect(copy).toContain("from '../../../shared/");
    }
  });
});

describe('nextHintStep', () => {
  test('a failing run shows the first hint, then keeps showing the hint reached', () => {
    expect(nextHintStep(0, 3, false)).toEqual({ step: { kind: 'hint', index: 1, total: 3 }, hintsShown: 1 });
    expect(nextHintStep(2, 3, false)).toEqual({ step: { kind: 'hint', index: 2, total: 3 }, hintsShown: 2 });
  });

  test('--hint walks to the next hint, then to the reference solution, and stays there', () => {
    expect(nextHintStep(0, 3, true)).toEqual({ step: { kind: 'hint', index: 1, total: 3 }, hintsShown: 1 });
    expect(nextHintStep(1, 3, true)).toEqual({ step: { kind: 'hint', index: 2, total: 3 }, hintsShown: 2 });
    expect(nextHintStep(3, 3, true)).toEqual({ step: { kind: 'solution' }, hintsShown: 4 });
    expect(nextHintStep(4, 3, true)).toEqual({ step: { kind: 'solution' }, hintsShown: 4 });
    expect(nextHintStep(4, 3, false)).toEqual({ step: { kind: 'solution' }, hintsShown: 4 });
  });

  test('a lesson without hints has nothing to show', () => {
    expect(nextHintStep(0, 0, true).step).toEqual({ kind: 'none' });
  });
});

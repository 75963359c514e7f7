// The starter generator of exercise mode: finding exercise regions, replacing
// them with TODOs that throw, rejecting bad markers, and copying a lesson so
// its imports still resolve from the copy's place. And the hints of each region:
// which TODO a failing check is about, and walking that TODO's hints to its
// solution without giving the other TODOs away.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Script } from 'node:vm';
import { afterAll, afterEach, beforeEach, describe, expect, test } from 'vitest';
import { findLesson } from '../lessons/manifest.ts';
import { ROOT } from './paths.ts';
import type { TestOutcome } from './exercise/events.ts';
import { makeStyle } from './exercise/format.ts';
import { chooseRegion, hintForFailure, hintLines } from './exercise/hints.ts';
import {
  copyLesson,
  lessonRegions,
  loadHints,
  starterTransform,
  type FileRegions,
} from './exercise/lesson-data.ts';
import { nextHintStep, readProgress } from './exercise/progress.ts';
import {
  findRegions,
  makeStarter,
  RegionError,
  rewriteImports,
  todoLines,
} from './exercise/regions.ts';

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
    expect(
      regions.map(({ name, task, indent, startLine, endLine }) => ({
        name,
        task,
        indent,
        startLine,
        endLine,
      })),
    ).toEqual([
      {
        name: 'echo-back',
        task: 'Write every chunk back to the client.',
        indent: '  ',
        startLine: 4,
        endLine: 8,
      },
      { name: 'start', task: 'Listen on port 0.', indent: '', startLine: 11, endLine: 13 },
    ]);
    expect(regions[0]!.solution).toBe("socket.on('data', (data) => {\n  socket.write(data);\n});");
  });

  test('joins a task that goes on over comment lines indented by three spaces, and wraps its TODO', () => {
    const task = [
      '  // exercise(echo-back): Write every chunk back to the client, in the order it came,',
      '  //   and close your side when the client closes its side.',
      '  // TCP is a byte stream: this comment belongs to the solution.',
      '  socket.pipe(socket);',
      '  // end exercise',
    ].join('\n');
    const [found] = findRegions(task, 'server.ts');
    expect(found?.task).toBe(
      'Write every chunk back to the client, in the order it came, and close your side when the client closes its side.',
    );
    expect(found?.markerLines).toBe(2);
    expect(found?.solution).toBe(
      '// TCP is a byte stream: this comment belongs to the solution.\nsocket.pipe(socket);',
    );
    const todo = todoLines(found!, 'server.ts');
    expect(todo.slice(0, -1)).toEqual([
      '  // TODO(echo-back): Write every chunk back to the client, in the order it came, and',
      '  //   close your side when the client closes its side.',
    ]);
    expect(Math.max(...todo.slice(0, -1).map((line) => line.length))).toBeLessThanOrEqual(88);
  });

  test('finds nothing in a file without markers', () => {
    expect(findRegions("console.log('hi');\n", 'plain.ts')).toEqual([]);
  });

  test.each([
    [
      'a start marker with no end',
      '// exercise(a): Do it.\nx();\n',
      /a\.ts:1: exercise\(a\) has no "\/\/ end exercise"/,
    ],
    [
      'an end marker with no start',
      'x();\n// end exercise\n',
      /a\.ts:2: "\/\/ end exercise" with no/,
    ],
    [
      'a region inside a region',
      '// exercise(a): A.\n// exercise(b): B.\nx();\n// end exercise\n',
      /a\.ts:2: exercise\(b\) starts inside exercise\(a\)/,
    ],
    [
      'two regions with one name',
      '// exercise(a): A.\nx();\n// end exercise\n// exercise(a): A.\ny();\n// end exercise\n',
      /a\.ts:4: a second region named exercise\(a\)/,
    ],
    ['an empty region', '// exercise(a): A.\n// end exercise\n', /a\.ts:2: exercise\(a\) is empty/],
    [
      'a marker without its task',
      '// exercise(a):\nx();\n// end exercise\n',
      /a\.ts:1: malformed exercise marker/,
    ],
    [
      'a name that is not kebab-case',
      '// exercise(Echo_Back): A.\nx();\n// end exercise\n',
      /a\.ts:1: malformed exercise marker/,
    ],
    [
      'a misspelt end marker',
      '// exercise(a): A.\nx();\n// end exercises\n',
      /a\.ts:3: malformed exercise marker/,
    ],
  ])('rejects %s, naming the file and line', (_what, text, message) => {
    expect(() => findRegions(text, 'a.ts')).toThrow(RegionError);
    expect(() => findRegions(text, 'a.ts')).toThrow(message);
  });
});

describe('makeStarter', () => {
  test("replaces each region with a TODO comment and a throw, at the marker's indentation", () => {
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
    expect(makeStarter('a();\nb();\n', 'a.ts')).toBe('a();\nb();\n');
    const crlf = SOURCE.replaceAll('\n', '\r\n');
    const starter = makeStarter(crlf, 'server.ts');
    expect(starter).toContain(
      '  // TODO(echo-back): Write every chunk back to the client.\r\n  throw new Error(',
    );
    expect(starter.replaceAll('\r\n', '')).not.toContain('\n');
  });

  test('produces code that still parses, with quotes in the file name escaped', () => {
    const starter = makeStarter(
      SOURCE.replace("import net from 'node:net';", "const net = require('node:net');"),
      "it's.ts",
    );
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
    'export { encodeJson } from "../03-framing/frame.ts";',
    "const codec = await import('../03-framing/frame.ts');",
  ].join('\n');

  test('keeps imports within the lesson and of shared/ as they are for a copy in workspace/', () => {
    const rewritten = rewriteImports(
      text,
      from,
      path.join(ROOT, 'workspace', '04-app', 'app-server.ts'),
      lesson,
    );
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
    const rewritten = rewriteImports(
      text,
      from,
      path.join(ROOT, 'workspace', 'tmp', '04-app', 'app-server.ts'),
      lesson,
    );
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
      for (const region of regions) expect(copy).toContain(todoLines(region, file).join('\n'));
      expect(copy).toContain("from '../../../shared/");
    }
  });
});

describe('nextHintStep', () => {
  test('a failing run shows the first hint, then keeps showing the hint reached', () => {
    expect(nextHintStep(0, 3, false)).toEqual({
      step: { kind: 'hint', index: 1, total: 3 },
      hintsShown: 1,
    });
    expect(nextHintStep(2, 3, false)).toEqual({
      step: { kind: 'hint', index: 2, total: 3 },
      hintsShown: 2,
    });
  });

  test('--hint walks to the next hint, then to the reference solution, and stays there', () => {
    expect(nextHintStep(0, 3, true)).toEqual({
      step: { kind: 'hint', index: 1, total: 3 },
      hintsShown: 1,
    });
    expect(nextHintStep(1, 3, true)).toEqual({
      step: { kind: 'hint', index: 2, total: 3 },
      hintsShown: 2,
    });
    expect(nextHintStep(3, 3, true)).toEqual({ step: { kind: 'solution' }, hintsShown: 4 });
    expect(nextHintStep(4, 3, true)).toEqual({ step: { kind: 'solution' }, hintsShown: 4 });
    expect(nextHintStep(4, 3, false)).toEqual({ step: { kind: 'solution' }, hintsShown: 4 });
  });

  test('a lesson without hints has nothing to show', () => {
    expect(nextHintStep(0, 0, true).step).toEqual({ kind: 'none' });
  });
});

/** A region as findRegions returns it, for the region-choice tests. */
function region(name: string, solution = `${name}();`) {
  return {
    name,
    task: `Write ${name}.`,
    indent: '  ',
    startLine: 1,
    endLine: 3,
    markerLines: 1,
    solution,
  };
}

const APP: FileRegions[] = [
  { file: 'client-message.ts', regions: [region('show-result')] },
  { file: 'server-message.ts', regions: [region('search-answer'), region('read-request')] },
];
const STARTER: Record<string, string> = {
  'client-message.ts':
    "throw new Error('TODO(show-result): write this part of client-message.ts');",
  'server-message.ts':
    "throw new Error('TODO(search-answer): ...');\nthrow new Error('TODO(read-request): ...');",
};
const starterCopy = (file: string) => STARTER[file];
const choice = (output: string, copy: (file: string) => string | undefined = starterCopy) => {
  const chosen = chooseRegion(APP, output, copy);
  return chosen && { file: chosen.file, name: chosen.region.name, why: chosen.why };
};

describe('chooseRegion', () => {
  test("takes the region hints.json's checks map names for the failing check before any guess", () => {
    const output = 'AssertionError: expected 1 to be 0\n    at /w/client-message.ts:3:1';
    expect(chooseRegion(APP, output, () => undefined, 'read-request')).toMatchObject({
      file: 'server-message.ts',
      region: { name: 'read-request' },
      why: 'check-map',
    });
    expect(chooseRegion(APP, output, () => undefined, 'no-such-region')?.why).toBe(
      'file-in-output',
    );
    // A TODO stub the output shows is no guess: it comes first.
    const todo = 'Error: TODO(show-result): write this part of client-message.ts';
    expect(chooseRegion(APP, todo, () => undefined, 'read-request')?.why).toBe('todo-in-output');
  });

  test('picks the region whose TODO(name) the failing output shows, the earliest shown first', () => {
    const output = [
      '--- app-server.ts 127.0.0.1 0 (exit code 1)',
      '  stderr:',
      '    Error: TODO(search-answer): write this part of server-message.ts',
      '--- app-client.ts 127.0.0.1 1234 (exit code 1)',
      '  stderr:',
      '    Error: TODO(show-result): write this part of client-message.ts',
    ].join('\n');
    expect(choice(output)).toEqual({
      file: 'server-message.ts',
      name: 'search-answer',
      why: 'todo-in-output',
    });
    expect(choice('Error: TODO(show-result): write this part')).toEqual({
      file: 'client-message.ts',
      name: 'show-result',
      why: 'todo-in-output',
    });
  });

  test('otherwise picks a region of the file the output names, a stack frame before a mere mention', () => {
    const done = (file: string) => `// ${file}, written by the learner`;
    expect(
      choice('TypeError: x is undefined\n    at read (/w/04-app/server-message.ts:101:7)', done),
    ).toEqual({
      file: 'server-message.ts',
      name: 'search-answer',
      why: 'file-in-output',
    });
    const both =
      '--- client-message.ts (exit code 1)\n  stderr:\n    at show (/w/server-message.ts:55:9)';
    expect(choice(both, done)).toMatchObject({ file: 'server-message.ts', why: 'file-in-output' });
    expect(choice('--- node client-message.ts (exit code 1)', done)).toMatchObject({
      file: 'client-message.ts',
      why: 'file-in-output',
    });
  });

  test('in the named file, prefers a region whose TODO is still in the copy', () => {
    const halfDone = (file: string) =>
      file === 'server-message.ts' ? "throw new Error('TODO(read-request): ...');" : '';
    expect(choice('at x (/w/server-message.ts:3:1)', halfDone)).toEqual({
      file: 'server-message.ts',
      name: 'read-request',
      why: 'file-in-output',
    });
  });

  test('does not take server-message.ts for message.ts, nor TODO(read-requests) for TODO(read-request)', () => {
    const files: FileRegions[] = [
      { file: 'message.ts', regions: [region('read-request')] },
      { file: 'server-message.ts', regions: [region('answer')] },
    ];
    const chosen = chooseRegion(
      files,
      'Error: TODO(read-requests)\n    at y (/w/server-message.ts:117:47)',
      () => 'done',
    );
    expect(chosen && { file: chosen.file, name: chosen.region.name, why: chosen.why }).toEqual({
      file: 'server-message.ts',
      name: 'answer',
      why: 'file-in-output',
    });
  });

  test('falls back to the first TODO still in the copy, then to the first region', () => {
    expect(choice('the check gave up after 30 s')).toEqual({
      file: 'client-message.ts',
      name: 'show-result',
      why: 'unfinished',
    });
    const onlySearchLeft = (file: string) =>
      file === 'server-message.ts' ? "throw new Error('TODO(search-answer): ...');" : 'done';
    expect(choice('expected 1 to be 0', onlySearchLeft)).toEqual({
      file: 'server-message.ts',
      name: 'search-answer',
      why: 'unfinished',
    });
    expect(choice('expected 1 to be 0', () => undefined)).toEqual({
      file: 'client-message.ts',
      name: 'show-result',
      why: 'first',
    });
    expect(chooseRegion([], 'Error: TODO(x)', starterCopy)).toBeUndefined();
  });
});

describe('hintLines', () => {
  const lesson = findLesson('04')!;
  const chosen = {
    file: 'server-message.ts',
    region: region('search-answer', 'return answer;'),
    why: 'todo-in-output' as const,
  };
  const plainStyle = makeStyle(false);

  test('names the TODO a hint is about, and what --hint shows next', () => {
    expect(
      hintLines(
        lesson,
        chosen,
        ['First?', 'Second?'],
        { kind: 'hint', index: 1, total: 2 },
        plainStyle,
      ),
    ).toEqual([
      "Hint 1 of 2 for TODO(search-answer) in server-message.ts (the failing check's output shows it): First?",
      '  (npm run check -- 04 --hint shows the next hint for this TODO)',
    ]);
    expect(
      hintLines(
        lesson,
        chosen,
        ['First?', 'Second?'],
        { kind: 'hint', index: 2, total: 2 },
        plainStyle,
      )[1],
    ).toBe('  (npm run check -- 04 --hint shows the reference solution of this TODO)');
  });

  test('after the last hint shows the solution of that one region', () => {
    const lines = hintLines(lesson, chosen, ['First?'], { kind: 'solution' }, plainStyle);
    expect(lines[0]).toBe(
      "The reference solution of TODO(search-answer) in server-message.ts (the failing check's output shows it), from lessons/04-app/server-message.ts:",
    );
    expect(lines).toContain('    return answer;');
  });
});

describe('hintForFailure (lesson 04, a scratch progress file)', () => {
  const lesson = findLesson('04')!;
  const plainStyle = makeStyle(false);
  const solutions = Object.fromEntries(
    lessonRegions(lesson).flatMap((entry) => entry.regions.map((r) => [r.name, r.solution])),
  );
  const hints = loadHints(lesson);
  let scratch: string;
  const saved = process.env.WORKBOOK_PROGRESS_FILE;
  beforeEach(() => {
    scratch = mkdtempSync(path.join(tmpdir(), 'workbook-hints-'));
    process.env.WORKBOOK_PROGRESS_FILE = path.join(scratch, 'progress.json');
  });
  afterEach(() => {
    if (saved === undefined) delete process.env.WORKBOOK_PROGRESS_FILE;
    else process.env.WORKBOOK_PROGRESS_FILE = saved;
    rmSync(scratch, { recursive: true, force: true });
  });

  const failing = (stderr: string): TestOutcome => ({
    name: 'app-client gets each search answer',
    fullName: 'app-client gets each search answer',
    state: 'failed',
    errors: [
      {
        message: `\n--- app-server.ts 127.0.0.1 0 (exit code 1)\n  stderr:\n    ${stderr}: expected 1 to be 0`,
      },
    ],
  });
  const searchFails = failing('Error: TODO(search-answer): write this part of server-message.ts');
  const noCopy = path.join(ROOT, 'workspace', '.no-such-copy');

  test("walks only the failing TODO's hints, then shows only its solution", () => {
    const total = hints['search-answer']!.length;
    expect(hintForFailure(lesson, noCopy, searchFails, false, plainStyle)[0]).toContain(
      `Hint 1 of ${total} for TODO(search-answer) in server-message.ts`,
    );
    for (let index = 2; index <= total; index++) {
      expect(hintForFailure(lesson, noCopy, searchFails, true, plainStyle)[0]).toContain(
        `Hint ${index} of ${total} for TODO(search-answer)`,
      );
    }
    const solution = hintForFailure(lesson, noCopy, searchFails, true, plainStyle).join('\n');
    expect(solution).toContain(
      'The reference solution of TODO(search-answer) in server-message.ts',
    );
    for (const line of solutions['search-answer']!.split('\n')) expect(solution).toContain(line);
    expect(solution).not.toContain(solutions['read-request']!.split('\n').at(-1)!);
    expect(solution).not.toContain(solutions['show-result']!.split('\n').at(-1)!);
    expect(solution).not.toContain('TODO(read-request)');

    // Another TODO failing starts at its own first hint: --hint moves only the region it is about.
    const readFails = failing('Error: TODO(read-request): write this part of server-message.ts');
    expect(hintForFailure(lesson, noCopy, readFails, false, plainStyle)[0]).toContain('Hint 1 of');
    expect(hintForFailure(lesson, noCopy, readFails, true, plainStyle)[0]).toContain('Hint 2 of');
    expect(readProgress().lessons['04']?.regionHints).toEqual({
      'search-answer': total + 1,
      'read-request': 2,
    });
  });

  test('ignores the old per-lesson hint counter, and drops it', () => {
    writeFileSync(
      process.env.WORKBOOK_PROGRESS_FILE!,
      JSON.stringify({ lessons: { '04': { state: 'failing', hintsShown: 5 } } }),
    );
    expect(hintForFailure(lesson, noCopy, searchFails, false, plainStyle)[0]).toContain(
      'Hint 1 of',
    );
    const record = readProgress().lessons['04']!;
    expect(record.hintsShown).toBeUndefined();
    expect(record.state).toBe('failing');
    expect(record.regionHints).toEqual({ 'search-answer': 1 });
  });
});

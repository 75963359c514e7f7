// How `npm run check` words its results: check lines, the parts of a failure
// message (the check's words, the transcripts from outputOf, vitest's comparison),
// and the failure block a beginner reads. No colour unless asked for.

import { describe, expect, test } from 'vitest';
import { EVENT_PREFIX, type CheckError, type TestOutcome } from './exercise/events.ts';
import { clipText } from './exercise/reporter.ts';
import { parseEvent } from './exercise/run-checks.ts';
import {
  checkLine,
  collapseStacks,
  describeError,
  failedLine,
  formatFailure,
  makeStyle,
  shortenLines,
  splitMessage,
} from './exercise/format.ts';
import type { Transcript } from './transcript.ts';

const plain = makeStyle(false);

const TRANSCRIPTS: Transcript[] = [
  {
    command: 'echo-client.ts 127.0.0.1 38247',
    status: 'exit code 1',
    stdout: ['Connected to 127.0.0.1:38247'],
    stderr: ['Error: TODO(send-and-finish): write this part of echo-client.ts'],
  },
  {
    command: 'echo-server.ts 127.0.0.1 0',
    status: 'still running',
    stdout: ['Listening on 127.0.0.1:38247'],
    stderr: [],
  },
];

const EXIT_CODE_FAILURE: CheckError = {
  name: 'AssertionError',
  message: 'expected 1 to be 0 // Object.is equality',
  expected: '0',
  actual: '1',
  diff: '- Expected\n+ Received\n\n- 0\n+ 1',
  stack:
    'AssertionError: ...\n    at /work/main/test/01-echo.test.ts:17:40\n    at processTicksAndRejections (node:internal)',
};

function outcome(
  name: string,
  state: TestOutcome['state'],
  errors: CheckError[] = [],
): TestOutcome {
  return { name, fullName: `lesson > ${name}`, state, errors };
}

describe('checkLine', () => {
  test('marks a passing check ✓, a failing one ✗, and one that did not run with -', () => {
    expect(checkLine(outcome('echoes', 'passed'), plain)).toBe('✓ echoes');
    expect(checkLine(outcome('echoes', 'failed'), plain)).toBe('✗ echoes');
    expect(checkLine(outcome('echoes', 'skipped'), plain)).toBe('- echoes (not run)');
  });

  test('has colour codes only when colour is on', () => {
    expect(checkLine(outcome('echoes', 'failed'), makeStyle(true))).toBe(
      '\u001b[31m✗\u001b[39m echoes',
    );
    expect(describeError(EXIT_CODE_FAILURE, plain).join('\n')).not.toContain('\u001b[');
  });
});

describe('splitMessage', () => {
  test("splits the check's own words from vitest's comparison", () => {
    expect(splitMessage('the echoed bytes differ: expected false to be true')).toEqual({
      lead: 'the echoed bytes differ',
      assertion: 'expected false to be true',
    });
    expect(splitMessage('expected 2 to be 3')).toEqual({
      lead: '',
      assertion: 'expected 2 to be 3',
    });
    expect(splitMessage('connect ECONNREFUSED 127.0.0.1:1')).toEqual({
      lead: 'connect ECONNREFUSED 127.0.0.1:1',
      assertion: undefined,
    });
  });
});

describe('describeError', () => {
  test("shows a one-line comparison as Expected/Got, then each program's output with stderr marked", () => {
    expect(describeError(EXIT_CODE_FAILURE, plain, TRANSCRIPTS)).toEqual([
      'Expected: 0',
      'Got:      1',
      '',
      'What the programs printed:',
      '  echo-client.ts 127.0.0.1 38247  (exit code 1)',
      '    Connected to 127.0.0.1:38247',
      '    stderr: Error: TODO(send-and-finish): write this part of echo-client.ts',
      '  echo-server.ts 127.0.0.1 0  (still running)',
      '    Listening on 127.0.0.1:38247',
    ]);
  });

  test("shows a many-line comparison as vitest's diff, without its header", () => {
    const error: CheckError = {
      message: 'expected [ Array(2) ] to deeply equal [ Array(2) ]',
      expected: '[\n  "a",\n  "b",\n]',
      actual: '[\n  "a",\n  "c",\n]',
      diff: '- Expected\n+ Received\n\n  [\n    "a",\n-   "b",\n+   "c",\n  ]',
    };
    expect(describeError(error, plain).slice(0, 6)).toEqual([
      'What the check expected (-) and what it got (+):',
      '    [',
      '      "a",',
      '  -   "b",',
      '  +   "c",',
      '    ]',
    ]);
  });

  test('puts a timeout in plain words', () => {
    const lines = describeError(
      { message: 'Test timed out in 30000ms.\nIf this is a long-running test, ...' },
      plain,
    );
    expect(lines[0]).toMatch(/^The check gave up after 30 s: a program is probably waiting/);
  });

  test("falls back to vitest's comparison when there are no values to show", () => {
    expect(describeError({ message: 'expected undefined to be defined' }, plain)).toEqual([
      'The check expected undefined to be defined.',
    ]);
  });
});

describe('shortenLines', () => {
  test('keeps short output whole', () => {
    expect(shortenLines(['a', 'b'], plain)).toEqual(['a', 'b']);
  });

  test('keeps the start and end of long output, saying how much was left out, and clips long lines', () => {
    const lines = Array.from({ length: 40 }, (_, index) => `line ${index + 1}`);
    const shown = shortenLines(lines, plain);
    expect(shown).toHaveLength(13);
    expect(shown[0]).toBe('line 1');
    expect(shown[8]).toBe('... 28 more lines ...');
    expect(shown.at(-1)).toBe('line 40');
    const [clipped] = shortenLines(['x'.repeat(500)], plain);
    expect(clipped).toHaveLength(160);
    expect(clipped!.endsWith('...')).toBe(true);
  });
});

describe('collapseStacks', () => {
  test('keeps the error and the frame that threw it, and counts the rest of the stack', () => {
    expect(
      collapseStacks([
        "    throw new Error('TODO(echo): write this part of server.ts');",
        'Error: TODO(echo): write this part of server.ts',
        '    at Socket.<anonymous> (file:///server.ts:27:11)',
        '    at Socket.emit (node:events:524:28)',
        '    at addChunk (node:internal/streams/readable:561:12)',
        '',
        'Node.js v20.20.2',
      ]),
    ).toEqual([
      "    throw new Error('TODO(echo): write this part of server.ts');",
      'Error: TODO(echo): write this part of server.ts',
      '    at Socket.<anonymous> (file:///server.ts:27:11)',
      '    (2 more lines of stack trace)',
      '',
      'Node.js v20.20.2',
    ]);
  });
});

describe('formatFailure', () => {
  test('names the failing check and the spec line that failed, then what went wrong', () => {
    const test = outcome('the client gets "Hello, world" echoed back and exits 0', 'failed', [
      EXIT_CODE_FAILURE,
    ]);
    const lines = formatFailure(test, plain, {
      where: 'test/01-echo.test.ts:17',
      code: '    expect(result.exitCode, output).toBe(0);',
    });
    expect(lines.slice(0, 4)).toEqual([
      'First failing check: the client gets "Hello, world" echoed back and exits 0',
      '  The check, at test/01-echo.test.ts:17: expect(result.exitCode, output).toBe(0);',
      '  Expected: 0',
      '  Got:      1',
    ]);
  });

  test("finds the spec line in the error's stack", () => {
    expect(failedLine(EXIT_CODE_FAILURE, '/work/main/test/01-echo.test.ts')).toBe(17);
    expect(failedLine(EXIT_CODE_FAILURE, '/work/main/test/02-multiconn.test.ts')).toBeUndefined();
  });
});

describe('what a failure report never cuts', () => {
  test('an expected line is shown whole, however long; what the program printed may be clipped', () => {
    const expected = `Sent 3 messages, 395 bytes, in 395 writes (one byte each) ${'x'.repeat(300)}`;
    const lines = describeError(
      { message: 'the summary line differs', expected, actual: 'y'.repeat(400) },
      plain,
    );
    expect(lines[1]).toBe(`Expected: ${expected}`);
    expect(lines[2]?.length).toBeLessThan(200);
  });

  test('a long comparison keeps its end, where vitest puts what was expected', () => {
    const assertion = `expected [ ${"'a line', ".repeat(400)}] to include 'Sent 3 messages, 395 bytes, in 395 writes (one byte each)'`;
    const [line] = describeError({ message: assertion }, plain);
    expect(line).toContain(
      "to include 'Sent 3 messages, 395 bytes, in 395 writes (one byte each)'.",
    );
    expect(line).toContain('characters left out');
  });

  test('the first transcript shown is the first one the failure carries', () => {
    const lines = describeError(EXIT_CODE_FAILURE, plain, [...TRANSCRIPTS].reverse());
    expect(lines.find((line) => line.includes('127.0.0.1'))).toContain('echo-server.ts');
  });

  test('output the harness cut says how many lines were left out', () => {
    const transcript: Transcript = {
      command: 'noisy.ts',
      status: 'exit code 0',
      stdout: ['first', 'last'],
      stderr: [],
      cut: { stdout: { after: 1, lines: 99_998 } },
    };
    const lines = describeError({ message: 'boom' }, plain, [transcript]);
    expect(lines.filter((line) => line.trim() === '... 99998 more lines ...')).toHaveLength(1);
  });
});

describe('events between the checks and the checker', () => {
  test('a malformed or cut event line is skipped, not thrown', () => {
    expect(parseEvent(`${EVENT_PREFIX}{"type": "test", "file": "x`)).toBeUndefined();
    expect(parseEvent(`${EVENT_PREFIX}42`)).toBeUndefined();
    expect(parseEvent(`${EVENT_PREFIX}{"type":"end","errors":[]}`)).toEqual({
      type: 'end',
      errors: [],
    });
  });

  test('clipText keeps the start and end of a huge message within its limit', () => {
    const text = `start ${'x'.repeat(100_000)} end`;
    const clipped = clipText(text, 1_000) ?? '';
    expect(clipped.length).toBeLessThan(1_100);
    expect(clipped.startsWith('start ')).toBe(true);
    expect(clipped.endsWith(' end')).toBe(true);
    expect(clipped).toContain('characters left out');
  });
});

// How `npm run check` words its results for a beginner: one line per check,
// and for the first failure, what the check expected, what it got, and what
// each program printed. Pure functions: test/exercise-format.test.ts checks them.

import type { CheckError, TestOutcome } from './events.ts';

export interface Style {
  pass: (text: string) => string;
  fail: (text: string) => string;
  dim: (text: string) => string;
  bold: (text: string) => string;
}

const paint = (open: number, close: number) => (text: string) =>
  `\u001b[${open}m${text}\u001b[${close}m`;
const plain = (text: string) => text;

/** Colour only for a terminal: piped output stays plain text. */
export function makeStyle(colour: boolean): Style {
  return colour
    ? { pass: paint(32, 39), fail: paint(31, 39), dim: paint(2, 22), bold: paint(1, 22) }
    : { pass: plain, fail: plain, dim: plain, bold: plain };
}

export function wantsColour(stream: NodeJS.WriteStream = process.stdout): boolean {
  return (
    stream.isTTY === true && process.env.NO_COLOR === undefined && process.env.FORCE_COLOR !== '0'
  );
}

/** `✓ the client gets "Hello, world" echoed back and exits 0`. */
export function checkLine(test: TestOutcome, style: Style): string {
  if (test.state === 'passed') return `${style.pass('✓')} ${test.name}`;
  if (test.state === 'failed') return `${style.fail('✗')} ${test.name}`;
  return style.dim(`- ${test.name} (not run)`);
}

/** One program's output, as test/harness.ts's outputOf() writes it. */
export interface Transcript {
  /** The command line, e.g. `echo-client.ts 127.0.0.1 38247`. */
  command: string;
  /** `exit code 0`, `still running`, ... */
  status: string;
  stdout: string[];
  stderr: string[];
}

export interface ParsedFailure {
  /** The check's own words before the transcripts, e.g. "the echoed bytes differ from the bytes sent". */
  lead: string;
  transcripts: Transcript[];
  /** vitest's comparison, e.g. "expected 1 to be 0 // Object.is equality". */
  assertion: string | undefined;
}

/**
 * Splits a failure message into its parts. A check writes `expect(value, outputOf(...))`,
 * and vitest appends `: <comparison>` to that message, after the last transcript.
 */
export function parseFailureMessage(message: string): ParsedFailure {
  const start = message.startsWith('--- ') ? 0 : message.indexOf('\n--- ');
  if (start === -1) {
    const assertionOnly = /^expected /.test(message);
    return {
      lead: assertionOnly ? '' : message.trim(),
      transcripts: [],
      assertion: assertionOnly ? message : undefined,
    };
  }
  let rest = message.slice(start).replace(/^\n/, '');
  let assertion: string | undefined;
  const cut = rest.lastIndexOf(': expected ');
  if (cut !== -1) {
    assertion = rest.slice(cut + 2);
    rest = rest.slice(0, cut);
  }
  let lead = message.slice(0, start).trim();
  if (lead.endsWith(':')) lead = lead.slice(0, -1);
  return { lead, transcripts: parseTranscripts(rest), assertion };
}

function parseTranscripts(text: string): Transcript[] {
  const transcripts: Transcript[] = [];
  let current: Transcript | undefined;
  let into: string[] | undefined;
  for (const line of text.split('\n')) {
    const header = line.match(/^--- (.*) \(([^()]*)\)$/);
    if (header) {
      current = { command: header[1]!, status: header[2]!, stdout: [], stderr: [] };
      transcripts.push(current);
      into = undefined;
    } else if (current && /^ {2}(stdout|stderr):$/.test(line)) {
      into = line.trim() === 'stdout:' ? current.stdout : current.stderr;
    } else if (current && /^ {2}\((stdout|stderr): nothing\)$/.test(line)) {
      into = undefined;
    } else if (current && into && line.startsWith('    ')) {
      into.push(line.slice(4));
    }
  }
  return transcripts;
}

const MAX_LINE = 160;
const HEAD_LINES = 8;
const TAIL_LINES = 4;

function clip(line: string): string {
  return line.length > MAX_LINE ? `${line.slice(0, MAX_LINE - 3)}...` : line;
}

/** Long outputs keep their beginning and end, with a count of what was left out. */
export function shortenLines(lines: readonly string[], style: Style): string[] {
  if (lines.length <= HEAD_LINES + TAIL_LINES + 1) return lines.map(clip);
  const hidden = lines.length - HEAD_LINES - TAIL_LINES;
  return [
    ...lines.slice(0, HEAD_LINES).map(clip),
    style.dim(`... ${hidden} more lines ...`),
    ...lines.slice(-TAIL_LINES).map(clip),
  ];
}

export function formatTranscript(transcript: Transcript, style: Style): string[] {
  const out = [`${style.bold(transcript.command)}  ${style.dim(`(${transcript.status})`)}`];
  if (transcript.stdout.length === 0 && transcript.stderr.length === 0)
    out.push(style.dim('  (printed nothing)'));
  out.push(...shortenLines(transcript.stdout, style).map((line) => `  ${line}`));
  out.push(
    ...shortenLines(collapseStacks(transcript.stderr), style).map(
      (line) => `  ${style.dim('stderr:')} ${style.fail(line)}`,
    ),
  );
  return out;
}

/** A crash's stack trace says where in Node's internals it went: one line for it is enough. */
export function collapseStacks(lines: readonly string[]): string[] {
  const out: string[] = [];
  let frames = 0;
  const flush = () => {
    if (frames > 0) out.push(`    (${frames} more line${frames === 1 ? '' : 's'} of stack trace)`);
    frames = 0;
  };
  for (const line of lines) {
    if (/^\s+at /.test(line)) {
      if (frames === 0 && out.at(-1)?.match(/^\w*Error\b/)) out.push(line);
      else frames += 1;
      continue;
    }
    flush();
    out.push(line);
  }
  flush();
  return out;
}

/** vitest's diff without its own header, each line marked - (expected) or + (got). */
function diffLines(diff: string): string[] {
  const lines = diff.split('\n');
  const body =
    lines[0]?.startsWith('- Expected') && lines[1]?.startsWith('+ Received')
      ? lines.slice(3)
      : lines;
  return body;
}

function isOneLine(text: string | undefined): text is string {
  return text !== undefined && !text.includes('\n');
}

/** What went wrong in a beginner's words, from the error a check threw. */
export function describeError(error: CheckError, style: Style): string[] {
  const parsed = parseFailureMessage(error.message);
  const out: string[] = [];
  const timeout = error.message.match(/^Test timed out in (\d+)ms/);
  if (timeout) {
    out.push(
      `The check gave up after ${Number(timeout[1]) / 1000} s: a program is probably waiting for something that never comes (a reply, or the other side to close).`,
    );
  } else if (parsed.lead !== '') {
    out.push(...parsed.lead.split('\n'));
  }
  if (isOneLine(error.expected) && isOneLine(error.actual)) {
    out.push(`Expected: ${clip(error.expected)}`, `Got:      ${clip(error.actual)}`);
  } else if (error.diff !== undefined && error.diff.trim() !== '') {
    out.push(`What the check expected (${style.pass('-')}) and what it got (${style.fail('+')}):`);
    out.push(
      ...diffLines(error.diff).map((line) => {
        const shown = `  ${clip(line)}`;
        return line.startsWith('-')
          ? style.pass(shown)
          : line.startsWith('+')
            ? style.fail(shown)
            : shown;
      }),
    );
  } else if (parsed.assertion !== undefined) {
    out.push(`The check ${parsed.assertion.replace(/ \/\/ Object\.is equality$/, '')}.`);
  }
  if (parsed.transcripts.length > 0) {
    out.push('', 'What the programs printed:');
    for (const transcript of parsed.transcripts)
      out.push(...formatTranscript(transcript, style).map((line) => `  ${line}`));
  }
  return out;
}

/** The line of `specFile` where the check failed, from the error's stack. */
export function failedLine(error: CheckError, specFile: string): number | undefined {
  for (const line of error.stack?.split('\n') ?? []) {
    const at = line.lastIndexOf(`${specFile}:`);
    if (at !== -1) return Number(line.slice(at + specFile.length + 1).split(':')[0]);
  }
  return undefined;
}

/**
 * The block for the first failing check. `source` is the spec's line that
 * failed, e.g. `expect(result.exitCode, output).toBe(0);`, which says what
 * "Expected: 0" is about.
 */
export function formatFailure(
  test: TestOutcome,
  style: Style,
  source?: { where: string; code: string },
): string[] {
  const error = test.errors[0] ?? { message: 'the check failed without an error message' };
  const out = [style.bold(`First failing check: ${test.name}`)];
  if (source !== undefined)
    out.push(`  ${style.dim(`The check, at ${source.where}:`)} ${source.code.trim()}`);
  return [...out, ...describeError(error, style).map((line) => (line === '' ? '' : `  ${line}`))];
}

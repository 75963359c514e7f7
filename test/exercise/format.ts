// How `npm run check` words its results for a beginner: one line per check,
// and for the first failure, what the check expected, what it got, and what
// each program printed. Pure functions: test/exercise-format.test.ts checks them.

import { styleText } from 'node:util';
import type { LinesCut, Transcript } from '../transcript.ts';
import type { CheckError, TestOutcome } from './events.ts';

export interface Style {
  pass: (text: string) => string;
  fail: (text: string) => string;
  dim: (text: string) => string;
  bold: (text: string) => string;
}

/**
 * Colours through node:util's styleText, which leaves them out when stdout is
 * not a terminal or NO_COLOR is set. `colour` forces them on or off (tests).
 */
export function makeStyle(colour?: boolean): Style {
  const paint =
    (format: 'green' | 'red' | 'dim' | 'bold') =>
    (text: string): string => {
      if (colour === false) return text;
      return colour === true
        ? styleText(format, text, { validateStream: false })
        : styleText(format, text);
    };
  return { pass: paint('green'), fail: paint('red'), dim: paint('dim'), bold: paint('bold') };
}

/** `✓ the client gets "Hello, world" echoed back and exits 0`. */
export function checkLine(test: TestOutcome, style: Style): string {
  if (test.state === 'passed') return `${style.pass('✓')} ${test.name}`;
  if (test.state === 'failed') return `${style.fail('✗')} ${test.name}`;
  return style.dim(`- ${test.name} (not run)`);
}

/**
 * A failure message split in two: the check's own words, and vitest's comparison
 * (vitest writes `<message>: expected ...` for `expect(value, message)`).
 * Transcripts are not in it: they come as data (TestOutcome.transcripts).
 */
export function splitMessage(message: string): { lead: string; assertion: string | undefined } {
  if (message.startsWith('expected ')) return { lead: '', assertion: message };
  const cut = message.lastIndexOf(': expected ');
  if (cut === -1) return { lead: message.trim(), assertion: undefined };
  let lead = message.slice(0, cut).trim();
  if (lead.endsWith(':')) lead = lead.slice(0, -1);
  return { lead, assertion: message.slice(cut + 2) };
}

/** Lines of what a program printed are clipped here; what a check expected never is. */
const MAX_LINE = 160;
const HEAD_LINES = 8;
const TAIL_LINES = 4;

function clip(line: string): string {
  return line.length > MAX_LINE ? `${line.slice(0, MAX_LINE - 3)}...` : line;
}

/** Long text keeps its start and, whole, its end: vitest's comparison ends with what was expected. */
function clipMiddle(text: string, head = 300, tail = 1_500): string {
  if (text.length <= head + tail + 40) return text;
  return `${text.slice(0, head)} … (${text.length - head - tail} characters left out) … ${text.slice(-tail)}`;
}

/**
 * Long outputs keep their beginning and end, with a count of what was left out
 * (including lines the harness already left out, `cut`).
 */
export function shortenLines(lines: readonly string[], style: Style, cut?: LinesCut): string[] {
  const more = (count: number) => style.dim(`... ${count} more line${count === 1 ? '' : 's'} ...`);
  const earlier = cut?.lines ?? 0;
  if (lines.length <= HEAD_LINES + TAIL_LINES + 1) {
    if (cut === undefined) return lines.map(clip);
    return [
      ...lines.slice(0, cut.after).map(clip),
      more(earlier),
      ...lines.slice(cut.after).map(clip),
    ];
  }
  const hidden = lines.length - HEAD_LINES - TAIL_LINES + earlier;
  return [
    ...lines.slice(0, HEAD_LINES).map(clip),
    more(hidden),
    ...lines.slice(-TAIL_LINES).map(clip),
  ];
}

export function formatTranscript(transcript: Transcript, style: Style): string[] {
  const out = [`${style.bold(transcript.command)}  ${style.dim(`(${transcript.status})`)}`];
  if (transcript.stdout.length === 0 && transcript.stderr.length === 0)
    out.push(style.dim('  (printed nothing)'));
  out.push(
    ...shortenLines(transcript.stdout, style, transcript.cut?.stdout).map((line) => `  ${line}`),
  );
  const stderr =
    transcript.cut?.stderr === undefined ? collapseStacks(transcript.stderr) : transcript.stderr;
  out.push(
    ...shortenLines(stderr, style, transcript.cut?.stderr).map(
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

/**
 * What went wrong in a beginner's words, from the error a check threw, then what
 * the check's programs printed (the ones the failure is about first).
 */
export function describeError(
  error: CheckError,
  style: Style,
  transcripts: readonly Transcript[] = [],
): string[] {
  const { lead, assertion } = splitMessage(error.message);
  const out: string[] = [];
  const timeout = error.message.match(/^Test timed out in (\d+)ms/);
  if (timeout) {
    out.push(
      `The check gave up after ${Number(timeout[1]) / 1000} s: a program is probably waiting for something that never comes (a reply, or the other side to close).`,
    );
  } else if (lead !== '') {
    out.push(...lead.split('\n'));
  }
  if (isOneLine(error.expected) && isOneLine(error.actual)) {
    out.push(`Expected: ${error.expected}`, `Got:      ${clip(error.actual)}`);
  } else if (error.diff !== undefined && error.diff.trim() !== '') {
    out.push(`What the check expected (${style.pass('-')}) and what it got (${style.fail('+')}):`);
    out.push(
      ...diffLines(error.diff).map((line) =>
        line.startsWith('-')
          ? style.pass(`  ${line}`)
          : line.startsWith('+')
            ? style.fail(`  ${clip(line)}`)
            : `  ${clip(line)}`,
      ),
    );
  } else if (assertion !== undefined) {
    out.push(`The check ${clipMiddle(assertion.replace(/ \/\/ Object\.is equality$/, ''))}.`);
  }
  if (transcripts.length > 0) {
    out.push('', 'What the programs printed:');
    for (const transcript of transcripts)
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
  return [
    ...out,
    ...describeError(error, style, test.transcripts).map((line) =>
      line === '' ? '' : `  ${line}`,
    ),
  ];
}

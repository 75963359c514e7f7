// Checks of what the lesson programs print, shared by the lesson specs: that
// nothing a peer sends reaches a terminal raw (hostile text to send, the
// characters that must never show up unescaped, one assertion over all output),
// and the shape of every program's --help.

import { expect } from 'vitest';
import { escapeRegExp, outputOf, type ProgramResult, type RunningProgram } from './harness.ts';

/**
 * Characters that must never reach a terminal raw: C0 controls but tab and
 * newline, DEL, C1 controls, bidi embeddings, overrides and isolates, and the
 * Unicode line separators.
 */
export const RAW_CONTROL =
  /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u2028-\u202e\u2066-\u2069]/u;

/** Hostile bytes a peer may send: ESC sequences (screen clear, title), C1 CSI, a bidi override, DEL. */
export const HOSTILE = Buffer.from(
  '\u001b[2J\u001b]0;pwned\u0007 \u009b31m \u202eevil\u202c \u007f',
);

/** The characters that act on a terminal instead of showing: ESC, C1 controls, bidi overrides and isolates. */
export const RAW_TERMINAL_CONTROL = /[\x1b\x80-\x9f\u202a-\u202e\u2066-\u2069]/u;

/** A title change, a screen clear, a one-character CSI (U+009B) and two bidi overrides, as text. */
export const TERMINAL_ATTACK = '\x1b]0;owned\x07\x1b[2J\u009b31m\u202eevil\u2066x\u2069';

/** Fails, with the output, if any line any of the programs printed holds a raw control character. */
export function expectNothingRaw(...programs: Array<RunningProgram | ProgramResult>): void {
  for (const program of programs) {
    for (const line of [...program.stdoutLines, ...program.stderrLines]) {
      expect(
        RAW_CONTROL.test(line),
        `a line holds a raw control character; print peer bytes with formatBytes: ${JSON.stringify(line)}${outputOf(...programs)}`,
      ).toBe(false);
    }
  }
}

/**
 * Checks `--help` output: exit 0, nothing on stderr, usage, a blank line, a
 * one-sentence summary, one row per argument with its text; `names` must each
 * have a row of their own, and `mentions` must start one.
 */
export function expectHelpText(
  result: ProgramResult,
  options: { mentions?: string; names?: readonly string[] } = {},
): void {
  const output = outputOf(result);
  expect(result.exitCode, output).toBe(0);
  expect(result.stderrLines, output).toEqual([]);
  const [usage, blank, summary, ...rest] = result.stdoutLines;
  expect(usage, output).toMatch(/^Usage: /);
  expect(blank, output).toBe('');
  expect(summary, `no one-sentence summary after the usage line${output}`).toMatch(/\w.*\.$/);
  const rows = rest.filter((line) => line.startsWith('  '));
  if (options.mentions !== undefined) {
    const mentioned = options.mentions;
    expect(
      rows.some((row) => row.trimStart().startsWith(mentioned)),
      output,
    ).toBe(true);
  }
  for (const name of [...(options.names ?? []), '--help']) {
    expect(
      rows.some((row) => new RegExp(`^  ${escapeRegExp(name)} +\\S`).test(row)),
      `--help should explain ${name} on a line of its own${output}`,
    ).toBe(true);
  }
  for (const row of rows)
    expect(row, `an argument without its help text${output}`).toMatch(/^ {2}\S+.*\S {2,}\S/);
}

// Every program in every lesson fails the same clear way: one line naming the
// error and its usual cause, exit 1, no stack trace. Programs come from the
// manifest, so a new lesson is covered as soon as it is listed there.
// @lesson-checks

import { describe, expect, test } from 'vitest';
import { lessons } from '../lessons/manifest.ts';
import { outputOf, programPath, runProgram } from './harness.ts';
import { closedPort, takenPort } from './net-helpers.ts';

/** The manifest's arguments with host and port (always the first two) replaced. */
function argsWith(args: readonly string[], host: string, port: string): string[] {
  return [host, port, ...args.slice(2)];
}

function expectOneErrorLine(result: Awaited<ReturnType<typeof runProgram>>, pattern: RegExp): void {
  const output = outputOf(result);
  expect(result.exitCode, output).toBe(1);
  expect(result.stderrLines, output).toHaveLength(1);
  expect(result.stderrLines[0], output).toMatch(pattern);
  expect(result.stderrLines.join('\n'), output).not.toMatch(/\n\s+at /);
}

for (const lesson of lessons) {
  const servers = lesson.programs.filter((program) => program.role === 'server');
  const clients = lesson.programs.filter((program) => program.role === 'client');
  // A lesson of demos only (06) checks its own errors in its spec.
  if (servers.length + clients.length === 0) continue;
  describe(`lesson ${lesson.id}: clear errors`, () => {
    for (const program of servers) {
      const file = () => programPath(lesson.id, program.file);

      test(`${program.file} on a port already in use says "address in use" and exits 1`, async () => {
        // Any listener makes the port taken; one in this process costs no program start.
        const port = await takenPort();
        const result = await runProgram(file(), argsWith(program.args, '127.0.0.1', String(port)));
        expectOneErrorLine(
          result,
          new RegExp(`^Error: address in use \\(EADDRINUSE\\): .*:${port}`),
        );
      });

      test(`${program.file} with a host name that does not exist says "host not found" and exits 1`, async () => {
        const result = await runProgram(
          file(),
          argsWith(program.args, 'no-such-host.invalid', '0'),
        );
        expectOneErrorLine(result, /^Error: host not found \(ENOTFOUND\): .*no-such-host\.invalid/);
      });

      test(`${program.file} with an invalid port prints the usage line and exits 1`, async () => {
        const result = await runProgram(file(), argsWith(program.args, '127.0.0.1', '99999'));
        expect(result.exitCode, outputOf(result)).toBe(1);
        expect(result.stderrLines[0], outputOf(result)).toMatch(/^Usage: /);
        expect(result.stderrLines[1], outputOf(result)).toMatch(
          /port must be a whole number from 0 to 65535/,
        );
      });
    }

    for (const program of clients) {
      const file = () => programPath(lesson.id, program.file);

      test(`${program.file} with no server says "connection refused" and exits 1`, async () => {
        const port = await closedPort();
        const result = await runProgram(file(), argsWith(program.args, '127.0.0.1', String(port)));
        expectOneErrorLine(
          result,
          new RegExp(
            `connection refused \\(ECONNREFUSED\\): is the server running on 127\\.0\\.0\\.1:${port}\\?`,
          ),
        );
      });

      test(`${program.file} with a host name that does not exist says "host not found" and exits 1`, async () => {
        const result = await runProgram(
          file(),
          argsWith(program.args, 'no-such-host.invalid', '65432'),
        );
        expectOneErrorLine(result, /host not found \(ENOTFOUND\): .*no-such-host\.invalid/);
      });

      test(`${program.file} with an invalid port prints the usage line and exits 1`, async () => {
        const result = await runProgram(file(), argsWith(program.args, '127.0.0.1', 'http'));
        expect(result.exitCode, outputOf(result)).toBe(1);
        expect(result.stderrLines[0], outputOf(result)).toMatch(/^Usage: /);
        expect(result.stderrLines[1], outputOf(result)).toMatch(/port must be a whole number/);
      });
    }
  });
}

// Checks for lesson 06, the errors gallery. Each scenario runs once, in its own
// process, when a check first needs it; the checks read its transcript for both
// sides' view, and the last checks look at all of them. The same checks run
// against a learner's copy with `npm run check -- 06`.

import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import {
  outputOf,
  programPath,
  runProgram,
  startProgram,
  waitUntil,
  type ProgramResult,
} from './harness.ts';

const provoke = () => programPath('06', 'provoke.ts');

const SCENARIOS = [
  'EADDRINUSE',
  'EADDRNOTAVAIL',
  'EMFILE',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ECONNRESET',
  'EPIPE',
  'ERR_STREAM_WRITE_AFTER_END',
  'ERR_STREAM_DESTROYED',
  'ERR_SOCKET_CLOSED',
] as const;
type ScenarioName = (typeof SCENARIOS)[number];

/** A scenario that runs longer than this is stuck: the slowest takes about a second, or 20 on a very busy machine. */
const SCENARIO_TIMEOUT_MS = 40_000;
/** Once it has printed its result, a scenario with nothing left open exits at once. */
const EXIT_AFTER_RESULT_MS = 5_000;

interface ScenarioRun {
  result: ProgramResult;
  /** What was still open when the scenario had printed its result but did not exit. */
  lingering?: string;
}

/** The child processes a transcript names: `child process 12345 ...`. */
function childrenNamed(result: ProgramResult): number[] {
  return result.stdoutLines.flatMap((line) =>
    [...line.matchAll(/\bchild process (\d+)\b/g)].map((match) => Number(match[1])),
  );
}

function isAlive(pid: number): boolean {
  try {
    // A zombie has exited; it only waits for its parent to read its status.
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** The TCP sockets a process holds, as `LISTEN 127.0.0.1:40123` lines (Linux /proc). */
function tcpSockets(pid: number): string[] {
  const inodes = new Set<string>();
  try {
    for (const fd of readdirSync(`/proc/${pid}/fd`)) {
      const match = readlinkSync(`/proc/${pid}/fd/${fd}`).match(/^socket:\[(\d+)\]$/);
      if (match?.[1] !== undefined) inodes.add(match[1]);
    }
  } catch {
    return [];
  }
  const states: Record<string, string> = { '01': 'ESTABLISHED', '0A': 'LISTEN', '06': 'TIME_WAIT' };
  const sockets: string[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const columns = line.trim().split(/\s+/);
      const [local = '', state = '', inode = ''] = [columns[1], columns[3], columns[9]];
      if (!inodes.has(inode)) continue;
      const port = parseInt(local.split(':')[1] ?? '0', 16);
      sockets.push(`${states[state] ?? `state ${state}`} on port ${port}`);
    }
  }
  return sockets;
}

async function runScenario(name: string): Promise<ScenarioRun> {
  const program = startProgram(provoke(), [name], { timeoutMs: SCENARIO_TIMEOUT_MS });
  let lingering: string | undefined;
  try {
    await program.waitForLine(/^(Result|Skipped): /, { timeoutMs: SCENARIO_TIMEOUT_MS });
    let exited = false;
    void program.finished.then(() => (exited = true));
    if (!(await waitUntil(() => exited, EXIT_AFTER_RESULT_MS)) && program.pid !== undefined) {
      // Count what it still holds: the descriptors that are TCP sockets.
      const sockets = tcpSockets(program.pid);
      lingering =
        `still running ${EXIT_AFTER_RESULT_MS} ms after its result, with ` +
        `${sockets.length} TCP socket(s) open${sockets.length > 0 ? ` (${sockets.join(', ')})` : ''}`;
      program.signal('SIGKILL');
    }
  } catch {
    // No result line: the checks below show the transcript.
  }
  return { result: await program.finished, lingering };
}

/**
 * Each scenario runs once, when a check first asks for it, and the checks
 * share its transcript; the last check asks for all of them at once.
 */
const runs = new Map<ScenarioName, Promise<ScenarioRun>>();

function runOf(name: ScenarioName): Promise<ScenarioRun> {
  let run = runs.get(name);
  if (run === undefined) {
    run = runScenario(name);
    runs.set(name, run);
  }
  return run;
}

/** Checks what every scenario must print, and returns its stdout lines with the output for messages. */
async function expectProvoked(name: ScenarioName): Promise<{ lines: string[]; output: string }> {
  const { result } = await runOf(name);
  const output = outputOf(result);
  expect(result.stdoutLines, output).toContain(`Result: ${name} appeared, as expected`);
  expect(result.exitCode, output).toBe(0);
  expect(
    result.stdoutLines.some(
      (line) => line.startsWith(`Explanation: `) && line.includes(`(${name}): `),
    ),
    `the scenario should print the workbook's one-line explanation, "Explanation: ... (${name}): ..."${output}`,
  ).toBe(true);
  return { lines: result.stdoutLines, output };
}

/** The lines a side printed, e.g. every line starting with `client: `. */
function linesOf(lines: string[], side: string): string[] {
  return lines.filter((line) => line.startsWith(`${side}: `));
}

function expectLine(lines: string[], pattern: RegExp, output: string, what: string): void {
  expect(
    lines.some((line) => pattern.test(line)),
    `expected ${what}, a line matching ${pattern}${output}`,
  ).toBe(true);
}

// A scenario's check may wait for it on a very busy machine: see SCENARIO_TIMEOUT_MS.
describe('lesson 06: the errors gallery', { timeout: SCENARIO_TIMEOUT_MS + 20_000 }, () => {
  test('--list names every scenario, one per line, and exits 0', async () => {
    const result = await runProgram(provoke(), ['--list']);
    const output = outputOf(result);
    expect(result.exitCode, output).toBe(0);
    expect(
      result.stdoutLines.map((line) => line.split(/\s+/)[0]),
      output,
    ).toEqual([...SCENARIOS]);
  });

  test('an unknown error name, or none, prints the usage line, then the reason on a line of its own, and exits 1', async () => {
    const [unknown, none] = await Promise.all([
      runProgram(provoke(), ['ENOSUCHERROR']),
      runProgram(provoke(), []),
    ]);
    const usage = 'Usage: provoke.ts [error] [--list]';
    for (const [result, reason] of [
      [unknown, 'provoke.ts: there is no scenario for "ENOSUCHERROR"; --list shows them all'],
      [none, 'provoke.ts: name the error to provoke; --list shows them all'],
    ] as const) {
      const output = outputOf(result);
      expect(result.exitCode, output).toBe(1);
      expect(result.stderrLines, output).toEqual([usage, reason]);
      expect(result.stdoutLines, output).toEqual([]);
    }
  });

  test('a scenario this system cannot run says "Skipped:" and why, and exits 0 (EMFILE with no shell to lower the limit)', async () => {
    // No directory on PATH: spawning `sh` fails (ENOENT), as on a system without a POSIX shell.
    const result = await runProgram(provoke(), ['EMFILE'], {
      env: { PATH: '/nonexistent' },
    });
    const output = outputOf(result);
    expect(result.exitCode, output).toBe(0);
    expect(result.stdoutLines.at(-1), output).toBe(
      'Skipped: no POSIX shell to lower the limit with (spawn sh ENOENT)',
    );
    expect(
      result.stdoutLines.some((line) => line.startsWith('Result: ')),
      output,
    ).toBe(false);
  });

  test('EADDRINUSE: a second server on a taken port fails in listen(), and a restart is not refused because of TIME_WAIT', async () => {
    const { lines, output } = await expectProvoked('EADDRINUSE');
    expectLine(
      linesOf(lines, 'server B'),
      /code: 'EADDRINUSE'.*syscall: 'listen'/,
      output,
      "server B's error with its code and syscall",
    );
    expectLine(linesOf(lines, 'server A'), /still listening/, output, "server A's view");
    expectLine(linesOf(lines, 'server C'), /^server C: listening on /, output, 'the restart');
    if (process.platform === 'linux') {
      // Server A closed first, so its side of the connection waits in TIME_WAIT on A's own port.
      const port = lines
        .map((line) => line.match(/^server A: listening on 127\.0\.0\.1:(\d+)$/)?.[1])
        .find((found) => found !== undefined);
      const waiting = lines
        .map((line) =>
          line.match(
            /^kernel: sockets in TIME_WAIT on port (\d+): (\d+) \(from \/proc\/net\/tcp\)$/,
          ),
        )
        .find((match) => match !== null);
      expect(waiting, `expected the kernel's count of sockets in TIME_WAIT${output}`).toBeDefined();
      expect(waiting?.[1], output).toBe(port);
      expect(
        Number(waiting?.[2]),
        `server A's side of the connection it closed first should be in TIME_WAIT${output}`,
      ).toBeGreaterThanOrEqual(1);
    }
  });

  test('EADDRNOTAVAIL: listening on an address this machine does not have fails in listen()', async () => {
    const { lines, output } = await expectProvoked('EADDRNOTAVAIL');
    expectLine(
      linesOf(lines, 'server'),
      /code: 'EADDRNOTAVAIL'.*syscall: 'listen', address: '192\.0\.2\.1'/,
      output,
      "the server's error",
    );
  });

  test('EMFILE: a child process whose open-file limit is lowered runs out of descriptors', async () => {
    const { result } = await runOf('EMFILE');
    if (process.platform === 'win32') {
      expect(
        result.stdoutLines.some((line) => line.startsWith('Skipped: ')),
        outputOf(result),
      );
      expect(result.exitCode, outputOf(result)).toBe(0);
      return;
    }
    const { lines, output } = await expectProvoked('EMFILE');
    expectLine(
      linesOf(lines, 'client'),
      /connection \d+: 'error' event: .*code: 'EMFILE'.*syscall: 'connect'/,
      output,
      "the child's client error",
    );
    expectLine(linesOf(lines, 'server'), /saw nothing/, output, "the server's view");
  });

  test('ECONNREFUSED: a client connecting to a port nobody listens on is refused', async () => {
    const { lines, output } = await expectProvoked('ECONNREFUSED');
    expectLine(
      linesOf(lines, 'client'),
      /code: 'ECONNREFUSED'.*syscall: 'connect', address: '127\.0\.0\.1', port: \d+/,
      output,
      "the client's error",
    );
    expectLine(linesOf(lines, 'server'), /nothing listens/, output, 'the server side');
  });

  test("ETIMEDOUT: connecting to a server that cannot accept gives up through 'timeout' and through an AbortSignal", async () => {
    const { lines, output } = await expectProvoked('ETIMEDOUT');
    const client = linesOf(lines, 'client');
    expectLine(client, /connected; it waits in the accept queue/, output, 'a queued connection');
    expectLine(client, /'timeout' event.*code: 'ETIMEDOUT'/, output, 'the timeout');
    expectLine(client, /AbortSignal.*code: 'ABORT_ERR'/, output, 'the AbortSignal');
    expectLine(linesOf(lines, 'server'), /./, output, 'the server side');
    expectLine(linesOf(lines, 'kernel'), /about \d+ s/, output, "the kernel's own timeout");
  });

  test.each(['ENOTFOUND', 'EAI_AGAIN'] as const)(
    '%s: a host name that does not resolve fails in getaddrinfo, with no query sent',
    async (name) => {
      const { lines, output } = await expectProvoked(name);
      expectLine(
        linesOf(lines, 'client'),
        new RegExp(`code: '${name}'.*syscall: 'getaddrinfo', hostname: '[^']+\\.invalid'`),
        output,
        "the client's error",
      );
      expectLine(linesOf(lines, 'server'), /./, output, 'the server side');
      expectLine(linesOf(lines, 'resolver'), /for real/, output, 'what the real failure is');
    },
  );

  test('ECONNRESET: the client is reset both when the server closes with unread bytes and when it calls resetAndDestroy()', async () => {
    const { lines, output } = await expectProvoked('ECONNRESET');
    const resets = linesOf(lines, 'client').filter((line) =>
      /'error' event: .*code: 'ECONNRESET'/.test(line),
    );
    expect(resets, `both roads should reset the client${output}`).toHaveLength(2);
    expectLine(lines, /^road 2: /, output, 'the second road');
    expectLine(linesOf(lines, 'server'), /'close' event/, output, "the server's view");
  });

  test("EPIPE: a client writing after the server has gone gets EPIPE from the kernel's write()", async () => {
    const { lines, output } = await expectProvoked('EPIPE');
    expectLine(
      linesOf(lines, 'client'),
      /code: 'EPIPE', errno: -?\d+, syscall: 'write'/,
      output,
      "the client's write error, from the write() system call",
    );
    expectLine(linesOf(lines, 'server'), /closed it/, output, "the server's view");
  });

  test.each(['ERR_STREAM_WRITE_AFTER_END', 'ERR_STREAM_DESTROYED', 'ERR_SOCKET_CLOSED'] as const)(
    '%s: a write the program should not make is refused by Node, and the server never receives it',
    async (name) => {
      const { lines, output } = await expectProvoked(name);
      const client = linesOf(lines, 'client');
      expectLine(client, new RegExp(name), output, "the client's error");
      expect(
        client.filter((line) => line.includes(name)).some((line) => line.includes('syscall')),
        `Node refuses these writes itself, so no system call is named${output}`,
      ).toBe(false);
      expectLine(linesOf(lines, 'server'), /./, output, 'the server side');
      for (const late of ['one more', 'late'])
        expect(
          linesOf(lines, 'server').some((line) => line.includes(late)),
          `the refused bytes must not reach the server${output}`,
        ).toBe(false);
    },
  );

  test('every scenario exits by itself once it has printed its result, leaving no socket open and no child process running', async () => {
    const all = await Promise.all(
      SCENARIOS.map(async (name) => ({ name, run: await runOf(name) })),
    );
    for (const { name, run } of all) {
      const output = outputOf(run.result);
      expect(run.lingering, `${name}: ${run.lingering ?? ''}${output}`).toBeUndefined();
      expect(run.result.signal, `${name} was stopped instead of exiting${output}`).toBeUndefined();
      const children = childrenNamed(run.result);
      const alive = () => children.filter(isAlive);
      await waitUntil(() => alive().length === 0, 2_000);
      expect(alive(), `${name} left child processes running${output}`).toEqual([]);
    }
    // The scenarios that need a second process say which one they started.
    for (const name of ['ETIMEDOUT', 'EMFILE'] as const) {
      const { result } = await runOf(name);
      if (!result.stdoutLines.some((line) => line.startsWith('Skipped: ')))
        expect(
          childrenNamed(result).length,
          `${name} should name its child process${outputOf(result)}`,
        ).toBeGreaterThan(0);
    }
  });

  test('no transcript shows an address outside loopback, except the documentation address that fails to bind', async () => {
    for (const name of SCENARIOS) {
      const { result } = await runOf(name);
      for (const line of result.stdoutLines) {
        for (const [address] of line.matchAll(/\b\d{1,3}(?:\.\d{1,3}){3}\b/g)) {
          const allowed =
            address.startsWith('127.') || (name === 'EADDRNOTAVAIL' && address === '192.0.2.1');
          expect(allowed, `${name} printed the address ${address}:${outputOf(result)}`).toBe(true);
        }
      }
    }
  });
});

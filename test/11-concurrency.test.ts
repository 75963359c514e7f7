// Checks for lesson 11, concurrency on Node. The same checks run against a
// learner's copy with `npm run check -- 11`. Requests and answers are written
// and read here by hand over raw sockets, and the expected digests computed
// here, so a bug in the lesson's code cannot hide behind itself. Blocking is
// proven by the order answers arrive in, never by timing a sleep.

import { createHash } from 'node:crypto';
import net from 'node:net';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import {
  escapeRegExp,
  outputOf,
  programPath,
  runProgram,
  startServer,
  waitUntil,
  type RunningServer,
} from './harness.ts';
import { connectRaw, writeInPieces } from './net-helpers.ts';
import { expectHelpText, expectNothingRaw, HOSTILE } from './output-checks.ts';
import { descendantsOf } from './process-tree.ts';

const loopFile = programPath('11', 'loop-server.ts');
const workerFile = programPath('11', 'worker-server.ts');
const clusterFile = programPath('11', 'cluster-server.ts');
const forkFile = programPath('11', 'fork-server.ts');
const clientFile = programPath('11', 'load-client.ts');

/** Rounds for a work request long enough to send a ping during it (about 0.13 s of CPU here). */
const LONG_ROUNDS = 100_000;
/** How long a check waits for one answer before it fails. */
const ANSWER_TIMEOUT_MS = 10_000;

const expectedAnswers = new Map<number, string>();

/** The answer to `work <rounds>`, computed here: SHA-256 of "work", then of each digest. */
function expectedWork(rounds: number): string {
  const known = expectedAnswers.get(rounds);
  if (known !== undefined) return known;
  let digest = Buffer.from('work', 'utf8');
  for (let round = 0; round < rounds; round++)
    digest = createHash('sha256').update(digest).digest();
  const answer = `work ${rounds}: ${digest.toString('hex')}`;
  expectedAnswers.set(rounds, answer);
  return answer;
}

/** A raw connection that reads the server's answers line by line. */
class LineSocket {
  readonly socket: net.Socket;
  private readonly lines: string[] = [];
  private partial = '';
  private closed = false;
  private wake: (() => void) | undefined;

  /** The address the server sees for this connection, as it prints it. */
  readonly address: string;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    this.address = `${socket.localAddress ?? ''}:${socket.localPort ?? ''}`;
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      const parts = (this.partial + text).split('\n');
      this.partial = parts.pop() ?? '';
      this.lines.push(...parts);
      this.wake?.();
    });
    socket.on('close', () => {
      this.closed = true;
      this.wake?.();
    });
    socket.on('error', () => {});
  }

  static async connect(port: number): Promise<LineSocket> {
    return new LineSocket(await connectRaw(port));
  }

  send(...requests: string[]): void {
    this.socket.write(requests.map((request) => `${request}\n`).join(''));
  }

  /** The next answer line; fails if the server closes first or nothing comes in time. */
  async next(timeoutMs = ANSWER_TIMEOUT_MS): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.lines.length === 0) {
      if (this.closed) throw new Error(`the server closed ${this.address} before answering`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no answer on ${this.address} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return this.lines.shift() ?? '';
  }

  /** Resolves once the server has closed the connection. */
  async closedByServer(timeoutMs = ANSWER_TIMEOUT_MS): Promise<boolean> {
    return waitUntil(() => this.closed, timeoutMs);
  }

  end(): void {
    this.socket.end();
  }
}

/**
 * Sends a long work request on one connection and, once the server has started
 * it, a ping on another; returns which answer arrived first. Both answers are
 * checked. Connections are accepted before the work starts, so a server with
 * several workers or children has handed each to its own.
 */
async function pingDuringWork(server: RunningServer): Promise<string[]> {
  const worker = await LineSocket.connect(server.port);
  await server.waitForLine(
    new RegExp(`(Accepted connection from|Serving) ${escapeRegExp(worker.address)}`),
  );
  const pinger = await LineSocket.connect(server.port);
  await server.waitForLine(
    new RegExp(`(Accepted connection from|Serving) ${escapeRegExp(pinger.address)}`),
  );
  worker.send(`work ${LONG_ROUNDS}`);
  await server.waitForLine(
    new RegExp(`Work ${LONG_ROUNDS} for ${escapeRegExp(worker.address)}: started`),
  );
  const order: string[] = [];
  const workAnswer = worker.next().then((line) => {
    order.push('work');
    return line;
  });
  const pingAnswer = pinger.next().then((line) => {
    order.push('ping');
    return line;
  });
  pinger.send('ping');
  expect(await pingAnswer, outputOf(server)).toBe('pong');
  expect(await workAnswer, outputOf(server)).toBe(expectedWork(LONG_ROUNDS));
  worker.end();
  pinger.end();
  return order;
}

/** True while a process of that pid exists (a zombie, exited but not yet reaped, counts as gone). */
function alive(pid: number): boolean {
  try {
    return !/^\S+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('lesson 11: where the work runs', () => {
  test('loop-server answers a ping sent during a work request only after the work: the event loop is blocked', async () => {
    const server = await startServer(loopFile);
    const order = await pingDuringWork(server);
    expect(
      order,
      `the ping overtook the work, so the work did not block the loop${outputOf(server)}`,
    ).toEqual(['work', 'ping']);
  });

  test.each([
    ['worker-server', workerFile, ['--workers', '2']],
    ['cluster-server', clusterFile, ['--workers', '2']],
    ['fork-server', forkFile, ['--children', '2']],
  ])(
    '%s answers a ping sent during a work request before the work finishes',
    async (_name, file, extraArgs) => {
      const server = await startServer(file, { extraArgs });
      const order = await pingDuringWork(server);
      expect(order, `the ping waited for the work${outputOf(server)}`).toEqual(['ping', 'work']);
    },
  );

  test('every server answers 20 concurrent clients, each its own answers in order, and load-client finds them all right', async () => {
    const servers = await Promise.all([
      startServer(loopFile),
      startServer(workerFile, { extraArgs: ['--workers', '2'] }),
      startServer(clusterFile, { extraArgs: ['--workers', '2'] }),
      startServer(forkFile, { extraArgs: ['--children', '2'] }),
    ]);
    await Promise.all(
      servers.map(async (server) => {
        const clients = await Promise.all(
          Array.from({ length: 20 }, () => LineSocket.connect(server.port)),
        );
        // Each client pipelines three requests in one write; its work is its own size.
        clients.forEach((client, index) => client.send('ping', `work ${100 + index}`, 'ping'));
        const answers = await Promise.all(
          clients.map(async (client) => [
            await client.next(),
            await client.next(),
            await client.next(),
          ]),
        );
        expect(answers, outputOf(server)).toEqual(
          clients.map((_, index) => ['pong', expectedWork(100 + index), 'pong']),
        );
        for (const client of clients) client.end();
        const closed = await Promise.all(clients.map((client) => client.closedByServer()));
        expect(
          closed.every(Boolean),
          `a connection was not closed after the client closed${outputOf(server)}`,
        ).toBe(true);
      }),
    );
    const worker = servers[1];
    if (worker === undefined) throw new Error('no worker-server');
    const result = await runProgram(clientFile, [
      '127.0.0.1',
      String(worker.port),
      '--clients',
      '20',
      '--requests',
      '4',
      '--work-every',
      '2',
      '--rounds',
      '1000',
    ]);
    const output = outputOf(result, worker);
    expect(result.exitCode, output).toBe(0);
    expect(result.stdoutLines, output).toEqual([
      `Starting 20 clients to 127.0.0.1:${worker.port}: 4 requests each, 1 in 2 a work of 1000 rounds`,
      expect.stringMatching(
        /^Ping round trip: p50 \d+\.\d\d ms, p99 \d+\.\d\d ms, max \d+\.\d\d ms \(40 pings\)$/,
      ),
      expect.stringMatching(
        /^Work round trip: p50 \d+\.\d\d ms, max \d+\.\d\d ms \(40 work requests\)$/,
      ),
      expect.stringMatching(/^80 requests in \d+\.\d\d s: \d+\.\d requests\/s$/),
    ]);
  });
});

describe('lesson 11: the worker pool', () => {
  test('worker-server runs at most --workers work requests at once and queues the rest; on Ctrl-C the job in flight is answered and every connection closed', async () => {
    const server = await startServer(workerFile, { extraArgs: ['--workers', '2'] });
    const clients = await Promise.all(
      Array.from({ length: 6 }, () => LineSocket.connect(server.port)),
    );
    clients.forEach((client, index) => client.send(`work ${20_000 + index}`));
    const answers = await Promise.all(clients.map((client) => client.next()));
    expect(answers, outputOf(server)).toEqual(
      clients.map((_, index) => expectedWork(20_000 + index)),
    );
    // Replay the log: how many jobs ran at once, and on which workers.
    let running = 0;
    let most = 0;
    const workers = new Set<string>();
    for (const line of server.stdoutLines) {
      const match = line.match(/: (started|done) on worker (\d+)/);
      if (match === null) continue;
      running += match[1] === 'started' ? 1 : -1;
      most = Math.max(most, running);
      workers.add(match[2] ?? '');
    }
    const output = outputOf(server);
    expect(most, `more jobs ran at once than --workers 2${output}`).toBeLessThanOrEqual(2);
    expect(most, `the jobs never ran two at a time${output}`).toBe(2);
    expect([...workers].sort(), `jobs ran on other workers than the pool's two${output}`).toEqual([
      '1',
      '2',
    ]);
    // Each queued job is logged with its own request and client, so the log
    // tells which connection waits.
    const jobOf = new Map(clients.map((client, index) => [client.address, `${20_000 + index}`]));
    const waitingLines = server.stdoutLines.filter((line) =>
      /waiting for a free worker/.test(line),
    );
    expect(waitingLines.length, output).toBeGreaterThan(0);
    for (const line of waitingLines) {
      const match = line.match(
        /^Work (\d+) for (\S+): waiting for a free worker \((\d+) waiting\)$/,
      );
      expect(match, `a waiting line that does not name its request and client${output}`).not.toBe(
        null,
      );
      expect(match?.[1], `a waiting line names another request or client: ${line}${output}`).toBe(
        jobOf.get(match?.[2] ?? ''),
      );
      expect(Number(match?.[3]), `${line}${output}`).toBeGreaterThan(0);
    }

    // Ctrl-C while a job runs: its answer is written, then every connection is
    // closed. The ping sent meanwhile waits unread in the paused socket; the
    // server must still read (and drop) it, or it never sees the client's FIN
    // and cuts off a client that closed at once. The job is three times the usual
    // long one, so that Ctrl-C reaches the server while it runs even on a
    // loaded machine (once it is done, the ping is read and answered at once,
    // and nothing is left unread to show the mistake).
    const [busy] = clients;
    if (busy === undefined) throw new Error('no sockets');
    const rounds = 3 * LONG_ROUNDS;
    // Computed before the request: computing it while the connection closes
    // would keep this process from answering the server's FIN in time.
    const answer = expectedWork(rounds);
    busy.send(`work ${rounds}`);
    await server.waitForLine(
      new RegExp(`^Work ${rounds} for ${escapeRegExp(busy.address)}: started on worker`),
    );
    busy.send('ping');
    server.signal('SIGINT');
    expect(await busy.next(), outputOf(server)).toBe(answer);
    const done = await server.waitForExit();
    expect(done.exitCode, outputOf(done)).toBe(0);
    const sigintAt = done.stdoutLines.indexOf('SIGINT: closing the server and 6 open connections');
    expect(sigintAt, outputOf(done)).toBeGreaterThanOrEqual(0);
    const jobDoneAt = done.stdoutLines.findIndex((line) =>
      new RegExp(`^Work ${rounds} for ${escapeRegExp(busy.address)}: done on worker`).test(line),
    );
    expect(
      jobDoneAt,
      `Ctrl-C came after the job was done, so this check could not see what the server does with a job in flight (a very busy machine?)${outputOf(done)}`,
    ).toBeGreaterThan(sigintAt);
    const closed = await Promise.all(clients.map((client) => client.closedByServer()));
    expect(closed.every(Boolean), `a connection was left open${outputOf(done)}`).toBe(true);
    expect(
      done.stdoutLines.filter((line) => line.startsWith('Cutting off ')),
      `a client that closed at once was cut off: the server did not read its close${outputOf(done)}`,
    ).toEqual([]);
  });

  test('a worker thread that throws is replaced, and only its own request fails', async () => {
    // One worker, so every job goes through it, and through its replacement.
    const server = await startServer(workerFile, { extraArgs: ['--workers', '1'] });
    const [first, crasher, queued] = await Promise.all(
      Array.from({ length: 3 }, () => LineSocket.connect(server.port)),
    );
    if (first === undefined || crasher === undefined || queued === undefined)
      throw new Error('no sockets');
    // The work function rejects "lots" by throwing, inside the thread.
    first.send(`work ${LONG_ROUNDS}`);
    await server.waitForLine(
      new RegExp(`Work ${LONG_ROUNDS} for ${escapeRegExp(first.address)}: (started|waiting)`),
    );
    crasher.send('work lots');
    await server.waitForLine(
      new RegExp(`Work lots for ${escapeRegExp(crasher.address)}: (started|waiting)`),
    );
    queued.send('work 3000');
    const output = () => outputOf(server);
    expect(await crasher.next(), output()).toMatch(
      /^error: work failed: .*rounds must be a whole number/,
    );
    expect(await first.next(), output()).toBe(expectedWork(LONG_ROUNDS));
    expect(await queued.next(), output()).toBe(expectedWork(3000));
    // The crasher's own connection goes on too.
    crasher.send('ping', 'work 700');
    expect([await crasher.next(), await crasher.next()], output()).toEqual([
      'pong',
      expectedWork(700),
    ]);
    await server.waitForLine(/^Worker 1 died: .*rounds must be/);
    await server.waitForLine(/^Started worker 2 in place of worker 1$/);
  });
});

/** Pids of the processes a server started, from its `<what> N (pid P) <ready>` lines, checked against /proc. */
function childPids(server: RunningServer, pattern: RegExp): Map<string, number> {
  const pids = new Map<string, number>();
  for (const line of server.stdoutLines) {
    const match = line.match(pattern);
    if (match?.[1] !== undefined && match[2] !== undefined) pids.set(match[1], Number(match[2]));
  }
  return pids;
}

describe('lesson 11: processes', () => {
  test('cluster-server starts a new worker when one dies, and on SIGINT every worker finishes its answer and exits before the primary', async () => {
    const server = await startServer(clusterFile, { extraArgs: ['--workers', '2'] });
    const listening = /^Worker (\d+) \(pid (\d+)\) listening$/;
    const before = childPids(server, listening);
    const descendants = descendantsOf(server.pid ?? 0).map((child) => child.pid);
    expect(
      [...before.values()].every((pid) => descendants.includes(pid)),
      outputOf(server),
    ).toBe(true);
    expect(before.size, outputOf(server)).toBe(2);
    // kill -9 on worker 1: the primary notices and starts worker 3.
    process.kill(before.get('1') ?? 0, 'SIGKILL');
    await server.waitForLine(/^Worker 1 \(pid \d+\) was killed by SIGKILL$/);
    await server.waitForLine(/^Worker 3 \(pid \d+\) listening$/);
    const workers = childPids(server, listening);
    workers.delete('1');
    // A work request in flight when Ctrl-C comes still gets its answer.
    const client = await LineSocket.connect(server.port);
    client.send(`work ${LONG_ROUNDS}`);
    await server.waitForLine(
      new RegExp(`Work ${LONG_ROUNDS} for ${escapeRegExp(client.address)}: started`),
    );
    server.signal('SIGINT');
    expect(await client.next(), outputOf(server)).toBe(expectedWork(LONG_ROUNDS));
    const result = await server.waitForExit(15_000);
    const output = outputOf(result);
    expect(result.exitCode, output).toBe(0);
    const lines = result.stdoutLines;
    const last = lines.lastIndexOf('All workers stopped');
    expect(last, output).toBe(lines.length - 1);
    for (const [number, pid] of workers) {
      const exited = lines.indexOf(`Worker ${number} (pid ${pid}) exited with code 0`);
      expect(
        exited,
        `worker ${number} did not exit by itself before the primary${output}`,
      ).toBeGreaterThan(-1);
      expect(exited, output).toBeLessThan(last);
      expect(alive(pid), `worker ${number} (pid ${pid}) is still running${output}`).toBe(false);
    }
  });

  test('fork-server hands connections to its children in turn, and on SIGINT every child finishes its answer and exits before the parent', async () => {
    const server = await startServer(forkFile, { extraArgs: ['--children', '2'] });
    const children = childPids(server, /^Child (\d+) \(pid (\d+)\) ready$/);
    const descendants = descendantsOf(server.pid ?? 0).map((child) => child.pid);
    expect(children.size, outputOf(server)).toBe(2);
    expect(
      [...children.values()].every((pid) => descendants.includes(pid)),
      outputOf(server),
    ).toBe(true);
    const [busy, other] = await Promise.all([
      LineSocket.connect(server.port),
      LineSocket.connect(server.port),
    ]);
    if (busy === undefined || other === undefined) throw new Error('no sockets');
    await server.waitForLine(new RegExp(`^\\[child \\d\\] Serving ${escapeRegExp(busy.address)}$`));
    await server.waitForLine(
      new RegExp(`^\\[child \\d\\] Serving ${escapeRegExp(other.address)}$`),
    );
    const servedBy = (client: LineSocket) =>
      server.stdoutLines.find((line) => line.endsWith(`Serving ${client.address}`))?.slice(0, 9);
    expect(servedBy(busy), `both connections went to the same child${outputOf(server)}`).not.toBe(
      servedBy(other),
    );
    other.send('ping');
    expect(await other.next(), outputOf(server)).toBe('pong');
    busy.send(`work ${LONG_ROUNDS}`);
    await server.waitForLine(
      new RegExp(`Work ${LONG_ROUNDS} for ${escapeRegExp(busy.address)}: started`),
    );
    server.signal('SIGINT');
    expect(await busy.next(), outputOf(server)).toBe(expectedWork(LONG_ROUNDS));
    const result = await server.waitForExit(15_000);
    const output = outputOf(result);
    expect(result.exitCode, output).toBe(0);
    const lines = result.stdoutLines;
    const last = lines.lastIndexOf('All child processes stopped');
    expect(last, output).toBe(lines.length - 1);
    for (const [number, pid] of children) {
      const exited = lines.indexOf(`Child ${number} (pid ${pid}) exited with code 0`);
      expect(
        exited,
        `child ${number} did not exit by itself before the parent${output}`,
      ).toBeGreaterThan(-1);
      expect(exited, output).toBeLessThan(last);
      expect(alive(pid), `child ${number} (pid ${pid}) is still running${output}`).toBe(false);
    }
  });
});

describe('lesson 11: the load client', () => {
  test('load-client reads an answer that comes in pieces, and a wrong answer is one error line, escaped, and exit 1', async () => {
    // A stand-in server: the first answer is right but comes in two pieces, the
    // second (the pause is what cuts it, not a wait for anything); the second
    // answer is wrong, and holds a terminal control.
    const requests: string[] = [];
    const standIn = net.createServer((socket) => {
      socket.setNoDelay(true);
      socket.on('error', () => {});
      let text = '';
      socket.setEncoding('utf8');
      socket.on('data', (chunk: string) => {
        const lines = (text + chunk).split('\n');
        text = lines.pop() ?? '';
        for (const line of lines) {
          requests.push(line);
          if (requests.length === 1) {
            const answer = `${expectedWork(5)}\n`;
            void writeInPieces(socket, [answer.slice(0, 12), answer.slice(12)]);
          } else {
            socket.write('work 5: \x1b[2Jnot a digest\n');
          }
        }
      });
    });
    standIn.listen(0, '127.0.0.1');
    await once(standIn, 'listening');
    try {
      const { port } = standIn.address() as net.AddressInfo;
      const result = await runProgram(clientFile, [
        '127.0.0.1',
        String(port),
        '--clients',
        '1',
        '--requests',
        '2',
        '--work-every',
        '1',
        '--rounds',
        '5',
      ]);
      const output = outputOf(result);
      expect(requests, output).toEqual(['work 5', 'work 5']);
      expect(result.exitCode, output).toBe(1);
      // Only work requests: there is no ping line to print.
      expect(result.stdoutLines, output).toEqual([
        `Starting 1 client to 127.0.0.1:${port}: 2 requests each, each a work of 5 rounds`,
        expect.stringMatching(
          /^Work round trip: p50 \d+\.\d\d ms, max \d+\.\d\d ms \(2 work requests\)$/,
        ),
        expect.stringMatching(/^2 requests in \d+\.\d\d s: \d+\.\d requests\/s$/),
      ]);
      expect(result.stderrLines, output).toEqual([
        'Error: 1 answer wrong, the first: to "work 5" came "work 5: \\x1b[2Jnot a digest"',
      ]);
    } finally {
      standIn.close();
    }
  });
});

describe('lesson 11: hostile input and arguments', () => {
  test('unknown requests and terminal attacks get an error answer and print escaped; a line over 1024 bytes closes only its own connection; Ctrl-C closes the rest and exits 0', async () => {
    const server = await startServer(loopFile);
    const hostile = await LineSocket.connect(server.port);
    hostile.socket.write(Buffer.concat([HOSTILE, Buffer.from('\n')]));
    expect(await hostile.next(), outputOf(server)).toMatch(/^error: unknown request "/);
    hostile.socket.write(Buffer.concat([Buffer.from('work '), HOSTILE, Buffer.from('\n')]));
    expect(await hostile.next(), outputOf(server)).toMatch(/^error: work failed: rounds must be/);
    const other = await LineSocket.connect(server.port);
    const flood = await LineSocket.connect(server.port);
    flood.socket.write('x'.repeat(4096));
    expect(await flood.closedByServer(), outputOf(server)).toBe(true);
    await server.waitForLine(
      new RegExp(
        `^Protocol error from ${escapeRegExp(flood.address)}: more than 1024 bytes without a newline$`,
      ),
    );
    other.send('ping');
    expect(await other.next(), outputOf(server)).toBe('pong');
    // Ctrl-C: every connection is closed, and each client closes in turn at
    // once, so nobody is left to cut off after the grace period.
    server.signal('SIGINT');
    const done = await server.waitForExit();
    expect(done.exitCode, outputOf(done)).toBe(0);
    expect(done.stdoutLines, outputOf(done)).toContainEqual(
      expect.stringMatching(/^SIGINT: closing the server and \d+ open connections?$/),
    );
    expect(await hostile.closedByServer(), outputOf(done)).toBe(true);
    expect(await other.closedByServer(), outputOf(done)).toBe(true);
    expect(
      done.stdoutLines.filter((line) => line.startsWith('Cutting off ')),
      `a client that closed at once was cut off: the server did not read its close${outputOf(done)}`,
    ).toEqual([]);
    expectNothingRaw(done);
  });

  test('--help on every program explains its arguments and exits 0; a bad option prints the usage line and exits 1', async () => {
    const programs: Array<[string, string[]]> = [
      [loopFile, ['host', 'port']],
      [workerFile, ['host', 'port', '--workers N']],
      [clusterFile, ['host', 'port', '--workers N']],
      [forkFile, ['host', 'port', '--children N']],
      [clientFile, ['host', 'port', '--clients N', '--requests N', '--work-every K', '--rounds N']],
    ];
    const [bad, ...helps] = await Promise.all([
      runProgram(clientFile, ['127.0.0.1', '65432', '--clients', '0']),
      ...programs.map(([file]) => runProgram(file, ['--help'])),
    ]);
    programs.forEach(([, names], index) => {
      const help = helps[index];
      if (help !== undefined) expectHelpText(help, { names });
    });
    if (bad === undefined) throw new Error('no result');
    expect(bad.exitCode, outputOf(bad)).toBe(1);
    expect(bad.stderrLines, outputOf(bad)).toEqual([
      'Usage: load-client.ts <host> <port> [--clients N] [--requests N] [--work-every K] [--rounds N]',
      'load-client.ts: --clients must be a whole number of at least 1, got "0"',
    ]);
  });
});

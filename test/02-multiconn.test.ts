// Checks for lesson 02, the multi-connection echo pair. The same checks run
// against a learner's copy with `npm run check -- 02`, so their titles say what
// a program must do.

import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, test } from 'vitest';
import { escapeBytes } from '../shared/bytes.ts';
import { SHUTDOWN_GRACE_MS } from '../shared/shutdown.ts';
import {
  escapeRegExp,
  outputOf,
  programPath,
  runProgram,
  startServer,
  type ProgramResult,
  type RunningProgram,
} from './harness.ts';
import {
  connectNonReader,
  connectRaw,
  exchange,
  readBytes,
  readUntilClose,
  writeInPieces,
} from './net-helpers.ts';
import { expectHelpText, expectNothingRaw, HOSTILE } from './output-checks.ts';

/** How long a stand-in server waits for a client's FIN before it closes anyway. */
const STAND_IN_PATIENCE_MS = 3_000;

/**
 * A small stand-in server for checking the client: on each connection it reads
 * the client's 44 bytes, answers with `pieces` (one write each, a short pause
 * between them, so the client gets them in separate reads), then waits for the
 * client's FIN and closes. `received` holds what each connection sent.
 */
async function startStandIn(pieces: readonly Buffer[]): Promise<{
  port: number;
  received: Buffer[];
  close: () => void;
}> {
  const received: Buffer[] = [];
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => {});
    void (async () => {
      const index = received.push(Buffer.alloc(0)) - 1;
      const ended = once(socket, 'end').then(() => true);
      const chunks: Buffer[] = [];
      await new Promise<void>((resolve) => {
        const onData = (chunk: Buffer) => {
          chunks.push(chunk);
          received[index] = Buffer.concat(chunks);
          if (received[index].length < 44) return;
          socket.off('data', onData);
          resolve();
        };
        socket.on('data', onData);
        void ended.then(() => resolve());
      });
      if ((received[index]?.length ?? 0) < 44) return void socket.end();
      socket.pause();
      if (!(await writeInPieces(socket, pieces))) return;
      socket.resume();
      await Promise.race([ended, delay(STAND_IN_PATIENCE_MS)]);
      socket.end();
    })();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  return { port, received, close: () => server.close() };
}

const serverFile = programPath('02', 'multiconn-server.ts');
const clientFile = programPath('02', 'multiconn-client.ts');

const MESSAGE_1 = "'Message 1 from client.' (22 bytes)";
const MESSAGE_2 = "'Message 2 from client.' (22 bytes)";
const ECHO = 'Message 1 from client.Message 2 from client.';

/** Waits until the program has printed `count` lines matching `pattern`. */
async function waitForLines(
  program: RunningProgram,
  pattern: RegExp,
  count: number,
): Promise<string[]> {
  const found: string[] = [];
  let from = 0;
  while (found.length < count) {
    const { input = '' } = await program.waitForLine(pattern, { from });
    from = program.stdoutLines.indexOf(input, from) + 1;
    found.push(input);
  }
  return found;
}

/**
 * Fails with the server's output, not only the socket's complaint, when
 * `promise` rejects; `meaning` says in words what the failure shows.
 */
async function orFailWith<T>(
  promise: Promise<T>,
  program: RunningProgram,
  meaning?: string,
): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    const message = (error as Error).message;
    // Harness errors carry the program's output already; socket errors do not.
    const output = message.includes(`--- ${program.name}`) ? '' : outputOf(program);
    throw new Error(`${meaning === undefined ? message : `${meaning}: ${message}`}${output}`, {
      cause: error,
    });
  }
}

/** The client's lines about connection `id`, in the order it printed them. */
function linesAbout(result: ProgramResult, id: number): string[] {
  return result.stdoutLines.filter(
    (line) => line.match(/\bconnection (\d+)\b/)?.[1] === String(id),
  );
}

/** Every byte connection `id` received, from its `Received '...' (N bytes) on connection id` lines. */
function echoedText(result: ProgramResult, id: number): string {
  return linesAbout(result, id)
    .map((line) => line.match(/^Received '(.*)' \(\d+ bytes?\) on connection \d+$/)?.[1])
    .filter((text) => text !== undefined)
    .join('');
}

describe('lesson 02: multi-connection server and client', () => {
  test('1, 3 and 100 connections all complete with every byte back in order', async () => {
    const server = await startServer(serverFile);
    const counts = [1, 3, 100];
    // Three client programs at once, 104 connections in all, on one server.
    const results = await Promise.all(
      counts.map(async (count) => ({
        count,
        result: await runProgram(clientFile, ['127.0.0.1', String(server.port), String(count)]),
      })),
    );
    results.forEach(({ count, result }) => {
      const output = outputOf(result, server);
      expect(result.exitCode, output).toBe(0);
      expect(result.stderrLines, output).toEqual([]);
      for (let id = 1; id <= count; id++) {
        expect(echoedText(result, id), `connection ${id} got back different bytes${output}`).toBe(
          ECHO,
        );
      }
      expect(result.stdoutLines.at(-1), output).toBe(
        `Totals: ${count} connection${count === 1 ? '' : 's'}, ${44 * count} bytes sent, ${44 * count} bytes received`,
      );
    });
    // Every connection the server accepted, it also closed, with its byte totals.
    const closing = await waitForLines(server, /^Closing connection to 127\.0\.0\.1:\d+: /, 104);
    expect(closing, outputOf(server)).toEqual(
      Array(104).fill(expect.stringMatching(/: 44 bytes in, 44 bytes out$/)),
    );
  });

  test('per connection, the client transcript shows start, both sends, receive and close in that order', async () => {
    const server = await startServer(serverFile);
    const result = await runProgram(clientFile, ['127.0.0.1', String(server.port), '2']);
    const output = outputOf(result, server);
    expect(result.exitCode, output).toBe(0);
    // Both connections start before either sends: the client opens them all at once.
    expect(result.stdoutLines.slice(0, 2), output).toEqual([
      `Starting connection 1 to 127.0.0.1:${server.port}`,
      `Starting connection 2 to 127.0.0.1:${server.port}`,
    ]);
    for (const id of [1, 2]) {
      const lines = linesAbout(result, id);
      // The echo may come back in one read or several; all of them sit between the sends and the close.
      const received = lines.slice(3, -1);
      expect(lines, output).toEqual([
        `Starting connection ${id} to 127.0.0.1:${server.port}`,
        `Sending ${MESSAGE_1} on connection ${id}`,
        `Sending ${MESSAGE_2} on connection ${id}`,
        ...received,
        `Closing connection ${id}: 44 of 44 bytes back`,
      ]);
      expect(received.length, output).toBeGreaterThan(0);
      expect(received, output).toEqual(
        Array(received.length).fill(expect.stringMatching(/^Received '/)),
      );
    }
    expect(result.stdoutLines.at(-1), output).toBe(
      'Totals: 2 connections, 88 bytes sent, 88 bytes received',
    );
  });

  test('the server stays up after its clients leave and serves a new client', async () => {
    const server = await startServer(serverFile);
    const result = await runProgram(clientFile, ['127.0.0.1', String(server.port), '2']);
    expect(result.exitCode, outputOf(result, server)).toBe(0);
    await waitForLines(server, /^Closing connection to /, 2);
    const reply = await orFailWith(
      exchange(server.port, Buffer.from('Anyone still there?')),
      server,
    );
    expect(reply.toString(), outputOf(server)).toBe('Anyone still there?');
    // The server's log can reach us after the echo does: wait for it, do not count lines at once.
    const closing = await waitForLines(server, /^Closing connection to /, 3);
    expect(closing[2], outputOf(server)).toMatch(/: 19 bytes in, 19 bytes out$/);
  });

  test('a client that resets its connection mid-way does not disturb the others', async () => {
    const server = await startServer(serverFile);
    const sockets = await Promise.all([
      connectRaw(server.port),
      connectRaw(server.port),
      connectRaw(server.port),
    ]);
    // Each connection gets its first half echoed, so all three are mid-way.
    await Promise.all(
      sockets.map(async (socket, index) => {
        const reply = readBytes(socket, 12);
        socket.write(`first half ${index}`);
        expect((await orFailWith(reply, server)).toString(), outputOf(server)).toBe(
          `first half ${index}`,
        );
      }),
    );
    const [first, second, rude] = sockets;
    const rudeAddress = `127.0.0.1:${rude.localPort}`;
    rude.resetAndDestroy();
    const lost = await server.waitForLine(
      new RegExp(`^Lost connection to ${escapeRegExp(rudeAddress)}: `),
    );
    expect(lost.input, outputOf(server)).toMatch(/connection reset by .* \(ECONNRESET\)/);

    const replies = Promise.all(
      [first, second].map((socket, index) => {
        const reply = readUntilClose(socket);
        socket.resume();
        socket.end(`second half ${index}`);
        return reply;
      }),
    );
    const [firstReply, secondReply] = await orFailWith(replies, server);
    expect(firstReply?.toString(), outputOf(server)).toBe('second half 0');
    expect(secondReply?.toString(), outputOf(server)).toBe('second half 1');
    expect(
      server.stdoutLines.filter((line) => line.startsWith('Lost connection')),
      outputOf(server),
    ).toHaveLength(1);
    const reply = await orFailWith(exchange(server.port, Buffer.from('still here')), server);
    expect(reply.toString(), outputOf(server)).toBe('still here');
  });

  test('the server serves connections concurrently: a second client is echoed while the first stays idle', async () => {
    const server = await startServer(serverFile);
    const first = await connectRaw(server.port);
    await server.waitForLine(
      new RegExp(`^Accepted connection from 127\\.0\\.0\\.1:${first.localPort}$`),
    );
    const second = await connectRaw(server.port);
    // A server that serves one client at a time never reads `second` while `first` is open.
    const secondReply = readBytes(second, 'second speaks first'.length, 5_000);
    second.write('second speaks first');
    const echo = await orFailWith(
      secondReply,
      server,
      'the second client got no echo while the first stayed connected (does the server serve one client at a time?)',
    );
    expect(echo.toString(), outputOf(server)).toBe('second speaks first');
    const firstReply = readBytes(first, 'then the first'.length);
    first.write('then the first');
    expect((await orFailWith(firstReply, server)).toString(), outputOf(server)).toBe(
      'then the first',
    );
  });

  test('8 MiB echoed to a client that reads slowly comes back intact, and the server pauses and resumes reading it', async ({
    annotate,
  }) => {
    const server = await startServer(serverFile);
    const payload = randomBytes(8 * 1024 * 1024);
    const socket = await connectRaw(server.port);
    const clientAddress = `127.0.0.1:${socket.localPort}`;
    const address = escapeRegExp(clientAddress);
    // Read nothing yet: the echo piles up until the server's write() says its queue is full.
    socket.pause();
    socket.end(payload);
    const paused = server.waitForLine(
      new RegExp(
        `^Paused reading from ${address}: write queue over its limit \\(\\d+ bytes queued\\)$`,
      ),
      { timeoutMs: 5_000 },
    );
    await orFailWith(
      paused,
      server,
      "the server never paused reading a client that reads nothing (does it act on write()'s return value?)",
    );

    // Now read, slowly: one chunk, then a pause before the next.
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      socket.pause();
      setTimeout(() => socket.resume(), 1);
    });
    const ended = orFailWith(readUntilClose(socket), server);
    socket.resume();
    await ended;
    // While paused, the server must really stop reading: no echo between a Paused line and the next Resumed.
    // (Its Closing line comes after every Echoing line, so by then the log is complete.)
    await server.waitForLine(new RegExp(`^Closing connection to ${address}: `));
    let pausedNow = false;
    for (const line of server.stdoutLines.filter((text) => text.includes(clientAddress))) {
      if (line.startsWith('Paused reading')) pausedNow = true;
      else if (line.startsWith('Resumed reading')) pausedNow = false;
      else if (line.startsWith('Echoing')) {
        expect(
          pausedNow,
          `the server kept reading after it said it paused: did you call socket.pause()?${outputOf(server)}`,
        ).toBe(false);
      }
    }
    await server.waitForLine(new RegExp(`^Resumed reading from ${address}: write queue drained$`));
    const reply = Buffer.concat(chunks);
    expect(reply.length, outputOf(server)).toBe(payload.length);
    expect(
      reply.equals(payload),
      'the echoed bytes differ from the bytes sent' + outputOf(server),
    ).toBe(true);

    // How much memory the server needed for it, for the record (Linux only).
    const status = await readFile(`/proc/${server.pid}/status`, 'utf8').catch(() => '');
    const peak = status.match(/^VmHWM:\s+(\d+) kB/m)?.[1];
    if (peak !== undefined)
      await annotate(`server peak memory (VmHWM): ${(Number(peak) / 1024).toFixed(1)} MiB`);
  });

  test.each([
    ['server', ['127.0.0.1'], serverFile],
    ['client', ['127.0.0.1', '65432'], clientFile],
    ['client', ['127.0.0.1', '65432', '0'], clientFile],
  ])('bad arguments to the %s print the usage line and exit 1 (%j)', async (role, args, file) => {
    const result = await runProgram(file, args);
    const output = outputOf(result);
    expect(result.exitCode, output).toBe(1);
    expect(result.stderrLines[0], output).toBe(
      role === 'server'
        ? 'Usage: multiconn-server.ts <host> <port>'
        : 'Usage: multiconn-client.ts <host> <port> <num_connections>',
    );
    expect(result.stdoutLines, output).toEqual([]);
  });

  test('the server logs each client by the address and port it connected from, with the bytes it sent escaped', async () => {
    const server = await startServer(serverFile);
    const socket = await connectRaw(server.port);
    const peer = `127.0.0.1:${socket.localPort}`;
    const payload = Buffer.concat([Buffer.from('caf\u00e9 '), HOSTILE]);
    const reply = readUntilClose(socket);
    socket.end(payload);
    expect((await orFailWith(reply, server)).equals(payload), outputOf(server)).toBe(true);
    await server.waitForLine(/^Closing connection to /);
    const output = outputOf(server);
    expectNothingRaw(server);
    const lines = server.stdoutLines.slice(1);
    expect(lines[0], `the server should log the client's own address and port${output}`).toBe(
      `Accepted connection from ${peer}`,
    );
    const echoed = lines.slice(1, -1).map((line) => {
      const piece = line.match(/^Echoing '(.*)' \(\d+ bytes?\) to (\S+)$/);
      expect(
        piece,
        `expected "Echoing '<bytes>' (<n> bytes) to <address>"${output}`,
      ).not.toBeNull();
      expect(piece?.[2], output).toBe(peer);
      return piece?.[1];
    });
    expect(echoed.join(''), output).toBe(escapeBytes(payload));
    expect(lines.at(-1), output).toBe(
      `Closing connection to ${peer}: ${payload.length} bytes in, ${payload.length} bytes out`,
    );
  });

  test('the client counts echoed bytes, not reads or characters, when the server answers in pieces', async () => {
    // 44 bytes, as many as the client sends, but in 24 characters: multi-byte ones,
    // one split between two pieces, a byte that is not UTF-8, and hostile ones.
    const answer = Buffer.concat([
      Buffer.from('\u001b[2J\u009b\u202e'),
      Buffer.of(0xff),
      Buffer.from('\u00e9'.repeat(17)),
    ]);
    expect(answer.length).toBe(44);
    const standIn = await startStandIn([
      answer.subarray(0, 11),
      answer.subarray(11, 12),
      answer.subarray(12),
    ]);
    try {
      const result = await runProgram(clientFile, ['127.0.0.1', String(standIn.port), '2']);
      const output = outputOf(result);
      expect(result.exitCode, output).toBe(0);
      expectNothingRaw(result);
      for (const id of [1, 2]) {
        expect(
          echoedText(result, id),
          `connection ${id} should print every byte it received, escaped${output}`,
        ).toBe(escapeBytes(answer));
        const closing = linesAbout(result, id).filter((line) => line.startsWith('Closing'));
        expect(
          closing,
          `connection ${id} should close once, when all 44 bytes are back, however many reads that takes${output}`,
        ).toEqual([`Closing connection ${id}: 44 of 44 bytes back`]);
        expect(linesAbout(result, id).at(-1), output).toBe(closing[0]);
      }
      expect(result.stdoutLines.at(-1), output).toBe(
        'Totals: 2 connections, 88 bytes sent, 88 bytes received',
      );
      expect(
        standIn.received.map((bytes) => bytes.toString()),
        `each connection should send both messages, in order${output}`,
      ).toEqual([ECHO, ECHO]);
    } finally {
      standIn.close();
    }
  });

  test('the client reports each connection the server closes or resets before echoing, prints the totals, and exits 1', async () => {
    // A stand-in server: it closes the first connection it accepts at once (FIN,
    // reading on so nothing is reset), resets the second, and echoes the others.
    let accepted = 0;
    const standIn = net.createServer((socket) => {
      socket.on('error', () => {});
      accepted += 1;
      if (accepted === 1) {
        socket.end();
        socket.resume();
      } else if (accepted === 2) socket.resetAndDestroy();
      else socket.pipe(socket);
    });
    standIn.listen(0, '127.0.0.1');
    await once(standIn, 'listening');
    const { port } = standIn.address() as net.AddressInfo;
    try {
      const result = await runProgram(clientFile, ['127.0.0.1', String(port), '4']);
      const output = outputOf(result);
      expect(result.exitCode, `a client with failed connections should exit 1${output}`).toBe(1);
      const failed = result.stdoutLines
        .map((line) => line.match(/^Connection (\d+) failed: (.*)$/))
        .filter((match) => match !== null);
      expect(
        failed.map((match) => match[2]).sort(),
        `each connection that did not get its echo should print one "Connection <id> failed: <why>" line: one closed early, one reset${output}`,
      ).toEqual([
        expect.stringMatching(/^(connection reset by 127\.0\.0\.1:\d+ \(ECONNRESET\)|.*\(EPIPE\))/),
        expect.stringMatching(/^the server closed connection \d after 0 of 44 bytes$/),
      ]);
      const first = failed.sort((a, b) => Number(a[1]) - Number(b[1]))[0];
      expect(result.stdoutLines.at(-1), output).toMatch(
        /^Totals: 4 connections, (132|176) bytes sent, 88 bytes received$/,
      );
      expect(
        result.stderrLines,
        `after the totals, one line on stderr should say how many connections failed and why the first one did${output}`,
      ).toEqual([`Error: 2 of 4 connections failed: ${first?.[2] ?? '?'}`]);
    } finally {
      standIn.close();
    }
  });

  test.each([
    ['server', serverFile, ['host', 'port']],
    ['client', clientFile, ['host', 'port', 'num_connections']],
  ])(
    '--help on the %s prints its usage and what each argument means, and exits 0',
    async (_role, file, names) => {
      const result = await runProgram(file, ['--help']);
      expect(result.stdoutLines[0], outputOf(result)).toMatch(
        /^Usage: multiconn-(server|client)\.ts /,
      );
      expectHelpText(result, { names });
    },
  );

  test('Ctrl-C (SIGINT) stops the server cleanly with exit 0, closing its open connections', async () => {
    const server = await startServer(serverFile);
    const socket = await connectRaw(server.port);
    socket.on('error', () => {});
    const closed = new Promise((resolve) => socket.once('close', resolve));
    await server.waitForLine(/^Accepted connection from /);
    server.signal('SIGINT');
    const done = await server.waitForExit();
    expect(done.exitCode, outputOf(done)).toBe(0);
    expect(done.stdoutLines, outputOf(done)).toContain(
      'Stopping on SIGINT: closing the server and 1 open connection',
    );
    expect(done.stdoutLines.at(-1), outputOf(done)).toBe('Server stopped');
    await closed;
  });

  test('SIGTERM lets echoes being written finish, closes every connection, and exits 0', async () => {
    const server = await startServer(serverFile);
    const idle = await connectRaw(server.port);
    const busy = await connectRaw(server.port);
    const peer = `127.0.0.1:${busy.localPort}`;
    for (const socket of [idle, busy]) socket.on('error', () => {});
    const idleClosed = readUntilClose(idle);
    // Send far more than the kernel holds, and read nothing: the echo piles up.
    const payload = randomBytes(8 * 1024 * 1024);
    busy.pause();
    busy.write(payload);
    await orFailWith(
      server.waitForLine(new RegExp(`^Paused reading from ${escapeRegExp(peer)}: `)),
      server,
    );
    server.signal('SIGTERM');
    await server.waitForLine(/^Stopping on SIGTERM: /);
    // Now read. Every byte the server had echoed must arrive, then its FIN.
    const reply = orFailWith(
      readUntilClose(busy),
      server,
      'the echo was cut off: on SIGTERM, let the echo already queued finish before closing',
    );
    busy.resume();
    const echoed = await reply;
    await orFailWith(idleClosed, server, 'the idle connection was not closed');
    const done = await server.waitForExit();
    const output = outputOf(done);
    expect(done.exitCode, output).toBe(0);
    const stopping = done.stdoutLines.findIndex((line) => line.startsWith('Stopping on'));
    expect(done.stdoutLines[stopping], output).toBe(
      'Stopping on SIGTERM: closing the server and 2 open connections',
    );
    const taken = done.stdoutLines
      .slice(0, stopping)
      .filter((line) => line.endsWith(` to ${peer}`))
      .reduce(
        (sum, line) => sum + Number(line.match(/^Echoing .*\((\d+) bytes?\) to /)?.[1] ?? 0),
        0,
      );
    expect(
      echoed.length,
      `the client should get the echo of every byte the server logged before SIGTERM${output}`,
    ).toBe(taken);
    expect(
      echoed.equals(payload.subarray(0, taken)),
      `the echo differs from the bytes sent${output}`,
    ).toBe(true);
    expect(
      done.stdoutLines.filter((line) => line.includes(' still open after ')),
      `both clients closed in reply to the server's FIN: the server should read their FIN (keep reading after SIGTERM, paused sockets too) and stop without waiting out the grace period${output}`,
    ).toEqual([]);
    expect(done.stdoutLines.at(-1), output).toBe('Server stopped');
  });

  test('SIGTERM with a client that never reads its echo: the server cuts it off after the grace period and exits 0', async () => {
    const server = await startServer(serverFile);
    // Far more than the kernel holds, and never read: the echo cannot finish.
    const { socket, peer } = await connectNonReader(
      server.port,
      Buffer.alloc(8 * 1024 * 1024, 'never read '),
    );
    await orFailWith(
      server.waitForLine(new RegExp(`^Paused reading from ${escapeRegExp(peer)}: `)),
      server,
    );
    server.signal('SIGTERM');
    const done = await server.waitForExit();
    const output = outputOf(done);
    socket.destroy();
    expect(done.exitCode, output).toBe(0);
    const stopping = done.stdoutLines.findIndex((line) => line.startsWith('Stopping on'));
    expect(
      done.stdoutLines.slice(stopping),
      `a client that reads nothing must not keep the server forever: after ${SHUTDOWN_GRACE_MS} ms, say so, close it and exit${output}`,
    ).toEqual([
      'Stopping on SIGTERM: closing the server and 1 open connection',
      `Closing connection to ${peer}: still open after ${SHUTDOWN_GRACE_MS} ms`,
      'Server stopped',
    ]);
  });
});

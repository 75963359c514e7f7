// Checks for lesson 01, the echo pair. The same checks run against a learner's
// copy with `npm run check -- 01`, so their titles say what a program must do.

import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import net from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, test } from 'vitest';
import { escapeBytes } from '../shared/bytes.ts';
import { SHUTDOWN_GRACE_MS } from '../shared/shutdown.ts';
import { outputOf, programPath, runProgram, startServer } from './harness.ts';
import {
  closedPort,
  connectNonReader,
  connectRaw,
  exchange,
  hasIPv6Loopback,
  readUntilClose,
  writeInPieces,
} from './net-helpers.ts';
import { expectHelpText, expectNothingRaw, HOSTILE } from './output-checks.ts';

const ipv6 = await hasIPv6Loopback();
if (!ipv6) console.log('Skipping the IPv6 check: this machine has no ::1 loopback.');

/**
 * A small stand-in echo server for checking the client: it reads everything the
 * client sends until the client half-closes, then answers with `pieces`, one write
 * each, a short pause between them so the client gets them in separate reads,
 * and closes. `received` resolves with what the client sent.
 */
async function startStandIn(pieces: readonly Buffer[]): Promise<{
  port: number;
  received: Promise<Buffer>;
  close: () => void;
}> {
  const server = net.createServer({ allowHalfOpen: true });
  let resolveReceived: (bytes: Buffer) => void = () => {};
  const received = new Promise<Buffer>((resolve) => (resolveReceived = resolve));
  server.on('connection', (socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => {});
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of socket.iterator({
        destroyOnReturn: false,
      }) as AsyncIterable<Buffer>)
        chunks.push(chunk);
      resolveReceived(Buffer.concat(chunks));
      if (await writeInPieces(socket, pieces)) socket.end();
    })();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  return { port, received, close: () => server.close() };
}

const server = programPath('01', 'echo-server.ts');
const client = programPath('01', 'echo-client.ts');

describe('lesson 01: echo server and client', () => {
  test('the client gets "Hello, world" echoed back and exits 0', async () => {
    const echo = await startServer(server);
    const result = await runProgram(client, ['127.0.0.1', String(echo.port)]);
    const output = outputOf(result, echo);
    expect(result.exitCode, output).toBe(0);
    expect(result.stdoutLines, output).toEqual([
      `Connected to 127.0.0.1:${echo.port}`,
      "Sent 'Hello, world' (12 bytes)",
      "Received 'Hello, world' (12 bytes)",
      'Server closed the connection',
    ]);
  });

  test('the server logs the client address, what it received, and exits 0 after the client closes', async () => {
    const echo = await startServer(server);
    // A raw connection, so the check knows the client's real port.
    const socket = await connectRaw(echo.port);
    const peer = `127.0.0.1:${socket.localPort}`;
    const reply = readUntilClose(socket);
    socket.end(Buffer.concat([Buffer.from('Hello, world '), HOSTILE]));
    await reply;
    const done = await echo.waitForExit();
    const output = outputOf(done);
    expect(done.exitCode, output).toBe(0);
    expectNothingRaw(done);
    const [listening, connected, ...rest] = done.stdoutLines;
    expect(listening, output).toBe(`Listening on 127.0.0.1:${echo.port}`);
    expect(
      connected,
      `the server should name the client that connected, by its address and port${output}`,
    ).toBe(`Connected by ${peer}`);
    // The bytes may arrive in one read or several; together they are the message.
    const pieces = rest.slice(0, -2).map((line) => {
      const piece = line.match(/^Received '(.*)' \(\d+ bytes?\) from (\S+)$/);
      expect(
        piece,
        `every line before the close should be "Received '<bytes>' (<n> bytes) from <address>"${output}`,
      ).not.toBeNull();
      expect(piece?.[2], output).toBe(peer);
      return piece?.[1];
    });
    expect(
      pieces.join(''),
      `the server's Received lines should add up to the message, each byte escaped${output}`,
    ).toBe(escapeBytes(Buffer.concat([Buffer.from('Hello, world '), HOSTILE])));
    expect(rest.at(-2), output).toBe(`Client ${peer} closed its side; closing the connection`);
    expect(rest.at(-1), output).toBe('Connection closed; server exiting');
  });

  test('1 MiB sent in one go comes back byte for byte', async () => {
    const echo = await startServer(server);
    const payload = randomBytes(1024 * 1024);
    const reply = await exchange(echo.port, payload);
    expect(reply.length, outputOf(echo)).toBe(payload.length);
    expect(
      reply.equals(payload),
      'the echoed bytes differ from the bytes sent' + outputOf(echo),
    ).toBe(true);
    expect((await echo.waitForExit()).exitCode, outputOf(echo)).toBe(0);
  });

  test('bytes written one at a time come back in order', async () => {
    const echo = await startServer(server);
    const socket = await connectRaw(echo.port);
    const reply = readUntilClose(socket);
    const payload = Buffer.from('one byte at a time, each in its own write');
    for (const byte of payload) {
      socket.write(Buffer.of(byte));
      await new Promise((resolve) => setImmediate(resolve));
    }
    socket.end();
    expect((await reply).toString(), outputOf(echo)).toBe(payload.toString());
  });

  test("the server stops reading from a client that sends a lot and reads nothing, and waits for 'drain'", async () => {
    const echo = await startServer(server);
    const socket = await connectRaw(echo.port);
    socket.on('error', () => {});
    // 16 MiB, more than the kernel's buffers on both sides hold (a few MiB).
    const payload = Buffer.alloc(16 * 1024 * 1024, 'backpressure ');
    socket.pause();
    socket.end(payload);
    // A server that waits for 'drain' reads only what fits in the kernel's
    // buffers and its own small queue, then stops: its Received lines stop adding up.
    const logged = () =>
      echo.stdoutLines.reduce(
        (sum, line) => sum + Number(line.match(/^Received .*\((\d+) bytes?\) from /)?.[1] ?? 0),
        0,
      );
    const LIMIT = 12 * 1024 * 1024;
    let last = 0;
    let quietPolls = 0;
    // Poll until the total, once the server has started reading, has not grown
    // for half a second (it stopped reading), or it passes LIMIT (it reads on,
    // queueing every echo in its memory).
    const deadline = Date.now() + 10_000;
    while (quietPolls < 10 && logged() <= LIMIT && Date.now() < deadline) {
      await delay(50);
      const now = logged();
      quietPolls = now === last && now > 0 ? quietPolls + 1 : 0;
      last = now;
    }
    expect(logged(), `the server logged no Received line${outputOf(echo)}`).toBeGreaterThan(0);
    expect(
      logged(),
      `the server read ${logged()} bytes from a client that read none of its echo: after write() returns false, wait for 'drain' before reading more${outputOf(echo)}`,
    ).toBeLessThanOrEqual(LIMIT);
    // Now read: every byte comes back, and the server exits normally.
    const reply = readUntilClose(socket, 20_000);
    socket.resume();
    const echoed = await reply;
    expect(echoed.length, outputOf(echo)).toBe(payload.length);
    expect(echoed.equals(payload), `the echo differs from the bytes sent${outputOf(echo)}`).toBe(
      true,
    );
    expect((await echo.waitForExit()).exitCode, outputOf(echo)).toBe(0);
  });

  test('the client prints the whole answer when the server sends it in pieces, as bytes, with control characters escaped', async () => {
    // "wörld ✓" with the ✓ (3 bytes) split between two pieces, a byte that is not
    // UTF-8, and hostile characters: a client that reads once, or decodes each
    // piece to text before joining them, prints something else.
    const answer = Buffer.concat([
      Buffer.from('h\u00e9llo w\u00f6rld \u2713'),
      Buffer.of(0xff),
      HOSTILE,
    ]);
    const checkMark = answer.indexOf(Buffer.from('\u2713'));
    const pieces = [
      answer.subarray(0, checkMark + 1),
      answer.subarray(checkMark + 1, checkMark + 2),
      answer.subarray(checkMark + 2),
    ];
    const standIn = await startStandIn(pieces);
    try {
      const result = await runProgram(client, [
        '127.0.0.1',
        String(standIn.port),
        '--message',
        'h\u00e9llo \u2713',
      ]);
      const output = outputOf(result);
      expect(result.exitCode, output).toBe(0);
      expect(
        (await standIn.received).toString('hex'),
        `the server should receive the --message text as UTF-8, then FIN${output}`,
      ).toBe(Buffer.from('h\u00e9llo \u2713').toString('hex'));
      expect(result.stdoutLines, output).toEqual([
        `Connected to 127.0.0.1:${standIn.port}`,
        "Sent 'h\\xc3\\xa9llo \\xe2\\x9c\\x93' (10 bytes)",
        `Received '${escapeBytes(answer)}' (${answer.length} bytes)`,
        'Server closed the connection',
      ]);
      expectNothingRaw(result);
    } finally {
      standIn.close();
    }
  });

  test('the client with --size 1048576 sends 1 MiB of its message and prints the 1 MiB it gets back', async () => {
    const sent = Buffer.alloc(1024 * 1024, 'Hello, world');
    // The answer comes back in three pieces, the middle one 1 byte.
    const standIn = await startStandIn([
      sent.subarray(0, 500_000),
      sent.subarray(500_000, 500_001),
      sent.subarray(500_001),
    ]);
    try {
      const result = await runProgram(client, [
        '127.0.0.1',
        String(standIn.port),
        '--size',
        '1048576',
      ]);
      const output = outputOf(result);
      expect(result.exitCode, output).toBe(0);
      const received = await standIn.received;
      expect(received.length, output).toBe(sent.length);
      expect(received.equals(sent), `the client did not send its message repeated${output}`).toBe(
        true,
      );
      const shown = `'${'Hello, world'.repeat(6).slice(0, 64)}...' (1048576 bytes)`;
      expect(result.stdoutLines, output).toEqual([
        `Connected to 127.0.0.1:${standIn.port}`,
        `Sent ${shown}`,
        `Received ${shown}`,
        'Server closed the connection',
      ]);
    } finally {
      standIn.close();
    }
  });

  test.skipIf(!ipv6)(
    'the server works on IPv6 loopback and prints the address in brackets',
    async () => {
      const echo = await startServer(server, { host: '::1' });
      expect(echo.stdoutLines[0]).toBe(`Listening on [::1]:${echo.port}`);
      const result = await runProgram(client, ['::1', String(echo.port)]);
      expect(result.stdoutLines, outputOf(result, echo)).toContain(
        "Received 'Hello, world' (12 bytes)",
      );
    },
  );

  test('a client that resets the connection gets one clear line from the server, not a stack trace', async () => {
    const echo = await startServer(server);
    const socket = await connectRaw(echo.port);
    const peer = `127.0.0.1:${socket.localPort}`;
    socket.write('partial');
    await echo.waitForLine(/^Received /);
    socket.resetAndDestroy();
    const done = await echo.waitForExit();
    expect(done.exitCode, outputOf(done)).toBe(1);
    expect(done.stderrLines, outputOf(done)).toEqual([
      `Error: connection reset by ${peer} (ECONNRESET): the other side closed abruptly (it crashed, was killed, or gave up on the connection)`,
    ]);
  });

  test('the client with no server prints "connection refused" and exits 1', async () => {
    const port = await closedPort();
    const result = await runProgram(client, ['127.0.0.1', String(port)]);
    expect(result.exitCode, outputOf(result)).toBe(1);
    expect(result.stderrLines, outputOf(result)).toEqual([
      `Error: connection refused (ECONNREFUSED): is the server running on 127.0.0.1:${port}?`,
    ]);
    expect(
      result.stdoutLines,
      `the client never connected, so it should print neither "Connected" nor "Sent": wait for 'connect' before saying so${outputOf(result)}`,
    ).toEqual([]);
  });

  test('a server started on a busy port says the address is in use and exits 1', async () => {
    const first = await startServer(server);
    const second = await runProgram(server, ['127.0.0.1', String(first.port)]);
    expect(second.exitCode, outputOf(second)).toBe(1);
    expect(second.stderrLines.join('\n'), outputOf(second)).toMatch(
      new RegExp(`^Error: address in use \\(EADDRINUSE\\): .*127\\.0\\.0\\.1:${first.port}`),
    );
  });

  test.each([
    ['server', 'a port that is not a number', server, ['127.0.0.1', 'not-a-port']],
    ['server', 'a port above 65535', server, ['127.0.0.1', '70000']],
    ['client', 'a --size that is not a number', client, ['--size', 'lots']],
  ])(
    'bad arguments to the %s (%s) print the usage line and exit 1',
    async (_role, _what, file, args) => {
      const result = await runProgram(file, args);
      expect(result.exitCode, outputOf(result)).toBe(1);
      expect(result.stderrLines[0], outputOf(result)).toMatch(
        /^Usage: echo-(server\.ts \[host\] \[port\]|client\.ts \[host\] \[port\] \[--message TEXT\] \[--size BYTES\])$/,
      );
      expect(result.stdoutLines, outputOf(result)).toEqual([]);
    },
  );

  test.each([
    ['server', server, ['host', 'port']],
    ['client', client, ['host', 'port', '--message TEXT', '--size BYTES']],
  ])(
    '--help on the %s prints its usage and what each argument means, and exits 0',
    async (_role, file, names) => {
      const result = await runProgram(file, ['--help']);
      expect(result.stdoutLines[0], outputOf(result)).toMatch(/^Usage: echo-(server|client)\.ts /);
      expectHelpText(result, { names });
    },
  );

  test('Ctrl-C (SIGINT) stops a waiting server with exit 0', async () => {
    const echo = await startServer(server);
    echo.signal('SIGINT');
    const done = await echo.waitForExit();
    expect(done.exitCode, outputOf(done)).toBe(0);
    expect(done.stdoutLines.at(-1), outputOf(done)).toBe('Stopping on SIGINT: closing the server');
  });

  test('SIGTERM while an echo is being written lets it finish, then the server closes and exits 0', async () => {
    const echo = await startServer(server);
    const socket = await connectRaw(echo.port);
    const peer = `127.0.0.1:${socket.localPort}`;
    socket.on('error', () => {});
    // Send far more than the kernel holds, and read nothing: the echo piles up.
    const payload = randomBytes(8 * 1024 * 1024);
    socket.pause();
    socket.write(payload);
    await echo.waitForLine(/^Received /);
    echo.signal('SIGTERM');
    await echo.waitForLine(/^Stopping on SIGTERM: /);
    // Now read. Every byte the server had taken in must come back, then its FIN.
    const reply = readUntilClose(socket);
    socket.resume();
    let echoed: Buffer;
    try {
      echoed = await reply;
    } catch (error) {
      throw new Error(
        `the echo was cut off (${(error as Error).message}): on SIGTERM, let the echo already queued finish before closing${outputOf(echo)}`,
        { cause: error },
      );
    }
    const done = await echo.waitForExit();
    const output = outputOf(done);
    expect(done.exitCode, output).toBe(0);
    const stopping = done.stdoutLines.findIndex((line) => line.startsWith('Stopping on SIGTERM'));
    const taken = done.stdoutLines
      .slice(0, stopping)
      .reduce(
        (sum, line) => sum + Number(line.match(/^Received .*\((\d+) bytes?\) from /)?.[1] ?? 0),
        0,
      );
    expect(done.stdoutLines[stopping], output).toBe(
      `Stopping on SIGTERM: finishing the echo to ${peer}, then closing`,
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
      done.stdoutLines.filter((line) =>
        /^(Connection closed; server exiting|Closing the connection to .*: still open after \d+ ms)$/.test(
          line,
        ),
      ),
      `the server should say once how the connection ended, as its last line, and exit at once${output}`,
    ).toEqual([done.stdoutLines.at(-1)]);
  });

  test('SIGTERM with a client that never reads its echo: the server cuts it off after the grace period and exits 0', async () => {
    const echo = await startServer(server);
    // Far more than the kernel holds, and never read: the echo cannot finish.
    const { socket, peer } = await connectNonReader(
      echo.port,
      Buffer.alloc(8 * 1024 * 1024, 'never read '),
    );
    await echo.waitForLine(/^Received /);
    echo.signal('SIGTERM');
    const done = await echo.waitForExit();
    const output = outputOf(done);
    socket.destroy();
    expect(done.exitCode, output).toBe(0);
    const stopping = done.stdoutLines.findIndex((line) => line.startsWith('Stopping on SIGTERM'));
    expect(
      done.stdoutLines.slice(stopping),
      `a client that reads nothing must not keep the server forever: after ${SHUTDOWN_GRACE_MS} ms, say so, close it and exit${output}`,
    ).toEqual([
      `Stopping on SIGTERM: finishing the echo to ${peer}, then closing`,
      `Closing the connection to ${peer}: still open after ${SHUTDOWN_GRACE_MS} ms`,
    ]);
  });
});

// Checks for lesson 05: the tap (a logging TCP proxy), the send-buffer-fills
// pair and the port probe. The same checks run against a learner's copy with
// `npm run check -- 05`, so their titles say what a program must do. The
// servers behind the tap are mostly raw sockets in this process, so a check
// can see exactly which bytes, FINs and resets arrived.

import net from 'node:net';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { execa } from 'execa';
import { afterEach, describe, expect, test } from 'vitest';
import {
  escapeRegExp,
  outputOf,
  programPath,
  runProgram,
  startProgram,
  startServer,
  waitUntil,
  type RunningProgram,
  type RunningServer,
} from './harness.ts';
import { closedPort, connectRaw, readUntilClose } from './net-helpers.ts';
import { headerText, jsonResponse, searchRequest } from './app-wire.ts';
import { formatBytes } from '../shared/bytes.ts';

const tapFile = programPath('05', 'tap.ts');
const fillServerFile = programPath('05', 'fill-server.ts');
const fillClientFile = programPath('05', 'fill-client.ts');
const probeFile = programPath('05', 'probe.ts');
const echoServerFile = programPath('01', 'echo-server.ts');
const echoClientFile = programPath('01', 'echo-client.ts');
const appServerFile = programPath('04', 'app-server.ts');
const appClientFile = programPath('04', 'app-client.ts');

const MiB = 1024 * 1024;

const ssAvailable = await execa('ss', ['-V'], { reject: false }).then(
  (result) => result.exitCode === 0,
  () => false,
);
if (!ssAvailable) console.log('Skipping the ss check: this machine has no ss command.');

/** Raw servers this check opened in this process, closed after each check. */
const rawServers: net.Server[] = [];
const rawSockets: net.Socket[] = [];
afterEach(async () => {
  for (const socket of rawSockets.splice(0)) socket.destroy();
  await Promise.all(
    rawServers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))),
  );
});

/** A server in this process on 127.0.0.1, port 0, calling `serve` for each connection. */
async function rawServer(serve: (socket: net.Socket) => void): Promise<number> {
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    rawSockets.push(socket);
    socket.on('error', () => {});
    serve(socket);
  });
  rawServers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as net.AddressInfo).port;
}

/** Starts the tap on port 0, forwarding to 127.0.0.1:`targetPort`. */
function startTap(targetPort: number, extraArgs: string[] = []): Promise<RunningServer> {
  return startServer(tapFile, { extraArgs: ['127.0.0.1', String(targetPort), ...extraArgs] });
}

/** Lines with every port replaced, so two runs through different ports compare equal. */
function withoutPorts(lines: string[]): string[] {
  return lines.map((line) => line.replace(/(127\.0\.0\.1):\d+/g, '$1:PORT'));
}

/** Fails with the programs' output, not only a socket's complaint, when `promise` rejects. */
async function orFailWith<T>(
  promise: Promise<T>,
  programs: RunningProgram[],
  meaning: string,
): Promise<T> {
  try {
    return await promise;
  } catch (error) {
    throw new Error(`${meaning}: ${(error as Error).message}${outputOf(...programs)}`, {
      cause: error,
    });
  }
}

/** The tap's lines about connection `id` (`#id ...`). */
function tapLines(tap: RunningProgram, id: number): string[] {
  return tap.stdoutLines.filter((line) => line.startsWith(`#${id} `));
}

/** How a socket ended: 'reset' (ECONNRESET), 'fin' (the peer's FIN), or another error code. */
function howItEnds(socket: net.Socket, timeoutMs = 5_000): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the socket neither ended nor failed within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.once('end', () => {
      clearTimeout(timer);
      resolve('fin');
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve(error.code === 'ECONNRESET' ? 'reset' : (error.code ?? error.message));
    });
    socket.resume();
  });
}

describe('lesson 05: the tap', () => {
  test("lesson 01's echo pair prints the same transcripts through the tap as without it, and the tap logs the bytes both ways", async () => {
    const [direct, behind] = await Promise.all([
      startServer(echoServerFile),
      startServer(echoServerFile),
    ]);
    const tap = await startTap(behind.port);
    const [directClient, tappedClient] = await Promise.all([
      runProgram(echoClientFile, ['127.0.0.1', String(direct.port)]),
      runProgram(echoClientFile, ['127.0.0.1', String(tap.port)]),
    ]);
    // The client through the tap first: if the tap broke the connection, say so at once.
    expect(tappedClient.exitCode, outputOf(tappedClient, tap, behind)).toBe(0);
    const [directServer, tappedServer] = await Promise.all([
      direct.waitForExit(),
      behind.waitForExit(),
    ]);
    const output = outputOf(directClient, tappedClient, directServer, tappedServer, tap);
    expect(withoutPorts(tappedClient.stdoutLines), output).toEqual(
      withoutPorts(directClient.stdoutLines),
    );
    expect(withoutPorts(tappedServer.stdoutLines), output).toEqual(
      withoutPorts(directServer.stdoutLines),
    );
    await tap.waitForLine(/^#1 \+[\d.]+ ms closed: /);
    const events = tapLines(tap, 1).map((line) => line.replace(/^#1 \+[\d.]+ ms /, ''));
    // The client's FIN and the server's echo travel in opposite directions, so
    // nothing orders them: the client's write and its shutdown are two calls, and
    // under load the echo can come back between them. Every other pair of events
    // is ordered by cause (the server echoes what it got; it closes after the FIN).
    const inEitherOrder = [4, 3].includes(events.indexOf('client > server FIN'))
      ? [
          ...events.slice(0, 3),
          'client > server FIN',
          ...events.slice(3).filter((e) => e !== 'client > server FIN'),
        ]
      : events;
    expect(inEitherOrder, output).toEqual([
      expect.stringMatching(/^accepted from 127\.0\.0\.1:\d+, connecting to 127\.0\.0\.1:\d+$/),
      expect.stringMatching(/^connected to 127\.0\.0\.1:\d+ from 127\.0\.0\.1:\d+$/),
      "client > server 'Hello, world' (12 bytes)",
      'client > server FIN',
      "server > client 'Hello, world' (12 bytes)",
      'server > client FIN',
      'closed: 12 bytes client > server, 12 bytes server > client',
    ]);
  });

  test("lesson 04's client and server print the same transcripts through the tap as without it", async () => {
    const server = await startServer(appServerFile);
    const tap = await startTap(server.port);
    const requests = [
      ['search', 'morpheus'],
      ['binary', '😃'],
    ];
    const runAll = (port: number) =>
      Promise.all(
        requests.map((request) =>
          runProgram(appClientFile, ['127.0.0.1', String(port), ...request]),
        ),
      );
    const [direct, tapped] = await Promise.all([runAll(server.port), runAll(tap.port)]);
    const output = outputOf(...direct, ...tapped, server, tap);
    tapped.forEach((result, index) => {
      expect(result.exitCode, output).toBe(0);
      expect(withoutPorts(result.stdoutLines), output).toEqual(
        withoutPorts(direct[index]?.stdoutLines ?? []),
      );
    });
    // The server saw the same requests and sent the same bytes, each twice: once direct, once through the tap.
    await waitUntil(
      () => server.stdoutLines.filter((line) => line.startsWith('Closing connection')).length >= 4,
      10_000,
    );
    const wire = withoutPorts(
      server.stdoutLines.filter((line) => /^(Received|Sending) /.test(line)),
    ).sort();
    expect(wire.length, output).toBe(8);
    for (let index = 0; index < wire.length; index += 2) {
      expect(wire[index + 1], output).toBe(wire[index]);
    }
  });

  test('with --frames the tap logs each lesson 04 message header and content length, also when the bytes arrive one at a time', async () => {
    const request = searchRequest('morpheus');
    const response = jsonResponse('Follow the white rabbit. 🐰');
    // The server answers once the request is whole: it reads until the client's FIN.
    const port = await rawServer((socket) => {
      socket.resume();
      socket.once('end', () => socket.end(response));
    });
    const tap = await startTap(port, ['--frames']);
    const wholeReply = (async () => {
      const socket = await connectRaw(tap.port);
      const reply = readUntilClose(socket);
      socket.end(request);
      return reply;
    })();
    expect(
      (await orFailWith(wholeReply, [tap], 'the request sent whole got no answer')).equals(
        response,
      ),
    ).toBe(true);
    await tap.waitForLine(/^#1 \+[\d.]+ ms closed: /);

    const socket = await connectRaw(tap.port);
    const trickledReply = readUntilClose(socket);
    await tap.waitForLine(/^#2 \+[\d.]+ ms connected to /);
    // One byte per write, and the next only once the tap has logged this one:
    // so each byte reaches the tap as a chunk of its own.
    let from = 0;
    for (const byte of request) {
      socket.write(Buffer.of(byte));
      const match = await tap.waitForLine(/^#2 \+[\d.]+ ms client > server '.*' \(1 byte\)/, {
        from,
      });
      from = tap.stdoutLines.indexOf(match.input ?? '', from) + 1;
    }
    socket.end();
    expect(
      (
        await orFailWith(trickledReply, [tap], 'the request sent byte by byte got no answer')
      ).equals(response),
    ).toBe(true);
    await tap.waitForLine(/^#2 \+[\d.]+ ms closed: /);

    const requestHeader = headerText('text/json', 'utf-8', 41);
    const responseHeader = headerText(
      'text/json',
      'utf-8',
      response.length - 2 - response.readUInt16BE(0),
    );
    for (const id of [1, 2]) {
      const messages = tapLines(tap, id)
        .map((line) => line.replace(/^#\d+ \+[\d.]+ ms /, ''))
        .filter((line) => line.includes(' message '));
      expect(messages, outputOf(tap)).toEqual([
        `client > server message 1 (stream bytes 0 to ${request.length - 1}): header ${requestHeader} (${requestHeader.length} bytes), content-length 41`,
        `server > client message 1 (stream bytes 0 to ${response.length - 1}): header ${responseHeader} (${responseHeader.length} bytes), content-length ${response.length - 2 - responseHeader.length}`,
      ]);
    }
  });

  test('a chunk that is not text is logged escaped and as a hex dump of its first 64 bytes, printable bytes shown as themselves', async () => {
    const port = await rawServer((socket) => {
      socket.resume();
      socket.once('end', () => socket.end());
    });
    const tap = await startTap(port);
    // 70 bytes, in one write so they reach the tap as one chunk: control bytes,
    // both ends of printable ASCII (space, ~), DEL, a byte that is not UTF-8, text.
    const payload = Buffer.concat([
      Buffer.from([0x00, 0x1f, 0x20, 0x7e, 0x7f, 0xff]),
      Buffer.from('a tap!'),
      Buffer.alloc(58, 'x'),
    ]);
    const socket = await connectRaw(tap.port);
    // If the check fails, the tap is stopped and resets this socket: that is no second failure.
    socket.on('error', () => {});
    rawSockets.push(socket);
    socket.write(payload);
    await orFailWith(
      tap.waitForLine(/^#1 {3}\.\.\. /),
      [tap],
      'the tap did not end its hex dump with a line saying how many bytes it left out',
    );
    const xs = '78 '.repeat(16).trimEnd();
    const chunkLines = tapLines(tap, 1)
      .map((line) => line.replace(/^#1 \+[\d.]+ ms /, ''))
      .filter((line) => !/^(accepted|connected) /.test(line));
    socket.end();
    expect(chunkLines, outputOf(tap)).toEqual([
      `client > server ${formatBytes(payload, 160)}, not text:`,
      '#1   0000  00 1f 20 7e 7f ff 61 20 74 61 70 21 78 78 78 78  |.. ~..a tap!xxxx|',
      `#1   0010  ${xs}  |${'x'.repeat(16)}|`,
      `#1   0020  ${xs}  |${'x'.repeat(16)}|`,
      `#1   0030  ${xs}  |${'x'.repeat(16)}|`,
      '#1   ...   6 more bytes',
    ]);
    await tap.waitForLine(/^#1 \+[\d.]+ ms closed: /);
  });

  test('1 MiB sent each way at once arrives byte for byte', async () => {
    const up = randomBytes(MiB);
    const down = randomBytes(MiB);
    let received: Promise<Buffer> | undefined;
    const port = await rawServer((socket) => {
      received = readUntilClose(socket);
      socket.end(down);
    });
    const tap = await startTap(port);
    const socket = await connectRaw(tap.port);
    const reply = readUntilClose(socket);
    socket.end(up);
    const back = await orFailWith(reply, [tap], 'the client did not get all of the server bytes');
    expect(back.length, outputOf(tap)).toBe(down.length);
    expect(back.equals(down), `the client got different bytes${outputOf(tap)}`).toBe(true);
    await waitUntil(() => received !== undefined);
    const there = await orFailWith(
      received ?? Promise.reject(new Error('the tap never connected to the server')),
      [tap],
      'the server did not get all of the client bytes',
    );
    expect(there.length, outputOf(tap)).toBe(up.length);
    expect(there.equals(up), `the server got different bytes${outputOf(tap)}`).toBe(true);
  });

  test("a half-close is forwarded: the server still answers after the client's FIN", async () => {
    // This server answers only after the client has finished sending.
    const port = await rawServer((socket) => {
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.once('end', () => socket.end(`got ${Buffer.concat(chunks).length} bytes`));
    });
    const tap = await startTap(port);
    const socket = await connectRaw(tap.port);
    const reply = readUntilClose(socket, 5_000);
    socket.end('question');
    const answer = await orFailWith(reply, [tap], 'no answer after the client half-closed');
    expect(answer.toString(), outputOf(tap)).toBe('got 8 bytes');
    await tap.waitForLine(/^#1 \+[\d.]+ ms closed: /);
    const events = tapLines(tap, 1).map((line) => line.replace(/^#1 \+[\d.]+ ms /, ''));
    expect(events.indexOf('client > server FIN'), outputOf(tap)).toBeLessThan(
      events.indexOf("server > client 'got 8 bytes' (11 bytes)"),
    );
  });

  test('a reset on one side becomes a reset on the other, both ways', async () => {
    const serverSide: net.Socket[] = [];
    const port = await rawServer((socket) => {
      serverSide.push(socket);
      socket.pause();
    });
    const tap = await startTap(port);

    // The client resets: the server must see a reset too, not a FIN.
    const client = await connectRaw(tap.port);
    client.on('error', () => {});
    await waitUntil(() => serverSide.length === 1, 5_000);
    const server = serverSide[0];
    if (server === undefined)
      throw new Error(`the tap never connected to the server${outputOf(tap)}`);
    const serverSees = howItEnds(server);
    client.resetAndDestroy();
    expect(await orFailWith(serverSees, [tap], 'the server side never ended'), outputOf(tap)).toBe(
      'reset',
    );
    await tap.waitForLine(
      /^#1 \+[\d.]+ ms the client reset the connection .*; resetting the server side$/,
    );

    // The server resets: the client must see a reset too.
    const second = await connectRaw(tap.port);
    await waitUntil(() => serverSide.length === 2, 5_000);
    const secondServer = serverSide[1];
    if (secondServer === undefined)
      throw new Error(`the tap never made a second connection to the server${outputOf(tap)}`);
    const clientSees = howItEnds(second);
    secondServer.resetAndDestroy();
    expect(await orFailWith(clientSees, [tap], 'the client side never ended'), outputOf(tap)).toBe(
      'reset',
    );
    await tap.waitForLine(
      /^#2 \+[\d.]+ ms the server reset the connection .*; resetting the client side$/,
    );
  });

  test('50 connections at once are all forwarded, and the tap numbers them 1 to 50', async () => {
    const port = await rawServer((socket) => {
      socket.pipe(socket);
    });
    const tap = await startTap(port);
    const replies = await orFailWith(
      Promise.all(
        Array.from({ length: 50 }, async (_, index) => {
          const socket = await connectRaw(tap.port);
          const reply = readUntilClose(socket);
          socket.end(`connection ${index + 1} speaking`);
          return (await reply).toString();
        }),
      ),
      [tap],
      'not every connection got its echo through the tap',
    );
    replies.forEach((reply, index) => {
      expect(reply, outputOf(tap)).toBe(`connection ${index + 1} speaking`);
    });
    await waitUntil(
      () => tap.stdoutLines.filter((line) => / ms closed: /.test(line)).length === 50,
      10_000,
    );
    const accepted = tap.stdoutLines
      .map((line) => line.match(/^#(\d+) \+[\d.]+ ms accepted from /)?.[1])
      .filter((id) => id !== undefined)
      .map(Number)
      .sort((a, b) => a - b);
    expect(accepted, outputOf(tap)).toEqual(Array.from({ length: 50 }, (_, index) => index + 1));
  });

  test('with a client that stops reading, the tap pauses the server side, keeps its memory bounded, and delivers every byte once the client reads', async ({
    annotate,
  }) => {
    // Twice what the kernel buffers between tap and client hold (about 4 MiB on Linux loopback).
    const payload = randomBytes(8 * MiB);
    const port = await rawServer((socket) => socket.end(payload));
    const tap = await startTap(port);
    const before = await memoryOf(tap);
    const socket = await connectRaw(tap.port);
    socket.pause();
    const paused = await orFailWith(
      tap.waitForLine(
        /^#1 \+[\d.]+ ms paused reading the server: the client is not reading \((\d+) bytes queued\)$/,
        { timeoutMs: 5_000 },
      ),
      [tap],
      "the tap never paused reading the server while its client read nothing (does it act on write()'s return value?)",
    );
    // What the tap holds: its write queue, at most one chunk over the limit write() warns at.
    expect(Number(paused[1]), outputOf(tap)).toBeLessThanOrEqual(MiB);
    const whileStopped = await memoryOf(tap);

    const reply = readUntilClose(socket, 15_000);
    socket.resume();
    const received = await orFailWith(reply, [tap], 'the client did not get every byte');
    expect(received.length, outputOf(tap)).toBe(payload.length);
    expect(received.equals(payload), `the client got different bytes${outputOf(tap)}`).toBe(true);
    await tap.waitForLine(/^#1 \+[\d.]+ ms closed: /);

    // While paused, the tap must really stop reading: no server chunk between a pause and the next resume.
    let pausedNow = false;
    for (const line of tapLines(tap, 1)) {
      if (line.includes(' paused reading the server')) pausedNow = true;
      else if (line.includes(' resumed reading the server')) pausedNow = false;
      // A chunk line shows its bytes in quotes; the FIN line ('server > client FIN')
      // is not data, and can come while paused: the server's FIN needs no reading.
      else if (/ ms server > client '/.test(line)) {
        expect(pausedNow, `the tap kept reading after it said it paused${outputOf(tap)}`).toBe(
          false,
        );
      }
    }
    if (before !== undefined && whileStopped !== undefined) {
      await annotate(
        `tap memory: ${before.rss} MiB resident at start, ${whileStopped.rss} MiB with the client stopped (peak ${whileStopped.peak} MiB) for a ${payload.length / MiB} MiB payload; tap queue at the pause ${paused[1]} bytes`,
      );
    }
  });

  test('a tap whose target refuses resets the client and logs why', async () => {
    const port = await closedPort();
    const tap = await startTap(port);
    // Not connectRaw: on a busy machine the tap's reset can arrive before our
    // 'connect' event runs, and Node then reports it as a failed connect. Either
    // way the client is reset, which is what this check is about.
    const socket = net.createConnection({ host: '127.0.0.1', port: tap.port });
    expect(
      await orFailWith(howItEnds(socket), [tap], 'the client was left hanging'),
      outputOf(tap),
    ).toBe('reset');
    await tap.waitForLine(
      new RegExp(
        `^#1 \\+[\\d.]+ ms the server failed \\(connection refused \\(ECONNREFUSED\\): is the server running on 127\\.0\\.0\\.1:${port}\\?\\); resetting the client side$`,
      ),
    );
  });

  test('Ctrl-C (SIGINT) stops the tap cleanly with exit 0, closing its open connections', async () => {
    const port = await rawServer((socket) => socket.resume());
    const tap = await startTap(port);
    const socket = await connectRaw(tap.port);
    socket.on('error', () => {});
    const closed = once(socket, 'close');
    await tap.waitForLine(/^#1 \+[\d.]+ ms connected to /);
    tap.signal('SIGINT');
    const done = await tap.waitForExit();
    expect(done.exitCode, outputOf(done)).toBe(0);
    expect(done.stdoutLines.at(-1), outputOf(done)).toBe(
      'Interrupted: closing the tap and 1 open connection',
    );
    await closed;
  });
});

/** Resident and peak memory of a program in MiB, from /proc (Linux only). */
async function memoryOf(
  program: RunningProgram,
): Promise<{ rss: string; peak: string } | undefined> {
  const status = await readFile(`/proc/${program.pid}/status`, 'utf8').catch(() => '');
  const field = (name: string) => status.match(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm'))?.[1];
  const rss = field('VmRSS');
  const peak = field('VmHWM');
  if (rss === undefined || peak === undefined) return undefined;
  return { rss: (Number(rss) / 1024).toFixed(1), peak: (Number(peak) / 1024).toFixed(1) };
}

describe('lesson 05: the send buffer fills', () => {
  const BLOCK = 262_144;

  test('the demo client writes until write() returns false, goes on to its limit, reports each step and exits 0', async () => {
    const server = await startServer(fillServerFile);
    const result = await runProgram(fillClientFile, ['127.0.0.1', String(server.port)]);
    const output = outputOf(result, server);
    expect(result.exitCode, output).toBe(0);
    expect(result.stdoutLines[0], output).toBe(`Connected to 127.0.0.1:${server.port}`);
    const steps = result.stdoutLines
      .map((line) =>
        line.match(
          /^Block (\d+): write\(\) returned (true|false); (\d+) bytes written, Node queues (\d+)$/,
        ),
      )
      .filter((match) => match !== null)
      .map((match) => ({
        block: Number(match[1]),
        accepted: match[2] === 'true',
        written: Number(match[3]),
        queued: Number(match[4]),
      }));
    expect(steps.length, output).toBeGreaterThan(1);
    steps.forEach((step, index) => {
      expect(step.block, output).toBe(index + 1);
      expect(step.written, output).toBe((index + 1) * BLOCK);
    });
    const firstFalse = steps.findIndex((step) => !step.accepted);
    expect(firstFalse, `write() never returned false${output}`).toBeGreaterThanOrEqual(0);
    // Four blocks more after the first false, each one more block queued inside Node.
    const after = steps.slice(firstFalse);
    expect(after.length, `the client should write 4 blocks after the first false${output}`).toBe(5);
    after.slice(1).forEach((step, index) => {
      expect(step.accepted, output).toBe(false);
      expect(step.queued, output).toBe((after[index]?.queued ?? NaN) + BLOCK);
    });
    const last = after.at(-1);
    if (last === undefined) throw new Error(`no step line after the first false${output}`);
    expect(result.stdoutLines.slice(-2), output).toEqual([
      `Stopped at the limit: ${last.written} bytes written; Node queues ${last.queued} (writableLength), the kernel holds the other ${last.written - last.queued}: in our send queue (Send-Q) and the server's receive queue (Recv-Q)`,
      'Resetting the connection: the server will never read what is queued',
    ]);
    // The client resets as soon as it stops. On a loaded machine the server's
    // accept callback can run only after that reset, when the kernel no longer
    // knows the peer's address: the server then says "an unknown peer".
    expect(server.stdoutLines, output).toContainEqual(
      expect.stringMatching(
        /^Accepted connection from (127\.0\.0\.1:\d+|an unknown peer); never reading from it$/,
      ),
    );
  });

  test.skipIf(!ssAvailable)(
    "while the demo client holds its connection, ss shows bytes in the server's Recv-Q and the client's Send-Q",
    async () => {
      const server = await startServer(fillServerFile);
      const client = startProgramHeld(server.port);
      await client.waitForLine(/^Holding the connection for 30 s: /);
      const ss = await execa('ss', [
        '-tnH',
        `( sport = :${server.port} or dport = :${server.port} )`,
      ]);
      // ESTAB  Recv-Q  Send-Q  local  peer
      const rows = ss.stdout
        .split('\n')
        .map((line) => line.trim().split(/\s+/))
        .filter((columns) => columns[0] === 'ESTAB');
      const serverRow = rows.find((columns) => columns[3]?.endsWith(`:${server.port}`));
      const clientRow = rows.find((columns) => columns[4]?.endsWith(`:${server.port}`));
      const output = `\nss:\n${ss.stdout}${outputOf(client, server)}`;
      expect(
        Number(serverRow?.[1]),
        `the server's Recv-Q should hold bytes${output}`,
      ).toBeGreaterThan(0);
      expect(
        Number(clientRow?.[2]),
        `the client's Send-Q should hold bytes${output}`,
      ).toBeGreaterThan(0);

      client.signal('SIGINT');
      const done = await client.waitForExit();
      expect(done.exitCode, outputOf(done)).toBe(0);
      expect(done.stdoutLines.at(-1), outputOf(done)).toBe(
        'Resetting the connection: the server will never read what is queued',
      );
      server.signal('SIGINT');
      const stopped = await server.waitForExit();
      expect(stopped.exitCode, outputOf(stopped)).toBe(0);
      expect(stopped.stdoutLines.at(-1), outputOf(stopped)).toMatch(
        /^Interrupted: closing the server and \d+ open connections?$/,
      );
    },
  );
});

function startProgramHeld(port: number): RunningProgram {
  return startProgram(fillClientFile, ['127.0.0.1', String(port), '--hold', '30']);
}

/** The state letter of a process in /proc/PID/stat: T once it is stopped. */
async function processState(pid: number | undefined): Promise<string | undefined> {
  if (pid === undefined) return undefined;
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat.match(/\) (\w) /)?.[1];
}

describe('lesson 05: the probe', () => {
  test('the probe says open, refused and no answer, each with the time it took', async () => {
    // A backlog of 1: once the server is stopped, two waiting connections fill its accept queue.
    const server = await startServer(fillServerFile, { extraArgs: ['--backlog', '1'] });
    const address = `127.0.0.1:${server.port}`;
    const open = await runProgram(probeFile, ['127.0.0.1', String(server.port)]);
    expect(open.exitCode, outputOf(open)).toBe(0);
    expect(open.stdoutLines, outputOf(open)).toEqual([
      expect.stringMatching(
        new RegExp(`^${escapeRegExp(address)}: open, the handshake took [\\d.]+ ms$`),
      ),
    ]);

    const port = await closedPort();
    const refused = await runProgram(probeFile, ['127.0.0.1', String(port)]);
    expect(refused.exitCode, outputOf(refused)).toBe(1);
    expect(refused.stdoutLines, outputOf(refused)).toEqual([
      expect.stringMatching(
        new RegExp(
          `^127\\.0\\.0\\.1:${port}: refused, the answer \\(a reset\\) came after [\\d.]+ ms$`,
        ),
      ),
    ]);
    expect(refused.stderrLines, outputOf(refused)).toEqual([
      `Error: connection refused (ECONNREFUSED): is the server running on 127.0.0.1:${port}?`,
    ]);

    // A stopped server (Ctrl-Z) still has the kernel complete handshakes, into
    // its accept queue, until the queue is full; after that, SYNs are dropped.
    server.signal('SIGSTOP');
    try {
      expect(await waitUntil(async () => (await processState(server.pid)) === 'T', 5_000)).toBe(
        true,
      );
      for (let filler = 0; filler < 2; filler++) rawSockets.push(await connectRaw(server.port));
      const silent = await runProgram(probeFile, [
        '127.0.0.1',
        String(server.port),
        '--timeout',
        '500',
      ]);
      expect(silent.exitCode, outputOf(silent)).toBe(2);
      expect(silent.stdoutLines, outputOf(silent)).toEqual([`${address}: no answer within 500 ms`]);
      expect(silent.stderrLines, outputOf(silent)).toEqual([
        expect.stringMatching(new RegExp(`^Error: no answer from ${escapeRegExp(address)}: `)),
      ]);
    } finally {
      server.signal('SIGCONT');
    }
  });
  test('a probe that fails for another reason says "failed" with the address and the time, explains the error, and exits 1', async () => {
    // The harness fails every .invalid name at once, as a name that does not exist fails: no DNS query leaves.
    const result = await runProgram(probeFile, ['no-such-host.invalid', '65432']);
    const output = outputOf(result);
    expect(result.exitCode, output).toBe(1);
    expect(result.stdoutLines, output).toEqual([
      expect.stringMatching(/^no-such-host\.invalid:65432: failed after [\d.]+ ms$/),
    ]);
    expect(result.stderrLines, output).toEqual([
      expect.stringMatching(/^Error: host not found \(ENOTFOUND\): .*no-such-host\.invalid:65432/),
    ]);
  });
});

describe('lesson 05: arguments and help', () => {
  test('bad arguments to each program print the usage line and the reason, and exit 1', async () => {
    const cases: Array<[string, string[], string, RegExp]> = [
      [
        tapFile,
        ['127.0.0.1'],
        'Usage: tap.ts <listen-host> <listen-port> [target-host] [target-port] [--frames]',
        /expected 2 to 4 arguments, got 1/,
      ],
      [
        tapFile,
        ['127.0.0.1', '0', '127.0.0.1', '0'],
        'Usage: tap.ts <listen-host> <listen-port> [target-host] [target-port] [--frames]',
        /target-port must not be 0/,
      ],
      [
        probeFile,
        ['127.0.0.1'],
        'Usage: probe.ts <host> <port> [--timeout MS]',
        /expected 2 arguments, got 1/,
      ],
      [
        probeFile,
        ['127.0.0.1', '80', '--timeout', 'soon'],
        'Usage: probe.ts <host> <port> [--timeout MS]',
        /--timeout must be a whole number/,
      ],
      [
        fillClientFile,
        ['127.0.0.1', '65432', '--block', '0'],
        'Usage: fill-client.ts [host] [port] [--block BYTES] [--extra N] [--hold SECONDS]',
        /--block must be a whole number of at least 1/,
      ],
      [
        fillServerFile,
        ['127.0.0.1', '65432', 'extra'],
        'Usage: fill-server.ts [host] [port] [--backlog N]',
        /expected 0 to 2 arguments, got 3/,
      ],
    ];
    const results = await Promise.all(
      cases.map(async ([file, args, usage, reason]) => ({
        result: await runProgram(file, args),
        usage,
        reason,
      })),
    );
    results.forEach(({ result, usage, reason }) => {
      const output = outputOf(result);
      expect(result.exitCode, output).toBe(1);
      expect(result.stderrLines[0], output).toBe(usage);
      expect(result.stderrLines[1], output).toMatch(reason);
      expect(result.stdoutLines, output).toEqual([]);
    });
  });

  test('--help prints what the tap does and what each argument means, and exits 0', async () => {
    const result = await runProgram(tapFile, ['--help']);
    const output = outputOf(result);
    expect(result.exitCode, output).toBe(0);
    expect(result.stdoutLines[0], output).toBe(
      'Usage: tap.ts <listen-host> <listen-port> [target-host] [target-port] [--frames]',
    );
    expect(result.stdoutLines.join('\n'), output).toMatch(/prints every chunk both ways/);
    for (const name of [
      'listen-host',
      'listen-port',
      'target-host',
      'target-port',
      '--frames',
      '--help',
    ]) {
      expect(result.stdoutLines.join('\n'), output).toMatch(new RegExp(`^  ${name} `, 'm'));
    }
  });
});

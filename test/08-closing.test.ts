// Checks for lesson 08, closing a connection. Each way of closing is run against
// the lesson's server, and the server's log of socket events must be the one the
// lesson text documents. Where kernels may differ, the check says so.

import net from 'node:net';
import { once } from 'node:events';
import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import {
  LINE_TIMEOUT_MS,
  outputOf,
  programPath,
  runProgram,
  startServer,
  type RunningServer,
} from './harness.ts';
import { SHUTDOWN_GRACE_MS } from '../shared/shutdown.ts';
import { closedPort, connectRaw, readUntilClose, writeInPieces } from './net-helpers.ts';

const server = programPath('08', 'close-server.ts');
const client = programPath('08', 'close-client.ts');

const ss = await execa('ss', ['-V'], { reject: false });
const hasSs = ss.exitCode === 0;
if (!hasSs) console.log('Skipping the ss checks of lesson 08: the ss command is not available.');

const EIGHT_MIB = 8 * 1024 * 1024;
// Enough that destroy() always finds some of it still in Node's queue: on loopback
// one write() can hand the kernel more than 8 MiB when the server reads fast.
const THIRTY_TWO_MIB = 32 * 1024 * 1024;
/** The server's log of connection `id`, without the `[id] ` prefix, once it has closed. */
async function eventsOf(program: RunningServer, id: number): Promise<string[]> {
  await program.waitForLine(new RegExp(`^\\[${id}\\] close: `));
  const prefix = `[${id}] `;
  return program.stdoutLines
    .filter((line) => line.startsWith(prefix))
    .map((line) => line.slice(prefix.length));
}

/** `data: <n> bytes in <k> chunks` lines added up. */
function bytesIn(events: string[]): number {
  return events
    .map((line) => /^data: (\d+) bytes? in /.exec(line)?.[1])
    .reduce((sum, bytes) => sum + Number(bytes ?? 0), 0);
}

/** The event names only, runs of data as one `data`: the sequence the text documents. */
function sequence(events: string[]): string[] {
  return events
    .map((line) => line.split(/[: ]/)[0] ?? '')
    .filter((name, index, all) => {
      return name !== 'data' || all[index - 1] !== 'data';
    });
}

/** Sockets in TIME_WAIT that involve `port`, as `ss` prints them: local and peer address. */
async function timeWait(port: number): Promise<string[]> {
  const { stdout } = await execa('ss', ['-Htan', 'state', 'time-wait']);
  return stdout
    .split('\n')
    .map((line) => line.trim().split(/\s+/).slice(-2).join(' '))
    .filter((pair) => pair.split(' ').some((address) => address.endsWith(`:${port}`)));
}

describe('lesson 08: each way of closing, as the server sees it', () => {
  test('end: 8 MiB all arrive, then FIN, and the reply sent after the FIN reaches the client', async () => {
    const close = await startServer(server);
    const result = await runProgram(client, [
      '127.0.0.1',
      String(close.port),
      'end',
      '--bytes',
      String(EIGHT_MIB),
    ]);
    const events = await eventsOf(close, 1);
    const output = outputOf(result, close);
    expect(result.exitCode, output).toBe(0);
    expect(result.stdoutLines, output).toEqual([
      `Connected to 127.0.0.1:${close.port}; closing by "end"`,
      'end(): FIN queued after 8388608 bytes; still reading',
      'Server replied: Received 8388608 bytes',
      'Server closed the connection',
    ]);
    expect(bytesIn(events), output).toBe(EIGHT_MIB);
    expect(sequence(events), output).toEqual(['connection', 'data', 'end', 'finish', 'close']);
    expect(events, output).toContainEqual(
      expect.stringMatching(/ sent FIN after 8388608 bytes; writable: true$/),
    );
    expect(events.at(-1), output).toBe('close: hadError false, 8388608 bytes received');
  });

  test('destroy right after a large write: the server gets fewer bytes than were written, and no error', async () => {
    const close = await startServer(server);
    const result = await runProgram(client, [
      '127.0.0.1',
      String(close.port),
      'destroy',
      '--bytes',
      String(THIRTY_TWO_MIB),
    ]);
    const events = await eventsOf(close, 1);
    const output = outputOf(result, close);
    expect(result.exitCode, output).toBe(0);
    expect(result.stdoutLines, output).toEqual([
      `Connected to 127.0.0.1:${close.port}; closing by "destroy"`,
      expect.stringMatching(
        /^destroy\(\): closed at once with [1-9]\d* bytes? still in Node's queue$/,
      ),
    ]);
    expect(bytesIn(events), `the bytes still in Node's queue must be lost${output}`).toBeLessThan(
      THIRTY_TWO_MIB,
    );
    expect(sequence(events), output).toEqual(['connection', 'data', 'end', 'finish', 'close']);
    expect(events.at(-1), output).toMatch(/^close: hadError false, /);
  });

  test('reset: the server sees ECONNRESET and closes with hadError true', async () => {
    const close = await startServer(server);
    const result = await runProgram(client, ['127.0.0.1', String(close.port), 'reset']);
    const events = await eventsOf(close, 1);
    const output = outputOf(result, close);
    expect(result.exitCode, output).toBe(0);
    expect(result.stdoutLines.at(-1), output).toBe('resetAndDestroy(): RST sent after 1000 bytes');
    // The RST fails the server's next read or, when it arrived together with the
    // last bytes (libuv then reports the end of the stream first), its reply's write.
    expect(
      [
        ['connection', 'data', 'error', 'close'],
        ['connection', 'data', 'end', 'error', 'close'],
        ['connection', 'error', 'close'],
        ['connection', 'end', 'error', 'close'],
      ],
      output,
    ).toContainEqual(sequence(events));
    expect(events, output).toContainEqual(expect.stringMatching(/^error: ECONNRESET /));
    expect(events.at(-1), output).toMatch(/^close: hadError true, /);
  });

  test('vanish: a process that exits without closing is seen as a FIN after all its bytes', async () => {
    const close = await startServer(server);
    const result = await runProgram(client, [
      '127.0.0.1',
      String(close.port),
      'vanish',
      '--bytes',
      '100000',
    ]);
    const events = await eventsOf(close, 1);
    const output = outputOf(result, close);
    expect(result.exitCode, output).toBe(0);
    expect(result.stdoutLines, output).toEqual([
      `Connected to 127.0.0.1:${close.port}; closing by "vanish"`,
      'process.exit(): leaving without closing, after 100000 bytes',
    ]);
    expect(bytesIn(events), output).toBe(100000);
    expect(sequence(events).slice(0, 3), output).toEqual(['connection', 'data', 'end']);
    expect(events, output).toContainEqual(expect.stringMatching(/ sent FIN after 100000 bytes; /));
  });

  test("silent: a client that sends nothing is closed by the server's idle timer, with a logged reason", async () => {
    const close = await startServer(server, { extraArgs: ['--idle-timeout', '0.3'] });
    const result = await runProgram(client, ['127.0.0.1', String(close.port), 'silent']);
    const events = await eventsOf(close, 1);
    const output = outputOf(result, close);
    expect(result.exitCode, output).toBe(0);
    expect(result.stdoutLines.slice(1), output).toEqual([
      'Sending nothing; waiting for the server to give up',
      'Server closed the connection',
    ]);
    expect(events.slice(1), output).toEqual([
      'timeout: nothing for 0.3 s; destroy()',
      'close: hadError false, 0 bytes received',
    ]);
  });

  test('the server logs each client by its real address and port, and counts the bytes it sent', async () => {
    const close = await startServer(server);
    const socket = await connectRaw(close.port);
    const peer = `127.0.0.1:${socket.localPort}`;
    const reply = readUntilClose(socket);
    // 5 bytes that are not all text: a server that counts characters says otherwise.
    socket.end(Buffer.from([0x68, 0x69, 0xff, 0xe2, 0x9c]));
    expect((await reply).toString(), outputOf(close)).toBe('Received 5 bytes\n');
    const events = await eventsOf(close, 1);
    expect(events[0], outputOf(close)).toBe(`connection from ${peer}`);
    expect(events[2], outputOf(close)).toBe(`end: ${peer} sent FIN after 5 bytes; writable: true`);
    expect(events.at(-1), outputOf(close)).toBe('close: hadError false, 5 bytes received');
  });
});

describe('lesson 08: dead peers and TIME_WAIT', () => {
  test('a peer cut off without FIN or RST (a relay that stops forwarding) is closed by the idle timer in time', async () => {
    const close = await startServer(server, { extraArgs: ['--idle-timeout', '0.5'] });
    // A relay between a test client and the server that forwards the first bytes,
    // then goes silent both ways: to the server, the client has vanished.
    const upstream = await connectRaw(close.port);
    let forwarding = true;
    const relay = net.createServer((downstream) => {
      downstream.on('data', (data) => {
        if (forwarding) upstream.write(data);
        forwarding = false;
      });
      downstream.on('error', () => {});
    });
    relay.listen(0, '127.0.0.1');
    await once(relay, 'listening');
    try {
      const { port } = relay.address() as net.AddressInfo;
      const user = await connectRaw(port);
      user.write('first bytes');
      await close.waitForLine(/^\[1\] data: 11 bytes/);
      const cutAt = Date.now();
      user.write('these never arrive');
      const events = await eventsOf(close, 1);
      const detectedAfterMs = Date.now() - cutAt;
      expect(events, outputOf(close)).toContain('timeout: nothing for 0.5 s; destroy()');
      expect(detectedAfterMs, outputOf(close)).toBeLessThan(5_000);
      user.destroy();
    } finally {
      relay.close();
      upstream.destroy();
    }
  });

  test.skipIf(!hasSs)(
    'with --keepalive the kernel keeps a keep-alive timer on the connection (ss -o)',
    async () => {
      const close = await startServer(server, { extraArgs: ['--keepalive', '5'] });
      const socket = await connectRaw(close.port);
      await close.waitForLine(/^\[1\] connection from /);
      const { stdout } = await execa('ss', [
        '-Htno',
        'state',
        'established',
        `( sport = :${close.port} )`,
      ]);
      expect(stdout, outputOf(close)).toMatch(/timer:\(keepalive,/);
      socket.destroy();
    },
  );

  test.skipIf(!hasSs)('TIME_WAIT stays with the side that closed first', async () => {
    const close = await startServer(server, { extraArgs: ['--idle-timeout', '0.3'] });
    // The client closes first (end): its end of the connection waits in TIME_WAIT.
    const first = await connectRaw(close.port);
    const clientPort = first.localPort;
    const reply = readUntilClose(first);
    first.end('bye');
    await reply;
    await once(first, 'close');
    await close.waitForLine(/^\[1\] close: /);
    expect(await timeWait(close.port), outputOf(close)).toContain(
      `127.0.0.1:${clientPort} 127.0.0.1:${close.port}`,
    );
    // The server closes first (idle timer): its end waits in TIME_WAIT instead.
    const second = await connectRaw(close.port);
    const secondPort = second.localPort;
    const closed = readUntilClose(second);
    await close.waitForLine(/^\[2\] timeout: /);
    await closed;
    second.end();
    await once(second, 'close');
    await close.waitForLine(/^\[2\] close: /);
    expect(await timeWait(close.port), outputOf(close)).toContain(
      `127.0.0.1:${close.port} 127.0.0.1:${secondPort}`,
    );
  });
});

describe('lesson 08: arguments, errors and stopping', () => {
  test('a way that does not exist prints the usage line and exits 1', async () => {
    const result = await runProgram(client, ['127.0.0.1', '65432', 'slam']);
    expect(result.exitCode, outputOf(result)).toBe(1);
    expect(result.stderrLines, outputOf(result)).toEqual([
      'Usage: close-client.ts <host> <port> <way> [--bytes N]',
      'close-client.ts: way must be one of end, destroy, reset, vanish, silent',
    ]);
  });

  test.each([
    ['close-server.ts', server],
    ['close-client.ts', client],
  ])('%s --help prints the usage line and what each argument means, exit 0', async (name, file) => {
    const result = await runProgram(file, ['--help']);
    expect(result.exitCode, outputOf(result)).toBe(0);
    expect(result.stdoutLines[0], outputOf(result)).toMatch(
      new RegExp(`^Usage: ${name.replace('.', '\\.')} `),
    );
  });

  test('the client with no server prints "connection refused" and exits 1', async () => {
    const port = await closedPort();
    const result = await runProgram(client, ['127.0.0.1', String(port), 'end']);
    expect(result.exitCode, outputOf(result)).toBe(1);
    expect(result.stderrLines, outputOf(result)).toEqual([
      `Error: connection refused (ECONNREFUSED): is the server running on 127.0.0.1:${port}?`,
    ]);
  });

  test("the client shows the server's whole reply, sent in pieces, with control characters escaped", async () => {
    // "h\u00e9llo \u2713" with the \u2713 (3 bytes) split between two pieces, then
    // terminal controls: a client that decodes each piece to text before joining
    // them prints something else.
    const reply = Buffer.from('ok h\u00e9llo \u2713 \x1b[2J\u009b1m\u202eevil\n');
    const checkMark = reply.indexOf(Buffer.from('\u2713'));
    const pieces = [
      reply.subarray(0, checkMark + 1),
      reply.subarray(checkMark + 1, checkMark + 2),
      reply.subarray(checkMark + 2),
    ];
    const standIn = net.createServer({ allowHalfOpen: true }, (socket) => {
      socket.setNoDelay(true);
      socket.on('error', () => {});
      socket.on('end', () => {
        void (async () => {
          if (await writeInPieces(socket, pieces)) socket.end();
        })();
      });
      socket.resume();
    });
    standIn.listen(0, '127.0.0.1');
    await once(standIn, 'listening');
    try {
      const { port } = standIn.address() as net.AddressInfo;
      const result = await runProgram(client, ['127.0.0.1', String(port), 'end']);
      const output = outputOf(result);
      expect(result.exitCode, output).toBe(0);
      expect(result.stdoutLines, output).toContain(
        'Server replied: ok h\u00e9llo \u2713 \\x1b[2J\\x9b1m\\u202eevil',
      );
      expect(result.stdoutLines.join('\n'), output).not.toMatch(/[\x1b\u009b\u202e]/);
    } finally {
      standIn.close();
    }
  });

  test('a server started on a busy port says the address is in use and exits 1', async () => {
    const first = await startServer(server);
    const second = await runProgram(server, ['127.0.0.1', String(first.port)]);
    expect(second.exitCode, outputOf(second)).toBe(1);
    expect(second.stderrLines.join('\n'), outputOf(second)).toMatch(
      /^Error: address in use \(EADDRINUSE\): /,
    );
  });

  test.each(['SIGINT', 'SIGTERM'] as const)(
    '%s ends open connections and stops the server with exit 0',
    async (signal) => {
      const close = await startServer(server);
      const socket = await connectRaw(close.port);
      const peer = `127.0.0.1:${socket.localPort}`;
      const closed = readUntilClose(socket);
      await close.waitForLine(/^\[1\] connection from /);
      close.signal(signal);
      await closed;
      socket.end();
      const done = await close.waitForExit();
      expect(done.exitCode, outputOf(done)).toBe(0);
      expect(done.stdoutLines, outputOf(done)).toContain(
        `${signal}: closing the server and 1 open connection`,
      );
      expect(done.stdoutLines.slice(-3), outputOf(done)).toEqual([
        '[1] finish: our FIN is sent, after every byte we wrote',
        `[1] end: ${peer} sent FIN after 0 bytes; writable: false`,
        '[1] close: hadError false, 0 bytes received',
      ]);
    },
  );

  test('a client that never closes its side is cut off after the grace period, and the server still exits 0', async () => {
    const close = await startServer(server);
    // Half-open on purpose: it reads the server's FIN and never sends its own.
    const socket = net.createConnection({
      host: '127.0.0.1',
      port: close.port,
      allowHalfOpen: true,
    });
    socket.on('error', () => {});
    await once(socket, 'connect');
    // The server's FIN, bounded: a server that never sends it fails with a message.
    const ended = readUntilClose(socket, SHUTDOWN_GRACE_MS + LINE_TIMEOUT_MS);
    await close.waitForLine(/^\[1\] connection from /);
    close.signal('SIGTERM');
    await ended;
    const done = await close.waitForExit(SHUTDOWN_GRACE_MS + LINE_TIMEOUT_MS);
    socket.destroy();
    expect(done.exitCode, outputOf(done)).toBe(0);
    expect(done.stdoutLines.slice(-3), outputOf(done)).toEqual([
      'SIGTERM: closing the server and 1 open connection',
      '[1] finish: our FIN is sent, after every byte we wrote',
      '[1] close: hadError false, 0 bytes received',
    ]);
  });
});

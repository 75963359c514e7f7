// Checks for lesson 01, the echo pair. The same checks run against a learner's
// copy with `npm run check -- 01`, so their titles say what a program must do.

import { randomBytes } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { outputOf, programPath, runProgram, startServer } from './harness.ts';
import {
  closedPort,
  connectRaw,
  exchange,
  hasIPv6Loopback,
  readUntilClose,
} from './net-helpers.ts';

const ipv6 = await hasIPv6Loopback();
if (!ipv6) console.log('Skipping the IPv6 check: this machine has no ::1 loopback.');

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
    const result = await runProgram(client, ['127.0.0.1', String(echo.port)]);
    const done = await echo.waitForExit();
    const output = outputOf(done, result);
    expect(done.exitCode, output).toBe(0);
    const [listening, connected, ...rest] = done.stdoutLines;
    expect(listening, output).toBe(`Listening on 127.0.0.1:${echo.port}`);
    const clientAddress = connected?.match(/^Connected by (127\.0\.0\.1:\d+)$/)?.[1];
    expect(clientAddress, output).toBeDefined();
    // The 12 bytes may arrive in one read or several; together they are the message.
    const pieces = rest.slice(0, -2).map((line) => {
      const match = line.match(/^Received '(.*)' \(\d+ bytes?\) from (\S+)$/);
      expect(
        match,
        `every line before the close should be "Received '<bytes>' (<n> bytes) from <address>"${output}`,
      ).not.toBeNull();
      expect(match![2], output).toBe(clientAddress);
      return match![1];
    });
    expect(
      pieces.join(''),
      `the server's Received lines should add up to the message${output}`,
    ).toBe('Hello, world');
    expect(rest.at(-2), output).toBe(
      `Client ${clientAddress} closed its side; closing the connection`,
    );
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
    socket.write('partial');
    await echo.waitForLine(/^Received /);
    socket.resetAndDestroy();
    const done = await echo.waitForExit();
    expect(done.exitCode, outputOf(done)).toBe(1);
    expect(done.stderrLines, outputOf(done)).toEqual([
      expect.stringMatching(/^Error: connection reset by 127\.0\.0\.1:\d+ \(ECONNRESET\): /),
    ]);
  });

  test('the client with no server prints "connection refused" and exits 1', async () => {
    const port = await closedPort();
    const result = await runProgram(client, ['127.0.0.1', String(port)]);
    expect(result.exitCode, outputOf(result)).toBe(1);
    expect(result.stderrLines, outputOf(result)).toEqual([
      `Error: connection refused (ECONNREFUSED): is the server running on 127.0.0.1:${port}?`,
    ]);
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
    ['client', 'one argument too many', client, ['127.0.0.1', '65432', 'extra']],
  ])(
    'bad arguments to the %s (%s) print the usage line and exit 1',
    async (_role, _what, file, args) => {
      const result = await runProgram(file, args);
      expect(result.exitCode, outputOf(result)).toBe(1);
      expect(result.stderrLines[0], outputOf(result)).toMatch(
        /^Usage: echo-(server|client)\.ts \[host\] \[port\]$/,
      );
      expect(result.stdoutLines, outputOf(result)).toEqual([]);
    },
  );

  test('Ctrl-C (SIGINT) stops a waiting server with exit 0', async () => {
    const echo = await startServer(server);
    echo.signal('SIGINT');
    const done = await echo.waitForExit();
    expect(done.exitCode, outputOf(done)).toBe(0);
    expect(done.stdoutLines.at(-1), outputOf(done)).toBe('Interrupted: closing the server');
  });
});

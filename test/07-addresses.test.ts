// Checks for lesson 07, addresses and names. Loopback only: IPv4 and IPv6
// clients come from this machine, and names resolve through a preload that
// answers `.test` names from a table (test/preload/fake-hosts.js) or a DNS
// server on 127.0.0.1 (test/fake-dns.ts): no query leaves the machine.

import net from 'node:net';
import os from 'node:os';
import dns from 'node:dns/promises';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, test } from 'vitest';
import { outputOf, programPath, runProgram, startServer, type RunningServer } from './harness.ts';
import { startFakeDnsServer, type FakeDnsServer } from './fake-dns.ts';
import {
  closedPort,
  connectRaw,
  hasIPv6Loopback,
  readUntilClose,
  writeInPieces,
} from './net-helpers.ts';

const ipv6 = await hasIPv6Loopback();
if (!ipv6) console.log('Skipping the IPv6 checks of lesson 07: this machine has no ::1 loopback.');
// All of 127.0.0.0/8 reaches the loopback interface on Linux; elsewhere only 127.0.0.1 may.
const secondLoopback = await canConnectVia('127.0.0.2');
if (!secondLoopback) console.log('Skipping the 127.0.0.2 check: no second loopback address here.');

const whereServer = programPath('07', 'where-server.ts');
const whereClient = programPath('07', 'where-client.ts');
const lookup = programPath('07', 'lookup.ts');

/** The environment that makes `.test` names resolve from `hosts` (test/preload/fake-hosts.js). */
function fakeHosts(hosts: Record<string, string[]>): Record<string, string> {
  return { WORKBOOK_FAKE_HOSTS: JSON.stringify(hosts) };
}

/** Connects from this test, returning the error code, or 'connected' and what the server said. */
async function tryConnect(host: string, port: number): Promise<string> {
  try {
    const socket = await connectRaw(port, host);
    return `connected: ${(await readUntilClose(socket)).toString().trimEnd()}`;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? String(error);
  }
}

async function canConnectVia(host: string): Promise<boolean> {
  const probe = net.createServer((socket) => socket.destroy()).listen(0, '0.0.0.0');
  await once(probe, 'listening');
  const { port } = probe.address() as net.AddressInfo;
  const result = await tryConnect(host, port);
  probe.close();
  return result.startsWith('connected');
}

/**
 * A stand-in server that answers each client with `pieces`, one write each, a short
 * pause between them so the client gets them in separate reads, then closes.
 */
async function startPiecesServer(pieces: readonly Buffer[]): Promise<net.Server> {
  const standIn = net.createServer((socket) => {
    socket.setNoDelay(true);
    socket.on('error', () => {});
    void (async () => {
      if (await writeInPieces(socket, pieces)) socket.end();
    })();
  });
  standIn.listen(0, '127.0.0.1');
  await once(standIn, 'listening');
  return standIn;
}

/**
 * A listening socket on [::1]:port that never answers a new connection, as a host
 * that is down or behind a firewall that drops packets: a worker thread listens
 * with a backlog of 1, then blocks, so nothing is ever accepted; a few connections
 * fill its accept queue, and Linux then drops every further SYN without a reply.
 */
async function startBlackHole(port: number): Promise<{ close: () => Promise<void> }> {
  const stop = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(
    `const net = require('node:net');
    const { parentPort, workerData } = require('node:worker_threads');
    const server = net.createServer();
    server.on('error', (error) => parentPort.postMessage(error.code));
    server.listen({ host: '::1', port: workerData.port, backlog: 1 }, () => {
      parentPort.postMessage('listening');
      Atomics.wait(workerData.stop, 0, 0);
    });`,
    { eval: true, workerData: { port, stop } },
  );
  const [state] = (await once(worker, 'message')) as [string];
  const fillers: net.Socket[] = [];
  const release = async () => {
    for (const filler of fillers) filler.destroy();
    Atomics.store(stop, 0, 1);
    Atomics.notify(stop, 0);
    await worker.terminate();
  };
  if (state !== 'listening') {
    await release();
    throw new Error(`the black hole could not listen on [::1]:${port}: ${state}`);
  }
  // The first connection fits in the queue; the next ones fill it (their SYNs may be dropped).
  for (let index = 0; index < 4; index += 1) {
    const filler = net.connect({ host: '::1', port });
    filler.on('error', () => {});
    fillers.push(filler);
    if (index === 0) await once(filler, 'connect');
  }
  return { close: release };
}

let dnsServer: FakeDnsServer | undefined;
afterEach(async () => {
  await dnsServer?.close();
  dnsServer = undefined;
});

describe('lesson 07: where a server listens', () => {
  test.skipIf(!ipv6)(
    'a server on :: accepts an IPv4 and an IPv6 client and names the family of each',
    async () => {
      const where = await startServer(whereServer, { host: '::' });
      expect(where.stdoutLines[0], outputOf(where)).toBe(`Listening on [::]:${where.port}`);
      const viaIPv4 = await tryConnect('127.0.0.1', where.port);
      const viaIPv6 = await tryConnect('::1', where.port);
      await where.waitForLine(/^Connection from \[::1\]/);
      const output = outputOf(where);
      expect(viaIPv4, output).toMatch(
        new RegExp(
          `^connected: You reached \\[::ffff:127\\.0\\.0\\.1\\]:${where.port} from .* over IPv4$`,
        ),
      );
      expect(viaIPv6, output).toMatch(
        /^connected: You reached \[::1\]:\d+ from \[::1\]:\d+ over IPv6$/,
      );
      expect(where.stdoutLines, output).toContainEqual(
        expect.stringMatching(
          /^Connection from \[::ffff:127\.0\.0\.1\]:\d+ to \[::ffff:127\.0\.0\.1\]:\d+: IPv4, as an IPv4-mapped IPv6 address$/,
        ),
      );
      expect(where.stdoutLines, output).toContainEqual(
        expect.stringMatching(/^Connection from \[::1\]:\d+ to \[::1\]:\d+: IPv6$/),
      );
      expect(where.stdoutLines, output).toContain(
        'Warning: :: listens on every interface; other machines can connect too',
      );
      expect(where.stdoutLines, output).toContain(
        `Reachable at 127.0.0.1:${where.port} (lo, loopback, this machine only)`,
      );
      // Every address of every interface, each with what it is: loopback,
      // link-local (fe80:, with its interface), or reachable from the network.
      const expected = Object.entries(os.networkInterfaces()).flatMap(([name, addresses]) =>
        (addresses ?? []).map((address) => {
          const host = address.address + (address.scopeid ? `%${name}` : '');
          const shown = address.family === 'IPv6' ? `[${host}]` : host;
          const kind = address.internal
            ? 'loopback, this machine only'
            : address.address.startsWith('fe80:')
              ? 'link-local, this network segment only'
              : 'reachable from the network';
          return `Reachable at ${shown}:${where.port} (${name}, ${kind})`;
        }),
      );
      expect(
        where.stdoutLines.filter((line) => line.startsWith('Reachable at ')).sort(),
        output,
      ).toEqual(expected.sort());
    },
  );

  test.skipIf(!ipv6)('with --ipv6-only, a server on :: refuses IPv4 clients', async () => {
    const where = await startServer(whereServer, { host: '::', extraArgs: ['--ipv6-only'] });
    await where.waitForLine(/^Warning: /);
    const output = outputOf(where);
    expect(await tryConnect('127.0.0.1', where.port), output).toBe('ECONNREFUSED');
    expect(await tryConnect('::1', where.port), output).toMatch(/over IPv6$/);
    expect(where.stdoutLines, outputOf(where)).not.toContainEqual(
      expect.stringMatching(/^Reachable at 127\.0\.0\.1:/),
    );
  });

  test.skipIf(!ipv6)(
    'a server on 127.0.0.1 refuses ::1 clients, and a server on ::1 refuses 127.0.0.1',
    async () => {
      const onIPv4 = await startServer(whereServer, { host: '127.0.0.1' });
      const onIPv6 = await startServer(whereServer, { host: '::1' });
      await onIPv4.waitForLine(/^Reachable at /);
      await onIPv6.waitForLine(/^Reachable at /);
      const output = outputOf(onIPv4, onIPv6);
      expect(await tryConnect('::1', onIPv4.port), output).toBe('ECONNREFUSED');
      expect(await tryConnect('127.0.0.1', onIPv6.port), output).toBe('ECONNREFUSED');
      expect(onIPv4.stdoutLines[1], output).toBe(`Reachable at 127.0.0.1:${onIPv4.port} only`);
      expect(onIPv6.stdoutLines[1], output).toBe(`Reachable at [::1]:${onIPv6.port} only`);
    },
  );

  test.skipIf(!secondLoopback)(
    'a server asked for 127.0.0.1 cannot be reached at another address of the machine (127.0.0.2)',
    async () => {
      const where = await startServer(whereServer, { host: '127.0.0.1' });
      expect(await tryConnect('127.0.0.2', where.port), outputOf(where)).toBe('ECONNREFUSED');
    },
  );

  test('the server logs each client by its real address and port', async () => {
    const where = await startServer(whereServer, { host: '127.0.0.1' });
    const socket = await connectRaw(where.port);
    const reply = (await readUntilClose(socket)).toString();
    const peer = `127.0.0.1:${socket.localPort}`;
    await where.waitForLine(/^Connection from /);
    expect(where.stdoutLines, outputOf(where)).toContain(
      `Connection from ${peer} to 127.0.0.1:${where.port}: IPv4`,
    );
    expect(reply, outputOf(where)).toBe(
      `You reached 127.0.0.1:${where.port} from ${peer} over IPv4\n`,
    );
  });
});

describe('lesson 07: which address a client connects to', () => {
  test.skipIf(!ipv6)(
    'given a name whose first address is dead, the client tries it, then connects to the second',
    async () => {
      const where = await startServer(whereServer, { host: '127.0.0.1' });
      const result = await runProgram(whereClient, ['dual.test', String(where.port)], {
        env: fakeHosts({ 'dual.test': ['::1', '127.0.0.1'] }),
      });
      const output = outputOf(result, where);
      expect(result.exitCode, output).toBe(0);
      const local = result.stdoutLines
        .find((line) => line.startsWith('Connected to'))
        ?.match(/from (\S+) /)?.[1];
      expect(result.stdoutLines, output).toEqual([
        'dual.test resolves to 2 addresses, in this order:',
        '  1. ::1 (IPv6)',
        '  2. 127.0.0.1 (IPv4)',
        `Trying [::1]:${where.port}`,
        `  failed: connection refused (ECONNREFUSED): is the server running on [::1]:${where.port}?`,
        `Trying 127.0.0.1:${where.port}`,
        `Connected to 127.0.0.1:${where.port} from ${local} (IPv4)`,
        `Server says: You reached 127.0.0.1:${where.port} from ${local} over IPv4`,
      ]);
    },
  );

  test.skipIf(!ipv6 || process.platform !== 'linux')(
    'given a name whose first address never answers, the client gives up on it after the attempt timeout and connects to the second',
    async () => {
      const where = await startServer(whereServer, { host: '127.0.0.1' });
      const blackHole = await startBlackHole(where.port);
      try {
        const result = await runProgram(whereClient, ['dual.test', String(where.port)], {
          env: fakeHosts({ 'dual.test': ['::1', '127.0.0.1'] }),
        });
        const output = outputOf(result, where);
        expect(result.exitCode, output).toBe(0);
        expect(result.stdoutLines.slice(3, 7), output).toEqual([
          `Trying [::1]:${where.port}`,
          `  no answer from [::1]:${where.port} within 250 ms`,
          `Trying 127.0.0.1:${where.port}`,
          expect.stringMatching(
            new RegExp(
              `^Connected to 127\\.0\\.0\\.1:${where.port} from 127\\.0\\.0\\.1:\\d+ \\(IPv4\\)$`,
            ),
          ),
        ]);
      } finally {
        await blackHole.close();
      }
    },
  );

  test('the client shows the whole line from the server, sent in pieces, with its control characters escaped', async () => {
    // "h\u00e9llo \u2713" with the \u2713 (3 bytes) split between two pieces, then
    // terminal controls: a client that reads once, or decodes each piece to text
    // before joining them, prints something else.
    const line = Buffer.from('h\u00e9llo \u2713 \x1b[2J\u009b1m\u202eevil\n');
    const checkMark = line.indexOf(Buffer.from('\u2713'));
    const standIn = await startPiecesServer([
      line.subarray(0, checkMark + 1),
      line.subarray(checkMark + 1, checkMark + 2),
      line.subarray(checkMark + 2),
    ]);
    const { port } = standIn.address() as net.AddressInfo;
    try {
      const result = await runProgram(whereClient, ['127.0.0.1', String(port)]);
      const output = outputOf(result);
      expect(result.exitCode, output).toBe(0);
      expect(result.stdoutLines.at(-1), output).toBe(
        'Server says: h\u00e9llo \u2713 \\x1b[2J\\x9b1m\\u202eevil',
      );
      expect(result.stdoutLines.join('\n'), output).not.toMatch(/[\x1b\u009b\u202e]/);
    } finally {
      standIn.close();
    }
  });

  test('a name that does not resolve gives one "host not found" line and exit 1', async () => {
    const result = await runProgram(whereClient, ['gone.test', '65432'], {
      env: fakeHosts({ 'gone.test': [] }),
    });
    expect(result.exitCode, outputOf(result)).toBe(1);
    expect(result.stderrLines, outputOf(result)).toEqual([
      'Error: host not found (ENOTFOUND): the host in gone.test:65432 does not resolve to an address; check its spelling',
    ]);
  });

  test('with nothing listening, the client says "connection refused" and exits 1', async () => {
    const port = await closedPort();
    const result = await runProgram(whereClient, ['127.0.0.1', String(port)]);
    expect(result.exitCode, outputOf(result)).toBe(1);
    expect(result.stderrLines, outputOf(result)).toEqual([
      `Error: connection refused (ECONNREFUSED): is the server running on 127.0.0.1:${port}?`,
    ]);
  });
});

describe('lesson 07: what a name becomes', () => {
  test('lookup.ts localhost --all lists what the system says, then what DNS says', async () => {
    dnsServer = await startFakeDnsServer({ localhost: ['127.0.0.1', '::1'] });
    const system = await dns.lookup('localhost', { all: true });
    const result = await runProgram(lookup, [
      'localhost',
      '--all',
      '--dns-server',
      dnsServer.address,
    ]);
    const output = outputOf(result);
    expect(result.exitCode, output).toBe(0);
    expect(result.stdoutLines, output).toEqual([
      'dns.lookup(): what net.connect() gets for localhost',
      ...system.map((entry, index) => `  ${index + 1}. ${entry.address} (IPv${entry.family})`),
      `DNS alone (asking ${dnsServer.address}):`,
      '  A     127.0.0.1',
      '  AAAA  ::1',
    ]);
    expect(dnsServer.questions, output).toEqual(['A localhost', 'AAAA localhost']);
  });

  test('without --all, lookup.ts shows the first address in the system order and how many more', async () => {
    dnsServer = await startFakeDnsServer({});
    const result = await runProgram(lookup, ['dual.test', '--dns-server', dnsServer.address], {
      env: fakeHosts({ 'dual.test': ['::1', '127.0.0.1'] }),
    });
    const output = outputOf(result);
    expect(result.stdoutLines.slice(0, 3), output).toEqual([
      'dns.lookup(): what net.connect() gets for dual.test',
      '  1. ::1 (IPv6)',
      '  (and 1 more: add --all to see them)',
    ]);
    expect(result.stdoutLines.slice(4), output).toEqual([
      '  A     none: no such name (ENOTFOUND)',
      '  AAAA  none: no such name (ENOTFOUND)',
    ]);
  });

  test('--family 6 asks for IPv6 addresses only, from both resolvers', async () => {
    dnsServer = await startFakeDnsServer({ 'web.test': ['192.0.2.10', '2001:db8::1'] });
    const result = await runProgram(
      lookup,
      ['web.test', '--family', '6', '--all', '--dns-server', dnsServer.address],
      { env: fakeHosts({ 'web.test': ['192.0.2.10', '2001:db8::1'] }) },
    );
    const output = outputOf(result);
    expect(result.stdoutLines, output).toEqual([
      'dns.lookup(): what net.connect() gets for web.test',
      '  1. 2001:db8::1 (IPv6)',
      `DNS alone (asking ${dnsServer.address}):`,
      '  AAAA  2001:db8::1',
    ]);
    expect(dnsServer.questions, output).toEqual(['AAAA web.test']);
  });

  test('for a name that does not resolve, lookup.ts says "no address" and why, for each resolver', async () => {
    dnsServer = await startFakeDnsServer({});
    const result = await runProgram(lookup, ['gone.test', '--dns-server', dnsServer.address], {
      env: fakeHosts({ 'gone.test': [] }),
    });
    const output = outputOf(result);
    expect(result.exitCode, output).toBe(0);
    expect(result.stdoutLines, output).toEqual([
      'dns.lookup(): what net.connect() gets for gone.test',
      '  no address: no such name (ENOTFOUND)',
      `DNS alone (asking ${dnsServer.address}):`,
      '  A     none: no such name (ENOTFOUND)',
      '  AAAA  none: no such name (ENOTFOUND)',
    ]);
  });
});

describe('lesson 07: arguments, errors and stopping', () => {
  test.each([
    [
      'lookup.ts',
      'a family that is not 4 or 6',
      lookup,
      ['localhost', '--family', '5'],
      'lookup.ts: --family must be 4 or 6',
    ],
    [
      'where-server.ts',
      'a port above 65535',
      whereServer,
      ['127.0.0.1', '70000'],
      'where-server.ts: port must be a whole number from 0 to 65535 (0 picks a free port), got "70000"',
    ],
    [
      'where-client.ts',
      'a missing port',
      whereClient,
      ['127.0.0.1'],
      'where-client.ts: expected 2 arguments, got 1',
    ],
  ])(
    '%s with %s prints the usage line and what is wrong, and exits 1',
    async (name, _what, file, args, problem) => {
      const result = await runProgram(file, args);
      expect(result.exitCode, outputOf(result)).toBe(1);
      expect(result.stderrLines, outputOf(result)).toEqual([
        expect.stringMatching(new RegExp(`^Usage: ${name.replace('.', '\\.')} `)),
        problem,
      ]);
    },
  );

  test.each([
    ['lookup.ts', lookup],
    ['where-server.ts', whereServer],
    ['where-client.ts', whereClient],
  ])('%s --help prints the usage line and what each argument means, exit 0', async (name, file) => {
    const result = await runProgram(file, ['--help']);
    expect(result.exitCode, outputOf(result)).toBe(0);
    expect(result.stdoutLines[0], outputOf(result)).toMatch(
      new RegExp(`^Usage: ${name.replace('.', '\\.')} `),
    );
    expect(
      result.stdoutLines.some((line) => line.trimStart().startsWith('--help')),
      outputOf(result),
    ).toBe(true);
  });

  test('a server started on a busy port says the address is in use and exits 1', async () => {
    const first = await startServer(whereServer);
    const second = await runProgram(whereServer, ['127.0.0.1', String(first.port)]);
    expect(second.exitCode, outputOf(second)).toBe(1);
    expect(second.stderrLines.join('\n'), outputOf(second)).toMatch(
      /^Error: address in use \(EADDRINUSE\): /,
    );
  });

  test.each(['SIGINT', 'SIGTERM'] as const)('%s stops the server with exit 0', async (signal) => {
    const where: RunningServer = await startServer(whereServer);
    where.signal(signal);
    const done = await where.waitForExit();
    expect(done.exitCode, outputOf(done)).toBe(0);
    expect(done.stdoutLines.at(-1), outputOf(done)).toBe(`${signal}: closing the server`);
  });
});

// Lesson 06: the errors of listen(), which is bind() and listen() in one call:
// EADDRINUSE (the port is taken), EADDRNOTAVAIL (the address is not ours) and
// EMFILE (the process may open no more files, and every socket is one).

import net from 'node:net';
import fs from 'node:fs';
import { once } from 'node:events';
import { formatAddress, serverAddress } from '../../shared/address.ts';
import { startChild } from './children.ts';
import { say, showError, type Outcome } from './transcript.ts';

const HOST = '127.0.0.1';
/** From TEST-NET-1 (RFC 5737), a range kept for documentation: no machine should have it. */
const DOCUMENTATION_ADDRESS = '192.0.2.1';
/** Low enough to reach in a moment; high enough for Node's own start-up files (20 to 60). */
const OPEN_FILE_LIMIT = 256;
/** Where the EMFILE child gives up if the limit did not take: it would be far past 64. */
const MAX_CONNECTIONS = 500;

export async function provokeAddressInUse(): Promise<Outcome> {
  // Server A takes a free port; server B then asks for the same one.
  const first = net.createServer();
  first.listen(0, HOST);
  await once(first, 'listening');
  const { port } = first.address() as net.AddressInfo;
  const address = serverAddress(first);
  say('server A', `listening on ${address}`);

  let error: unknown;
  // exercise(listen-on-a-taken-port): Start server B listening on the port server A holds, and keep the error it gets in `error`.
  const second = net.createServer();
  try {
    second.listen(port, HOST);
    await once(second, 'listening');
    say('server B', `listening on ${address} as well: nothing stopped it`);
    second.close();
  } catch (caught) {
    error = caught;
    showError('server B', `listen(${port}, '${HOST}') failed`, caught);
  }
  // end exercise
  say('server A', 'still listening; it never hears of B: the failure stays in B');

  // A restart. A client connects, server A closes the connection first, so
  // A's side of it waits in TIME_WAIT; then A stops and server C takes the port.
  const client = net.createConnection({ host: HOST, port });
  const [[connection]] = (await Promise.all([
    once(first, 'connection'),
    once(client, 'connect'),
  ])) as [[net.Socket], unknown[]];
  const bothClosed = Promise.all([once(connection, 'close'), once(client, 'close')]);
  connection.end();
  await bothClosed;
  say('server A', 'closed a connection first, so its end of it now waits in TIME_WAIT');
  const waiting = timeWaitCount(port);
  if (waiting !== undefined)
    say(
      'kernel',
      `sockets in TIME_WAIT on port ${port}: ${waiting} (from /proc/net/tcp)`,
    );
  first.close();
  await once(first, 'close');
  say('server A', 'stopped');

  const restarted = net.createServer();
  try {
    restarted.listen(port, HOST);
    await once(restarted, 'listening');
    say(
      'server C',
      `listening on ${address}: Node sets SO_REUSEADDR, so TIME_WAIT does not block a restart`,
    );
    restarted.close();
    await once(restarted, 'close');
  } catch (caught) {
    showError('server C', `listen(${port}, '${HOST}') failed after a restart`, caught);
    return { error: caught, address };
  }
  return { error, address };
}

/** Connections on `port` in TIME_WAIT (state 06 in /proc/net/tcp); undefined off Linux. */
function timeWaitCount(port: number): number | undefined {
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  try {
    return fs
      .readFileSync('/proc/net/tcp', 'utf8')
      .split('\n')
      .slice(1)
      .filter((line) => {
        const [, local, , state] = line.trim().split(/\s+/);
        return state === '06' && local?.endsWith(`:${hexPort}`) === true;
      }).length;
  } catch {
    return undefined;
  }
}

export async function provokeAddressNotAvailable(): Promise<Outcome> {
  const address = formatAddress(DOCUMENTATION_ADDRESS, 0);
  const server = net.createServer();
  try {
    // bind() only checks the address against this machine's own: no packet is sent.
    server.listen(0, DOCUMENTATION_ADDRESS);
    await once(server, 'listening');
    say(
      'server',
      `listening on ${serverAddress(server)}: this machine has that address`,
    );
    server.close();
    await once(server, 'close');
    return { address };
  } catch (error) {
    showError('server', `listen(0, '${DOCUMENTATION_ADDRESS}') failed`, error);
    say(
      'kernel',
      `no interface of this machine has ${DOCUMENTATION_ADDRESS}; nothing was sent`,
    );
    say('peer', 'none: a failed bind() involves no other machine');
    return { error, address };
  }
}

export async function provokeTooManyOpenFiles(): Promise<Outcome> {
  if (process.platform === 'win32')
    return {
      skipped: 'Windows has no per-process limit on open files to lower (ulimit -n)',
    };
  say(
    'parent',
    `starting a child whose limit on open files is ${OPEN_FILE_LIMIT}: sh -c 'ulimit -n ${OPEN_FILE_LIMIT} && exec node ...'`,
  );
  const child = startChild('open-until-emfile', OPEN_FILE_LIMIT);
  let report: Record<string, unknown> | undefined;
  let startError: Error | undefined;
  child.process.on('message', (message: Record<string, unknown>) => (report = message));
  child.process.on('error', (error) => (startError = error));
  await child.closed;
  if (startError !== undefined)
    return {
      skipped: `no POSIX shell to lower the limit with (${startError.message})`,
    };
  if (child.process.exitCode !== 0 || report === undefined) {
    say(
      'parent',
      `the child failed (exit code ${child.process.exitCode}) before reporting`,
    );
    return {};
  }
  say('parent', 'the child has exited; this process never came near its own limit');
  if (report.code === undefined) return {};
  const { message, ...fields } = report;
  return { error: Object.assign(new Error(String(message)), fields) };
}

/**
 * The EMFILE child: one server and clients connecting to it, one at a time,
 * until a socket cannot be opened. On loopback each connection costs two
 * descriptors here, the client's socket and the server's accepted one.
 */
export async function openUntilEmfile(): Promise<void> {
  const limit = openFileLimit();
  if (limit !== undefined) say('child', `limit on open files: ${limit}`);
  const server = net.createServer();
  const accepted: net.Socket[] = [];
  server.on('connection', (socket) => accepted.push(socket));
  server.listen(0, HOST);
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  say('child server', `listening on ${serverAddress(server)}`);

  const clients: net.Socket[] = [];
  let failure: unknown;
  while (failure === undefined && clients.length < MAX_CONNECTIONS) {
    const client = net.createConnection({ host: HOST, port });
    try {
      // The failure can come on either side: socket() for the client, accept() for the server.
      await Promise.all([once(client, 'connect'), once(server, 'connection')]);
      clients.push(client);
    } catch (error) {
      failure = error;
      client.destroy();
    }
  }
  say(
    'child client',
    `connections 1 to ${clients.length} open; the server accepted ${accepted.length}`,
  );
  if (failure === undefined) {
    say(
      'child client',
      `no error after ${MAX_CONNECTIONS} connections: the limit did not apply`,
    );
  } else {
    showError(
      'child client',
      `connection ${clients.length + 1}: 'error' event`,
      failure,
    );
    say(
      'child server',
      'saw nothing of that connection: its socket could not be created, so no SYN was sent',
    );
  }
  for (const socket of [...clients, ...accepted]) socket.destroy();
  server.close();
  await once(server, 'close');
  say('child', 'closed every connection and the server');

  const report: Record<string, unknown> = {};
  if (failure instanceof Error) {
    for (const [name, value] of Object.entries(failure)) report[name] = value;
    report.message = failure.message;
  }
  // Tell the parent what happened, then close the channel so this process can exit.
  process.send?.(report, () => process.disconnect?.());
}

/** This process's limit on open files (Linux: /proc/self/limits); undefined elsewhere. */
function openFileLimit(): string | undefined {
  try {
    const line = fs
      .readFileSync('/proc/self/limits', 'utf8')
      .split('\n')
      .find((row) => row.startsWith('Max open files'));
    const [soft, hard] = line?.split(/\s{2,}/).slice(1, 3) ?? [];
    return soft === undefined ? undefined : `${soft} (soft), ${hard ?? '?'} (hard)`;
  } catch {
    return undefined;
  }
}

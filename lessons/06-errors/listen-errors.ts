// Lesson 06: errors of the descriptor and the address a socket needs:
// EADDRINUSE (the port is taken) and EADDRNOTAVAIL (the address is not ours),
// both from listen(), which is bind() and listen() in one call, and EMFILE
// (the process may open no more files, and every socket is one).

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
/** Where the EMFILE child gives up if the limit did not take. */
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
  // exercise(listen-on-a-taken-port): Start server B listening on the port server A
  //   holds, and keep the error it gets in `error`.
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
  // The server stays in this process, far from its own limit, so every
  // descriptor the child opens is one of its clients.
  const server = net.createServer();
  const accepted: net.Socket[] = [];
  server.on('connection', (socket) => accepted.push(socket));
  server.listen(0, HOST);
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  const address = serverAddress(server);
  say('server', `listening on ${address}, in this process`);

  let report: Record<string, unknown> | undefined;
  let startError: Error | undefined;
  const child = startChild('open-until-emfile', OPEN_FILE_LIMIT);
  say(
    'client',
    `child process ${child.process.pid ?? '?'}, started with sh -c 'ulimit -n ${OPEN_FILE_LIMIT} && exec node ...'`,
  );
  child.process.on('message', (message: Record<string, unknown>) => (report = message));
  // The first error says why: a child that never started (no sh) also fails the
  // send() below, and that second error (EPIPE) would hide the reason.
  child.process.on('error', (error) => (startError ??= error));
  child.process.send({ port });
  await child.closed;
  for (const socket of accepted) socket.destroy();
  server.close();
  await once(server, 'close');
  if (startError !== undefined)
    return {
      skipped: `no POSIX shell to lower the limit with (${startError.message})`,
    };
  if (report === undefined) {
    say(
      'client',
      `the child failed (exit code ${child.process.exitCode}) before reporting`,
    );
    return { address };
  }
  say(
    'server',
    `accepted ${accepted.length} connections and saw nothing of the one that failed: no SYN was sent`,
  );
  if (report.code === undefined) return { address };
  const { message, ...fields } = report;
  return { error: Object.assign(new Error(String(message)), fields), address };
}

/**
 * The EMFILE child: it connects to the parent's server, one connection at a
 * time, until a socket cannot be created. Each connection costs the child one
 * descriptor; Node itself holds about 20 to 60 from start-up.
 */
export async function openUntilEmfile(): Promise<void> {
  // If the parent goes away, there is no one to report to: stop.
  process.on('disconnect', () => process.exit(1));
  const [{ port }] = (await once(process, 'message')) as [{ port: number }];
  const limit = openFileLimit();
  if (limit !== undefined) say('client', `the child's limit on open files: ${limit}`);

  const clients: net.Socket[] = [];
  let failure: unknown;
  while (failure === undefined && clients.length < MAX_CONNECTIONS) {
    const client = net.createConnection({ host: HOST, port });
    try {
      await once(client, 'connect');
      clients.push(client);
    } catch (error) {
      failure = error;
    }
  }
  say('client', `connections 1 to ${clients.length} open`);
  if (failure === undefined)
    say(
      'client',
      `no error after ${MAX_CONNECTIONS} connections: the limit did not apply`,
    );
  else showError('client', `connection ${clients.length + 1}: 'error' event`, failure);
  for (const socket of clients) socket.destroy();
  say('client', 'closed every connection; the child exits');

  const report: Record<string, unknown> = {};
  if (failure instanceof Error) {
    for (const [name, value] of Object.entries(failure)) report[name] = value;
    report.message = failure.message;
  }
  // Tell the parent what happened, then close the channel so this process can exit.
  process.removeAllListeners('disconnect');
  process.send?.(report, () => {
    if (process.connected) process.disconnect();
  });
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

// Lesson 06: the errors of connect() and of the name lookup before it:
// ECONNREFUSED (nobody listens), a connect timeout (nobody answers), and
// ENOTFOUND / EAI_AGAIN (the name does not resolve), all on this machine.

import net from 'node:net';
import fs from 'node:fs';
import { once } from 'node:events';
import { formatAddress } from '../../shared/address.ts';
import { startChild } from './children.ts';
import { say, showError, type Outcome } from './transcript.ts';

const HOST = '127.0.0.1';
/** How long we wait for a handshake ourselves; the kernel alone would wait about two minutes. */
const CONNECT_TIMEOUT_MS = 500;
/** Connections that fill the stuck server's accept queue; Linux needs 2 with a backlog of 1. */
const MAX_QUEUED = 32;
/** How long the stuck listener stays stuck if nobody ends it: a bound, never reached normally. */
const STUCK_FOR_MS = 20_000;
/** Under .invalid, a top-level domain that never resolves (RFC 6761): safe to name. */
const UNKNOWN_HOST = 'no-such-host.invalid';
const SOME_PORT = 65432;

export async function provokeConnectionRefused(): Promise<Outcome> {
  // A port nobody listens on: let the system pick a free one, then give it back.
  const probe = net.createServer();
  probe.listen(0, HOST);
  await once(probe, 'listening');
  const { port } = probe.address() as net.AddressInfo;
  probe.close();
  await once(probe, 'close');
  const address = formatAddress(HOST, port);
  say('server', `none: port ${port} was free a moment ago and nothing listens there`);

  const client = net.createConnection({ host: HOST, port });
  try {
    await once(client, 'connect');
    say('client', `connected to ${address}: something is listening after all`);
    client.destroy();
    return { address };
  } catch (error) {
    showError('client', `connect to ${address}: 'error' event`, error);
    say('kernel', 'a SYN to a port with no listener is answered with RST at once');
    return { error, address };
  }
}

export async function provokeConnectTimeout(): Promise<Outcome> {
  // The server is a second process: it listens with a backlog of 1 and then
  // its event loop stops (as in a long computation), so it never accepts.
  const child = startChild('stuck-listener');
  const [{ port }] = (await once(child.process, 'message')) as [{ port: number }];
  const address = formatAddress(HOST, port);
  say(
    'server',
    `child process ${child.process.pid ?? '?'} listens on ${address} with a backlog of 1, then stops accepting`,
  );

  const queued: net.Socket[] = [];
  let error: unknown;
  try {
    for (let attempt = 1; attempt <= MAX_QUEUED && error === undefined; attempt++) {
      // `timeout` starts an idle timer before connecting, so it covers the handshake.
      const socket = net.createConnection({
        host: HOST,
        port,
        timeout: CONNECT_TIMEOUT_MS,
      });
      // exercise(give-up-on-connect): When the timer fires, destroy the socket with an
      //   error whose code is ETIMEDOUT.
      // 'timeout' only tells us time is up; nothing is closed until we destroy().
      socket.on('timeout', () =>
        socket.destroy(
          Object.assign(
            new Error(`no answer from ${address} in ${CONNECT_TIMEOUT_MS} ms`),
            {
              code: 'ETIMEDOUT',
            },
          ),
        ),
      );
      // end exercise
      try {
        await once(socket, 'connect');
        socket.setTimeout(0);
        queued.push(socket);
        say('client', `connection ${attempt}: connected; it waits in the accept queue`);
      } catch (caught) {
        error = caught;
        say('client', `connection ${attempt}: no answer in ${CONNECT_TIMEOUT_MS} ms`);
        showError(
          'client',
          "'timeout' event, then destroy() with our own error",
          caught,
        );
      }
    }

    // The same wait with an AbortSignal, which cancels any operation that takes one.
    const aborted = net.createConnection({
      host: HOST,
      port,
      signal: AbortSignal.timeout(CONNECT_TIMEOUT_MS),
    });
    try {
      await once(aborted, 'connect');
      say('client', 'connected with the AbortSignal: the queue had room after all');
      aborted.destroy();
    } catch (caught) {
      showError(
        'client',
        `AbortSignal.timeout(${CONNECT_TIMEOUT_MS}): 'error' event`,
        caught,
      );
    }
  } finally {
    for (const socket of queued) socket.destroy();
    child.process.kill();
    await child.closed;
  }
  say(
    'server',
    'the queue was full, so the kernel dropped our SYN and sent no answer at all',
  );
  say('kernel', kernelConnectTimeout());
  return { error, address };
}

/** How long the kernel itself keeps trying a handshake, from this machine's setting where readable. */
function kernelConnectTimeout(): string {
  let retries = 6; // Linux's default for net.ipv4.tcp_syn_retries
  let source = "Linux's default";
  try {
    retries = Number(
      fs.readFileSync('/proc/sys/net/ipv4/tcp_syn_retries', 'utf8').trim(),
    );
    source = 'this machine';
  } catch {
    // Not Linux: keep the default, and say so.
  }
  // The first wait is 1 s and each retry doubles it: 1 + 2 + 4 + ... seconds in all.
  const seconds = 2 ** (retries + 1) - 1;
  return `without a timer, connect() waits for the kernel: with ${retries} SYN retries (${source}), each wait twice the last from 1 s, ETIMEDOUT comes after about ${seconds} s`;
}

/** The stuck listener child: listen, tell the parent the port, then block the event loop. */
export function stuckListener(): void {
  const parent = process.ppid;
  const server = net.createServer();
  server.listen({ port: 0, host: HOST, backlog: 1 }, () => {
    const { port } = server.address() as net.AddressInfo;
    // Block only once the message has left, or the parent would wait for it forever.
    process.send?.({ port }, () => {
      // Atomics.wait sleeps this thread: no event loop runs, so no accept() runs.
      // It wakes now and then only to stop if the parent has gone.
      const deadline = Date.now() + STUCK_FOR_MS;
      const sleeper = new Int32Array(new SharedArrayBuffer(4));
      while (Date.now() < deadline && process.ppid === parent)
        Atomics.wait(sleeper, 0, 0, 100);
      process.exit(0);
    });
  });
}

/**
 * A stand-in for dns.lookup() that fails the way the real one does when
 * getaddrinfo() fails, with the same code, errno and syscall, without asking
 * any name server. net.connect() takes it as its `lookup` option.
 */
function failingLookup(
  code: 'ENOTFOUND' | 'EAI_AGAIN',
  errno: number,
): net.LookupFunction {
  // exercise(fail-like-getaddrinfo): Call back (on a later tick, as a real lookup does)
  //   with an error carrying code, errno, syscall 'getaddrinfo' and hostname.
  return (hostname, _options, callback) => {
    const error = Object.assign(new Error(`getaddrinfo ${code} ${hostname}`), {
      code,
      errno,
      syscall: 'getaddrinfo',
      hostname,
    });
    process.nextTick(() => callback(error, '', 4));
  };
  // end exercise
}

async function connectToUnknownHost(
  code: 'ENOTFOUND' | 'EAI_AGAIN',
  errno: number,
  realFailure: string,
): Promise<Outcome> {
  const address = formatAddress(UNKNOWN_HOST, SOME_PORT);
  say(
    'client',
    `connect to ${address}, resolving the name with a stand-in for dns.lookup()`,
  );
  const client = net.createConnection({
    host: UNKNOWN_HOST,
    port: SOME_PORT,
    lookup: failingLookup(code, errno),
  });
  try {
    await once(client, 'connect');
    say('client', `connected to ${address}?`);
    client.destroy();
    return { address };
  } catch (error) {
    showError('client', "'error' event", error);
    say(
      'server',
      'none: without an address no SYN was sent, and the stand-in asked nobody',
    );
    say('resolver', realFailure);
    return { error, address };
  }
}

export function provokeHostNotFound(): Promise<Outcome> {
  return connectToUnknownHost(
    'ENOTFOUND',
    -3008, // UV_EAI_NONAME: Node reports "no such name" as ENOTFOUND
    'for real, getaddrinfo() asks the name servers, which answer that the name does not exist (NXDOMAIN)',
  );
}

export function provokeLookupTimedOut(): Promise<Outcome> {
  return connectToUnknownHost(
    'EAI_AGAIN',
    -3001, // UV_EAI_AGAIN
    'for real, getaddrinfo() got no answer from any name server in time (no network, or a resolver that is down): a temporary failure, so trying later may work',
  );
}

// Lesson 06: errors on a connection that exists. ECONNRESET and EPIPE come
// from the kernel (the peer reset or left); ERR_STREAM_WRITE_AFTER_END,
// ERR_STREAM_DESTROYED and ERR_SOCKET_CLOSED come from Node itself, for a
// write the program should not have made: the kernel never sees those.

import net from 'node:net';
import { once } from 'node:events';
import { peerAddress, serverAddress } from '../../shared/address.ts';
import { formatBytes } from '../../shared/bytes.ts';
import {
  closeEvent,
  closed,
  say,
  showError,
  write,
  type Outcome,
} from './transcript.ts';

const HOST = '127.0.0.1';
const MESSAGE = 'hello';
/** Writes the EPIPE client tries before giving up; the second one fails on loopback. */
const MAX_WRITES = 5;

/** A server on a free loopback port, started the way every lesson starts one. */
async function listen(options: net.ServerOpts = {}): Promise<net.Server> {
  const server = net.createServer(options);
  server.listen(0, HOST);
  await once(server, 'listening');
  say('server', `listening on ${serverAddress(server)}`);
  return server;
}

/** Connects a client and returns it with the server's side of the same connection. */
async function connectPair(server: net.Server): Promise<[net.Socket, net.Socket]> {
  const { port } = server.address() as net.AddressInfo;
  const client = net.createConnection({ host: HOST, port });
  const [[connection]] = (await Promise.all([
    once(server, 'connection'),
    once(client, 'connect'),
  ])) as [[net.Socket], unknown[]];
  say('client', `connected from ${peerAddress(connection)}`);
  return [client, connection];
}

async function stop(server: net.Server): Promise<void> {
  server.close();
  await once(server, 'close');
}

export async function provokeConnectionReset(): Promise<Outcome> {
  // pauseOnConnect: the server takes each connection but reads nothing until
  // told to, so what the client sends waits in the server's receive queue.
  const server = await listen({ pauseOnConnect: true });
  try {
    say('road 1', 'the server closes with bytes it never read');
    const [client, connection] = await connectPair(server);
    const clientClosed = closed(client);
    const serverClosed = closeEvent(connection);
    await write(client, MESSAGE);
    say('client', `sent ${formatBytes(MESSAGE)}`);
    // exercise(reset-with-unread-data): Close the server's side of the connection at
    //   once, without reading what the client sent.
    connection.destroy();
    // end exercise
    say(
      'server',
      `closed without reading the ${MESSAGE.length} bytes: its kernel sends RST, not FIN`,
    );
    const first = await clientClosed;
    if (first === undefined)
      say('client', "'close' event with no error: a clean close (FIN)");
    else showError('client', "'error' event", first);
    connection.destroy();
    const hadError = await serverClosed;
    say(
      'server',
      `'close' event, ${hadError ? 'with' : 'no'} error: the side that resets is told nothing`,
    );

    say('road 2', 'the server reads everything, then calls resetAndDestroy()');
    const [client2, connection2] = await connectPair(server);
    const client2Closed = closed(client2);
    const server2Closed = closeEvent(connection2);
    await write(client2, MESSAGE);
    const data = once(connection2, 'data');
    connection2.resume();
    const [chunk] = (await data) as [Buffer];
    say(
      'server',
      `read ${formatBytes(chunk)}, then resetAndDestroy(): RST at once, on purpose`,
    );
    connection2.resetAndDestroy();
    const second = await client2Closed;
    if (second === undefined)
      say('client', "'close' event with no error: a clean close (FIN)");
    else showError('client', "'error' event", second);
    const hadError2 = await server2Closed;
    say('server', `'close' event, ${hadError2 ? 'with' : 'no'} error`);

    const address = serverAddress(server);
    if (
      second === undefined ||
      (first !== undefined && codeOf(second) !== codeOf(first))
    )
      return { error: second, address };
    return { error: first, address };
  } finally {
    await stop(server);
  }
}

function codeOf(error: unknown): unknown {
  return (error as { code?: unknown } | undefined)?.code;
}

export async function provokeBrokenPipe(): Promise<Outcome> {
  const server = await listen();
  server.on('connection', (connection) => {
    say(
      'server',
      `accepted ${peerAddress(connection)} and closed it at once: its socket is gone`,
    );
    connection.destroy();
  });
  const { port } = server.address() as net.AddressInfo;
  try {
    // exercise(keep-writing-after-fin): Connect to the server so that our writing side
    //   stays open after the server's FIN arrives.
    // allowHalfOpen: when the server's FIN arrives, Node leaves our side open
    // (a program busy writing may not have read it yet), so writes still go out.
    const client = net.createConnection({ host: HOST, port, allowHalfOpen: true });
    // end exercise
    const clientClosed = closed(client);
    await once(client, 'connect');
    client.resume();
    await once(client, 'end');
    say(
      'client',
      "'end' event: the server sent FIN; our side is still open, so we write",
    );
    let error: unknown;
    for (let attempt = 1; attempt <= MAX_WRITES && error === undefined; attempt++) {
      const bytes = `ping ${attempt}`;
      try {
        await write(client, bytes);
        say('client', `wrote ${formatBytes(bytes)}: our kernel sent it`);
        say('server', 'its kernel has no socket for those bytes and answers RST');
      } catch (caught) {
        error = caught;
        showError('client', `write ${formatBytes(bytes)}: 'error' event`, caught);
      }
    }
    client.destroy();
    await clientClosed;
    return { error, address: serverAddress(server) };
  } finally {
    await stop(server);
  }
}

/**
 * The server side of the Node-side mistakes: it logs what arrives and the
 * close. The function it returns waits until every connection has closed.
 */
function logWhatArrives(server: net.Server): () => Promise<unknown> {
  const closes: Array<Promise<unknown>> = [];
  server.on('connection', (connection) => {
    connection.on('data', (data: Buffer) =>
      say('server', `received ${formatBytes(data)}`),
    );
    connection.on('end', () => say('server', "'end' event: the client sent FIN"));
    connection.on('error', (error) => showError('server', "'error' event", error));
    closes.push(closeEvent(connection).then(() => say('server', "'close' event")));
  });
  return () => Promise.all(closes);
}

export async function provokeWriteAfterEnd(): Promise<Outcome> {
  const server = await listen();
  const serverClosed = logWhatArrives(server);
  try {
    const [client] = await connectPair(server);
    const clientClosed = closed(client);
    let error: unknown;
    // Without an 'error' listener, this error would end the program with a stack trace.
    client.once('error', (caught) => showError('client', "'error' event", caught));
    client.end('bye');
    say('client', "end('bye'): the last bytes, then FIN: our writing side is finished");
    client.write('one more', (caught) => {
      error = caught ?? undefined;
      say(
        'client',
        `write('one more') refused by Node: its callback got ${String(codeOf(caught))}`,
      );
    });
    await clientClosed;
    say('client', "the kernel never saw 'one more', so no syscall is named");
    await serverClosed();
    return { error, address: serverAddress(server) };
  } finally {
    await stop(server);
  }
}

export async function provokeWriteAfterDestroy(): Promise<Outcome> {
  const server = await listen();
  const serverClosed = logWhatArrives(server);
  try {
    const [client] = await connectPair(server);
    const clientClosed = closed(client);
    let error: unknown;
    client.destroy();
    say('client', 'destroy(): the socket is closed at once, in both directions');
    client.write('late', (caught) => {
      error = caught ?? undefined;
      say(
        'client',
        `write('late') refused by Node: its callback got ${String(codeOf(caught))}`,
      );
    });
    await clientClosed;
    say(
      'client',
      "no 'error' event this time: without a callback the write is lost silently",
    );
    await serverClosed();
    return { error, address: serverAddress(server) };
  } finally {
    await stop(server);
  }
}

export async function provokeSocketClosed(): Promise<Outcome> {
  const server = await listen();
  const serverClosed = logWhatArrives(server);
  const { port } = server.address() as net.AddressInfo;
  try {
    // The mistake: a socket made with new net.Socket() is not connected until
    // connect() is called, so there is nowhere to write to yet.
    const early = new net.Socket();
    const earlyClosed = closed(early);
    let error: unknown;
    early.write(MESSAGE, (caught) => (error = caught ?? undefined));
    await earlyClosed;
    showError('client', `write() before connect(): refused by Node`, error);
    say('server', 'nothing arrived: no connection was ever made');

    // The fix: connect first. A write right after connect() is fine: Node
    // keeps it until the handshake is done.
    const client = new net.Socket();
    const arrived = new Promise((resolve) => server.once('connection', resolve));
    client.connect(port, HOST);
    await write(client, MESSAGE);
    say('client', `connect(), then write(): sent ${formatBytes(MESSAGE)}`);
    await arrived;
    client.end();
    await closed(client);
    await serverClosed();
    return { error, address: serverAddress(server) };
  } finally {
    await stop(server);
  }
}

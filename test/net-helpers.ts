// Raw sockets for the checks: a test talks to a lesson program directly when it
// needs exact bytes, odd timing or misbehaviour that the lesson's own client never shows.

import net from 'node:net';
import { once } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { onTestFinished } from 'vitest';

const READ_TIMEOUT_MS = 10_000;
/** The pause between a stand-in server's pieces: long enough for the client to read each alone. */
export const PIECE_PAUSE_MS = 50;

/**
 * Writes `pieces` one write each, waiting until each has left before a short
 * pause, so the peer gets them in separate reads (a client that stops after its
 * first read has printed by then, and misses the rest). False if the socket
 * was destroyed before every piece was written.
 */
export async function writeInPieces(
  socket: net.Socket,
  pieces: readonly (Buffer | string)[],
): Promise<boolean> {
  for (const [index, piece] of pieces.entries()) {
    if (index > 0) await delay(PIECE_PAUSE_MS);
    if (socket.destroyed) return false;
    await new Promise((resolve) => socket.write(piece, resolve));
  }
  return true;
}

/** Connects to a server under test, failing with a clear message if nothing listens. */
export async function connectRaw(port: number, host = '127.0.0.1'): Promise<net.Socket> {
  const socket = net.createConnection({ host, port });
  await once(socket, 'connect');
  return socket;
}

/**
 * A client that sends `bytes` and never reads: it is paused before anything
 * arrives, so what the server answers piles up in the kernel and then in the
 * server. Its errors (the server cutting it off) are expected and ignored.
 * `peer` is its address as the server logs it.
 */
export async function connectNonReader(
  port: number,
  bytes: Uint8Array,
): Promise<{ socket: net.Socket; peer: string }> {
  const socket = await connectRaw(port);
  socket.on('error', () => {});
  socket.pause();
  socket.write(bytes);
  return { socket, peer: `127.0.0.1:${socket.localPort}` };
}

/**
 * A port on `host` where nothing listens, so a connection to it is refused, and
 * where nothing can start listening until the check ends. A port that was only
 * closed could be taken at once by another check's server on port 0 (the
 * checks run side by side), and a connection meant to be refused would then
 * reach that server. So the port is the local end of a live connection: the
 * kernel refuses connections to it (no listener) and will not let anyone bind
 * it. The connection and its server are closed when the check finishes.
 */
export async function closedPort(host = '127.0.0.1'): Promise<number> {
  const accepted: net.Socket[] = [];
  const holder = net.createServer((socket) => {
    socket.on('error', () => {});
    accepted.push(socket);
  });
  holder.listen(0, host);
  await once(holder, 'listening');
  const { port: holderPort } = holder.address() as net.AddressInfo;
  const held = net.createConnection({ host, port: holderPort });
  held.on('error', () => {});
  onTestFinished(async () => {
    const closed = once(holder, 'close');
    holder.close();
    held.destroy();
    for (const socket of accepted) socket.destroy();
    await closed;
  });
  await once(held, 'connect');
  if (held.localPort === undefined)
    throw new Error('closedPort: the holding connection has no port');
  return held.localPort;
}

/**
 * A port on `host` that a listening server (in this test process) holds until the
 * check finishes: a program told to listen there must fail with EADDRINUSE.
 */
export async function takenPort(host = '127.0.0.1'): Promise<number> {
  const holder = net.createServer((socket) => socket.destroy());
  holder.listen(0, host);
  await once(holder, 'listening');
  onTestFinished(async () => {
    const closed = once(holder, 'close');
    holder.close();
    await closed;
  });
  return (holder.address() as net.AddressInfo).port;
}

/**
 * Reads everything until the peer's FIN; fails on a reset, on a close without
 * FIN (also one that came before this was called), or if the FIN takes longer
 * than `timeoutMs`.
 */
export async function readUntilClose(
  socket: net.Socket,
  timeoutMs = READ_TIMEOUT_MS,
): Promise<Buffer> {
  // A socket already reset or closed will never emit 'end': say so now rather than hang.
  if (socket.destroyed && !socket.readableEnded)
    throw socket.errored ?? new Error('the connection was already closed, without a FIN');
  const chunks: Buffer[] = [];
  const received = () => chunks.reduce((sum, chunk) => sum + chunk.length, 0);
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise<Buffer>((resolve, reject) => {
    const timer = setTimeout(() => {
      const error = new Error(
        `peer did not close within ${timeoutMs} ms (received ${received()} bytes)`,
      );
      reject(error);
      socket.destroy(error);
    }, timeoutMs);
    socket.once('end', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    // After 'end' this changes nothing; without it, the connection ended some other way.
    socket.once('close', () => {
      clearTimeout(timer);
      reject(
        socket.errored ??
          new Error(`the connection closed without a FIN (received ${received()} bytes)`),
      );
    });
    if (socket.readableEnded) {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    }
  });
}

/** Reads until at least `length` bytes have arrived (they may come in any number of pieces). */
export async function readBytes(
  socket: net.Socket,
  length: number,
  timeoutMs = READ_TIMEOUT_MS,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let received = 0;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => done(new Error(`expected ${length} bytes within ${timeoutMs} ms, got ${received}`)),
      timeoutMs,
    );
    const onData = (chunk: Buffer) => {
      chunks.push(chunk);
      received += chunk.length;
      if (received >= length) done();
    };
    const onEnd = () => done(new Error(`peer closed after ${received} of ${length} bytes`));
    const done = (error?: Error) => {
      clearTimeout(timer);
      socket.off('data', onData).off('end', onEnd).off('error', done);
      socket.pause();
      if (error) reject(error);
      else resolve(Buffer.concat(chunks));
    };
    socket.on('data', onData).on('end', onEnd).on('error', done);
    socket.resume();
  });
}

/** Connects, sends `payload`, half-closes, and returns every byte the server sent back. */
export async function exchange(
  port: number,
  payload: Uint8Array,
  host = '127.0.0.1',
): Promise<Buffer> {
  const socket = await connectRaw(port, host);
  const reply = readUntilClose(socket);
  socket.end(payload);
  return reply;
}

/** Whether this machine has IPv6 loopback (some containers do not): checks that need ::1 skip without it. */
export function hasIPv6Loopback(): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(0, '::1', () => probe.close(() => resolve(true)));
  });
}

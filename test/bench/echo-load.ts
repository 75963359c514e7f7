// Load generator for the lesson 02 echo server, run in its own process by
// test/bench/run.ts so it does not share an event loop with the server it measures.
//   echo-load.ts <host> <port> <connections> <seconds> throughput|latency
// Prints one JSON line with its figures. Every loop is bounded by time.

import net from 'node:net';
import { once } from 'node:events';
import { percentile } from './stats.ts';

const [
  host = '127.0.0.1',
  portText = '0',
  connectionsText = '1',
  secondsText = '1',
  mode = 'throughput',
] = process.argv.slice(2);
const port = Number(portText);
const connections = Number(connectionsText);
const durationMs = Number(secondsText) * 1000;

const BLOCK = Buffer.alloc(16 * 1024, 'x');
const PING = Buffer.alloc(32, 'p');

async function openAll(): Promise<net.Socket[]> {
  const sockets: net.Socket[] = [];
  // Open in batches so 1,000 connects do not overflow the listen backlog.
  for (let start = 0; start < connections; start += 100) {
    const batch = Array.from({ length: Math.min(100, connections - start) }, async () => {
      const socket = net.createConnection({ host, port });
      socket.setNoDelay(true);
      await once(socket, 'connect');
      return socket;
    });
    sockets.push(...(await Promise.all(batch)));
  }
  return sockets;
}

async function throughput(sockets: net.Socket[]): Promise<object> {
  let received = 0;
  let running = true;
  const drive = (socket: net.Socket) =>
    new Promise<void>((resolve) => {
      socket.on('data', (chunk: Buffer) => {
        received += chunk.length;
      });
      socket.on('error', () => resolve());
      const pump = () => {
        while (running && socket.write(BLOCK));
        if (running) socket.once('drain', pump);
        else resolve();
      };
      pump();
    });
  const started = performance.now();
  const done = Promise.all(sockets.map(drive));
  await new Promise((resolve) => setTimeout(resolve, durationMs));
  running = false;
  const seconds = (performance.now() - started) / 1000;
  const echoed = received;
  sockets.forEach((socket) => socket.emit('drain'));
  await Promise.race([done, new Promise((resolve) => setTimeout(resolve, 1000))]);
  return {
    mode,
    connections,
    seconds,
    bytesEchoed: echoed,
    megabytesPerSecond: echoed / 1e6 / seconds,
  };
}

async function latency(sockets: net.Socket[]): Promise<object> {
  const samples: number[] = [];
  const deadline = performance.now() + durationMs;
  const MAX_SAMPLES = 200_000;
  const pingPong = async (socket: net.Socket) => {
    let pending = 0;
    let sentAt: number;
    let wake: (() => void) | undefined;
    socket.on('data', (chunk: Buffer) => {
      pending -= chunk.length;
      if (pending <= 0) wake?.();
    });
    while (performance.now() < deadline && samples.length < MAX_SAMPLES) {
      pending = PING.length;
      sentAt = performance.now();
      const back = new Promise<void>((resolve) => (wake = resolve));
      socket.write(PING);
      await back;
      samples.push(performance.now() - sentAt);
    }
  };
  await Promise.all(sockets.map(pingPong));
  samples.sort((a, b) => a - b);
  return {
    mode,
    connections,
    roundTrips: samples.length,
    p50Ms: percentile(samples, 0.5),
    p99Ms: percentile(samples, 0.99),
  };
}

const sockets = await openAll();
const result = mode === 'latency' ? await latency(sockets) : await throughput(sockets);
sockets.forEach((socket) => socket.destroy());
console.log(JSON.stringify(result));
process.exit(0);

// Load generator for the lesson 09 persistent server, run in its own process by
// test/bench/run.ts. Each of <clients> workers keeps one connection and sends
// searches on it until <seconds> have passed: one at a time (sequential), or
// <depth> at once before reading their answers (pipelined).
//   persistent-load.ts <host> <port> <clients> <seconds> <sequential|pipelined> [depth]
// Prints one JSON line: requests per second and latency percentiles.

import net from 'node:net';
import { once } from 'node:events';
import { MessageDecoder } from '../../lessons/03-framing/frame.ts';
import { searchRequest } from '../../lessons/09-persistent/protocol.ts';
import { percentile } from './stats.ts';

const [
  host = '127.0.0.1',
  portText = '0',
  clientsText = '1',
  secondsText = '1',
  mode = 'sequential',
  depthText = '16',
] = process.argv.slice(2);
const port = Number(portText);
const clients = Number(clientsText);
const durationMs = Number(secondsText) * 1000;
const depth = mode === 'pipelined' ? Number(depthText) : 1;
const EXPECTED = 'Follow the white rabbit. 🐰';
const MAX_REQUESTS = 2_000_000;

const latencies: number[] = [];
let failures = 0;
const deadline = performance.now() + durationMs;

/** One worker: one connection, batches of `depth` requests, each batch answered before the next. */
async function worker(): Promise<void> {
  const socket = net.createConnection({ host, port });
  socket.setNoDelay(true);
  await once(socket, 'connect');
  const decoder = new MessageDecoder();
  let waiting: ((count: number) => void) | undefined;
  let answered = 0;
  socket.on('data', (chunk: Buffer) => {
    for (const message of decoder.push(chunk)) {
      const { result } = JSON.parse(message.content.toString('utf8')) as { result: string };
      if (result !== EXPECTED) failures++;
      answered++;
    }
    waiting?.(answered);
  });
  const closed = once(socket, 'close');
  // Built once: ids 1 to depth in every batch, so building requests costs nothing per round.
  const batch = Buffer.concat(
    Array.from({ length: depth }, (_, i) =>
      searchRequest('morpheus', { 'keep-alive': true, 'request-id': i + 1 }),
    ),
  );
  while (performance.now() < deadline && latencies.length < MAX_REQUESTS && !socket.destroyed) {
    const target = answered + depth;
    const sentAt = performance.now();
    socket.write(batch);
    const done = await Promise.race([
      new Promise<boolean>((resolve) => {
        waiting = (count) => count >= target && resolve(true);
      }),
      closed.then(() => false),
    ]);
    if (!done) {
      failures++;
      break;
    }
    const elapsed = performance.now() - sentAt;
    for (let i = 0; i < depth; i++) latencies.push(elapsed);
  }
  socket.end();
  await closed;
}

const started = performance.now();
await Promise.all(Array.from({ length: clients }, () => worker().catch(() => failures++)));
const seconds = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
console.log(
  JSON.stringify({
    clients,
    mode,
    depth,
    seconds,
    requests: latencies.length,
    failures,
    requestsPerSecond: latencies.length / seconds,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
  }),
);

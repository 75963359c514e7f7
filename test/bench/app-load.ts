// Load generator for the lesson 04 application server, run in its own process by
// test/bench/run.ts. Each of <clients> workers sends one search per connection
// (the protocol's rule), again and again, until <seconds> have passed.
//   app-load.ts <host> <port> <clients> <seconds>
// Prints one JSON line: requests per second and latency percentiles.

import net from 'node:net';
import { encodeJson, encodeMessage, MessageDecoder } from '../../lessons/03-framing/frame.ts';
import { percentile } from './stats.ts';

const [host = '127.0.0.1', portText = '0', clientsText = '1', secondsText = '1'] =
  process.argv.slice(2);
const port = Number(portText);
const clients = Number(clientsText);
const durationMs = Number(secondsText) * 1000;

const REQUEST = encodeMessage({
  contentType: 'text/json',
  contentEncoding: 'utf-8',
  content: encodeJson({ action: 'search', value: 'morpheus' }),
});
const EXPECTED = 'Follow the white rabbit. 🐰';

function oneRequest(): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.createConnection({ host, port });
    const decoder = new MessageDecoder();
    let answered = false;
    socket.on('connect', () => socket.write(REQUEST));
    socket.on('data', (chunk: Buffer) => {
      for (const message of decoder.push(chunk)) {
        const { result } = JSON.parse(message.content.toString('utf8')) as { result: string };
        if (result !== EXPECTED) reject(new Error(`unexpected answer: ${result}`));
        answered = true;
      }
    });
    socket.on('error', reject);
    socket.on('close', () =>
      answered ? resolve() : reject(new Error('closed without an answer')),
    );
  });
}

const latencies: number[] = [];
let failures = 0;
const deadline = performance.now() + durationMs;
const MAX_REQUESTS = 500_000;
const started = performance.now();
await Promise.all(
  Array.from({ length: clients }, async () => {
    while (performance.now() < deadline && latencies.length < MAX_REQUESTS) {
      const sentAt = performance.now();
      try {
        await oneRequest();
        latencies.push(performance.now() - sentAt);
      } catch {
        failures++;
      }
    }
  }),
);
const seconds = (performance.now() - started) / 1000;
latencies.sort((a, b) => a - b);
console.log(
  JSON.stringify({
    clients,
    seconds,
    requests: latencies.length,
    failures,
    requestsPerSecond: latencies.length / seconds,
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
  }),
);

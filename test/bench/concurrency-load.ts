// Load generator for the lesson 11 servers, run in its own process by
// test/bench/run.ts. <workClients> connections send `work <rounds>` back to back
// while one more connection sends a ping every PING_GAP_MS and times each answer,
// all for <seconds>: how long a ping waits while the server computes, and how
// many work requests it completes per second.
//   concurrency-load.ts <host> <port> <workClients> <seconds> <rounds>
// Prints one JSON line.

import net from 'node:net';
import { once } from 'node:events';
import { percentile } from './stats.ts';

const [
  host = '127.0.0.1',
  portText = '0',
  clientsText = '2',
  secondsText = '2',
  roundsText = '75000',
] = process.argv.slice(2);
const port = Number(portText);
const workClients = Number(clientsText);
const durationMs = Number(secondsText) * 1000;
const rounds = Number(roundsText);
/** Pings are spaced, so the pinger measures the server without adding much load itself. */
const PING_GAP_MS = 5;

/** One connection that sends a line and waits for the answer line. */
async function connect(): Promise<(request: string) => Promise<string>> {
  const socket = net.createConnection({ host, port });
  socket.setNoDelay(true);
  await once(socket, 'connect');
  socket.setEncoding('utf8');
  let buffered = '';
  let waiting: ((line: string) => void) | undefined;
  socket.on('data', (text: string) => {
    buffered += text;
    const end = buffered.indexOf('\n');
    if (end === -1) return;
    const line = buffered.slice(0, end);
    buffered = buffered.slice(end + 1);
    waiting?.(line);
  });
  return (request) =>
    new Promise((resolve) => {
      waiting = resolve;
      socket.write(`${request}\n`);
    });
}

const pinger = await connect();
const workers = await Promise.all(Array.from({ length: workClients }, () => connect()));
// Warm-up: every connection answered once (threads and processes started, code compiled).
await Promise.all([pinger('ping'), ...workers.map((ask) => ask(`work ${rounds}`))]);

let workDone = 0;
let failures = 0;
const pings: number[] = [];
const started = performance.now();
const deadline = started + durationMs;
const expected = new RegExp(`^work ${rounds}: [0-9a-f]{64}$`);

async function sendWork(ask: (request: string) => Promise<string>): Promise<void> {
  while (performance.now() < deadline) {
    const answer = await ask(`work ${rounds}`);
    if (expected.test(answer)) workDone++;
    else failures++;
  }
}

async function sendPings(): Promise<void> {
  while (performance.now() < deadline) {
    const sentAt = performance.now();
    const answer = await pinger('ping');
    pings.push(performance.now() - sentAt);
    if (answer !== 'pong') failures++;
    await new Promise((resolve) => setTimeout(resolve, PING_GAP_MS));
  }
}

await Promise.all([sendPings(), ...workers.map((ask) => sendWork(ask))]);
const seconds = (performance.now() - started) / 1000;
pings.sort((a, b) => a - b);
console.log(
  JSON.stringify({
    workClients,
    rounds,
    seconds,
    workDone,
    workPerSecond: workDone / seconds,
    pings: pings.length,
    failures,
    p50Ms: percentile(pings, 0.5),
    p99Ms: percentile(pings, 0.99),
    maxMs: pings.at(-1) ?? Number.NaN,
  }),
);
// The connections are still open; the server sees them close as the process ends.
process.exit(0);

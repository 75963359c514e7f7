// Lesson 11: the load client. It opens --clients connections at once; on each,
// --requests requests go out one after the other, every --work-every-th a
// `work` and the others pings, each timed from write to answer. Then it prints
// the pings' round trips (p50, p99, max) and the requests per second, so one
// command shows the difference between the four servers.
// The tutorial's multiconn-client, with timing. Run:
// npx tsx lessons/11-concurrency/load-client.ts <host> <port> [--clients N] [--requests N] [--work-every K] [--rounds N]

import net from 'node:net';
import { once } from 'node:events';
import { formatAddress } from '../../shared/address.ts';
import { parseArgsOrExit } from '../../shared/args.ts';
import { escapeText, plural, shortenText } from '../../shared/bytes.ts';
import { exitWithSocketError } from '../../shared/socket-errors.ts';
import { DEFAULT_ROUNDS, LineSplitter } from './service.ts';

const args = parseArgsOrExit({
  program: 'load-client.ts',
  summary:
    'Sends pings and work requests from several connections at once and times the pings.',
  positionals: [
    { name: 'host', kind: 'host', help: 'the server to load, e.g. 127.0.0.1' },
    { name: 'port', kind: 'port', help: "the server's port" },
  ],
  options: {
    clients: {
      kind: 'count',
      valueName: 'N',
      default: '4',
      help: 'connections open at once',
    },
    requests: {
      kind: 'count',
      valueName: 'N',
      default: '10',
      help: 'requests each connection sends, one after the other',
    },
    'work-every': {
      kind: 'count',
      valueName: 'K',
      default: '5',
      help: 'every K-th request is a work request, the others pings',
    },
    rounds: {
      kind: 'count',
      valueName: 'N',
      default: String(DEFAULT_ROUNDS),
      help: 'how many hash rounds each work request asks for',
    },
  },
});
const { host, port, clients, requests, rounds } = args;
const workEvery = args['work-every'];
const address = formatAddress(host, port);

const pingTimes: number[] = [];
const workTimes: number[] = [];
const wrong: string[] = [];

/** One connection: its requests one at a time, each answer awaited before the next request. */
async function runClient(index: number): Promise<void> {
  const socket = net.createConnection({ host, port });
  await once(socket, 'connect');
  socket.setNoDelay(true);
  const splitter = new LineSplitter();
  const lines: string[] = [];
  let wake: (() => void) | undefined;
  socket.on('data', (chunk: Buffer) => {
    lines.push(...splitter.push(chunk));
    wake?.();
  });
  const ended = once(socket, 'end');
  const nextLine = async (): Promise<string> => {
    while (lines.length === 0) {
      const arrived = new Promise<void>((resolve) => (wake = resolve));
      const stillOpen = await Promise.race([
        arrived.then(() => true),
        ended.then(() => false),
      ]);
      if (!stillOpen && lines.length === 0)
        throw new Error(`${address} closed the connection before answering`);
    }
    return lines.shift() ?? '';
  };

  for (let sent = 0; sent < requests; sent++) {
    // Shifted by the client's number, so the clients' work requests do not all come at once.
    const isWork = (sent + index) % workEvery === workEvery - 1;
    const request = isWork ? `work ${rounds}` : 'ping';
    const sentAt = performance.now();
    socket.write(`${request}\n`);
    const answer = await nextLine();
    (isWork ? workTimes : pingTimes).push(performance.now() - sentAt);
    const expected = isWork ? new RegExp(`^work ${rounds}: [0-9a-f]{64}$`) : /^pong$/;
    if (!expected.test(answer))
      wrong.push(`to "${request}" came "${escapeText(shortenText(answer, 80))}"`);
  }
  socket.end();
  await once(socket, 'close');
}

/** The value below which a fraction `q` of the sorted times fall (0.5: the median). */
function percentile(sorted: readonly number[], q: number): string {
  const value = sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return value === undefined ? 'n/a' : `${value.toFixed(2)} ms`;
}

const every = workEvery === 1 ? 'each' : `1 in ${workEvery}`;
console.log(
  `Starting ${plural(clients, 'client')} to ${address}: ${plural(requests, 'request')} each, ${every} a work of ${rounds} rounds`,
);
const started = performance.now();
try {
  await Promise.all(Array.from({ length: clients }, (_, index) => runClient(index)));
} catch (error) {
  exitWithSocketError(error, { address });
}
const seconds = (performance.now() - started) / 1000;

pingTimes.sort((a, b) => a - b);
workTimes.sort((a, b) => a - b);
if (pingTimes.length > 0)
  console.log(
    `Ping round trip: p50 ${percentile(pingTimes, 0.5)}, p99 ${percentile(pingTimes, 0.99)}, max ${percentile(pingTimes, 1)} (${plural(pingTimes.length, 'ping')})`,
  );
if (workTimes.length > 0)
  console.log(
    `Work round trip: p50 ${percentile(workTimes, 0.5)}, max ${percentile(workTimes, 1)} (${plural(workTimes.length, 'work request')})`,
  );
const total = pingTimes.length + workTimes.length;
console.log(
  `${plural(total, 'request')} in ${seconds.toFixed(2)} s: ${(total / seconds).toFixed(1)} requests/s`,
);
if (wrong.length > 0) {
  process.stderr.write(
    `Error: ${plural(wrong.length, 'answer')} wrong, the first: ${wrong[0]}\n`,
  );
  process.exit(1);
}

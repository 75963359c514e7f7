// Lesson 11: the same service run by several processes that share one port
// (node:cluster). The primary process starts the workers; each worker runs this
// file again and serves its share of the connections on its own event loop, as
// loop-server.ts does, so a busy worker holds up only its own clients.
// The lecture's "forking" option as Node does it: each worker is a new Node process.
// Run: npx tsx lessons/11-concurrency/cluster-server.ts <host> <port> [--workers N]

import cluster, { type Worker } from 'node:cluster';
import net from 'node:net';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { formatAddress, peerAddress, serverAddress } from '../../shared/address.ts';
import { parseArgsOrExit } from '../../shared/args.ts';
import { plural } from '../../shared/bytes.ts';
import { onShutdownSignal, SHUTDOWN_GRACE_MS } from '../../shared/shutdown.ts';
import { exitWithSocketError, explainSocketError } from '../../shared/socket-errors.ts';
import { Connection, stopServing, workLabel, type Log } from './connection.ts';
import { work } from './service.ts';

// cluster.fork() runs this file again with the same arguments: every worker parses them too.
const { host, port, workers } = parseArgsOrExit({
  program: 'cluster-server.ts',
  summary:
    'Answers ping and work requests with several processes sharing one listening port.',
  positionals: [
    { name: 'host', kind: 'host', help: 'the address to listen on, e.g. 127.0.0.1' },
    { name: 'port', kind: 'port', help: 'the port to listen on (0: any free port)' },
  ],
  options: {
    // Each worker computes on its own core; more workers than cores only take turns.
    workers: {
      kind: 'count',
      valueName: 'N',
      default: String(availableParallelism()),
      help: 'how many worker processes serve connections; by default, one per core',
    },
  },
});

/** Messages between the primary and a worker, over the IPC channel cluster.fork() opens. */
type Message = { kind: 'listening'; address: string } | { kind: 'stop' };

function isMessage(value: unknown): value is Message {
  const kind = (value as { kind?: unknown } | null)?.kind;
  return kind === 'listening' || kind === 'stop';
}

/** How long the primary waits for a stopping worker before it kills it. */
const STOP_TIMEOUT_MS = SHUTDOWN_GRACE_MS + 1_000;

function runPrimary(): void {
  /** Workers alive now; a worker that has listened once is restarted if it dies. */
  const live = new Set<Worker>();
  const listened = new Set<Worker>();
  let announced = false;
  let stopping = false;

  const describe = (worker: Worker) =>
    `Worker ${worker.id} (pid ${worker.process.pid})`;
  const startWorker = () => {
    const worker = cluster.fork();
    live.add(worker);
    worker.on('message', (message: unknown) => {
      if (!isMessage(message) || message.kind !== 'listening') return;
      listened.add(worker);
      console.log(`${describe(worker)} listening`);
      // One worker first: if the port is taken, one error line, not one per worker.
      if (listened.size === 1 && live.size === 1)
        for (let count = 1; count < workers; count++) startWorker();
      if (!announced && listened.size === workers) {
        announced = true;
        console.log(`Listening on ${message.address}`);
      }
    });
    return worker;
  };

  cluster.on('exit', (worker, code, signal) => {
    live.delete(worker);
    const how =
      signal === null ? `exited with code ${code}` : `was killed by ${signal}`;
    console.log(`${describe(worker)} ${how}`);
    if (stopping) return;
    if (!listened.has(worker)) {
      // It never listened: its own error is on stderr. The others cannot do better.
      for (const other of live) other.process.kill();
      process.exit(1);
    }
    const replacement = startWorker();
    console.log(`Starting worker ${replacement.id} in place of worker ${worker.id}`);
  });

  // Ctrl-C in a terminal signals every process of the group, workers included;
  // they ignore it, and the primary tells each one to stop, then waits for all.
  onShutdownSignal((signal) => {
    stopping = true;
    console.log(`${signal}: asking ${plural(live.size, 'worker')} to stop`);
    // exercise(stop-workers): Ask every live worker to stop, and exit only once all
    //   of them have exited; kill a worker that is still there after STOP_TIMEOUT_MS.
    for (const worker of live) worker.send({ kind: 'stop' } satisfies Message);
    const killer = setTimeout(() => {
      for (const worker of live) {
        console.log(
          `${describe(worker)} did not stop within ${STOP_TIMEOUT_MS} ms: killing it`,
        );
        worker.process.kill('SIGKILL');
      }
    }, STOP_TIMEOUT_MS);
    const exitWhenAllGone = () => {
      if (live.size > 0) return;
      clearTimeout(killer);
      console.log('All workers stopped');
      process.exit(0);
    };
    cluster.on('exit', exitWhenAllGone);
    exitWhenAllGone();
    // end exercise
  });
  startWorker();
}

async function runWorker(worker: Worker): Promise<void> {
  const log: Log = (line) => console.log(`[worker ${worker.id}] ${line}`);
  // Ctrl-C reaches this process too; the primary decides when it stops.
  process.on('SIGINT', () => {});

  /** As in loop-server.ts: the work runs here, and blocks this worker's clients only. */
  const runWork = (argument: string, peer: string): string => {
    const label = workLabel(argument, peer);
    log(`${label}: started`);
    const started = performance.now();
    const answer = work(argument);
    log(`${label}: done in ${Math.round(performance.now() - started)} ms`);
    return answer;
  };

  // In a worker, listen() asks the primary for the listening socket. On Linux the
  // primary accepts every connection itself and hands each to a worker in turn
  // (round robin); on Windows the workers share the socket and accept themselves.
  const server = net.createServer({ allowHalfOpen: true });
  const open = new Set<Connection>();
  server.on('connection', (socket) => {
    const peer = peerAddress(socket);
    log(`Accepted connection from ${peer}`);
    const connection = new Connection(socket, peer, runWork, log);
    open.add(connection);
    void connection.closed.then(() => open.delete(connection));
  });

  server.listen(port, host);
  try {
    await once(server, 'listening');
  } catch (error) {
    exitWithSocketError(error, { address: formatAddress(host, port) });
  }
  server.on('error', (error) =>
    log(`Could not accept a connection: ${explainSocketError(error)}`),
  );

  process.on('message', (message: unknown) => {
    if (!isMessage(message) || message.kind !== 'stop') return;
    log(`Stopping: closing ${plural(open.size, 'open connection')}`);
    void stopServing(server, open, log).then(() => process.exit(0));
  });
  worker.send({ kind: 'listening', address: serverAddress(server) } satisfies Message);
}

if (cluster.isPrimary) runPrimary();
else if (cluster.worker !== undefined) await runWorker(cluster.worker);

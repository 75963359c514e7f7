// Lesson 11: the same service, with every `work` request run by a fixed pool of
// worker threads (node:worker_threads). The event loop only reads sockets and
// hands jobs on, so a ping is answered while work runs on another core.
// The tutorial's threaded server in Node terms: threads for the CPU work, not one per client.
// Run: npx tsx lessons/11-concurrency/worker-server.ts <host> <port> [--workers N]

import net from 'node:net';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { formatAddress, peerAddress, serverAddress } from '../../shared/address.ts';
import { parseArgsOrExit } from '../../shared/args.ts';
import { escapeText, plural } from '../../shared/bytes.ts';
import { onShutdownSignal } from '../../shared/shutdown.ts';
import { exitWithSocketError, explainSocketError } from '../../shared/socket-errors.ts';
import { Connection, stopServing, workLabel } from './connection.ts';
import { threadEntry, type ThreadEntry } from './thread-entry.ts';

const args = parseArgsOrExit({
  program: 'worker-server.ts',
  summary: 'Answers ping and work requests; work runs in a pool of worker threads.',
  positionals: [
    { name: 'host', kind: 'host', help: 'the address to listen on, e.g. 127.0.0.1' },
    { name: 'port', kind: 'port', help: 'the port to listen on (0: any free port)' },
  ],
  options: {
    // More threads than cores cannot compute more at once; they only take turns.
    workers: {
      kind: 'count',
      valueName: 'N',
      default: String(availableParallelism()),
      help: 'how many worker threads run work requests; by default, one per core',
    },
  },
});
const { host, port, workers } = args;

/** A work request, waiting for a worker or running on one. */
interface Job {
  argument: string;
  label: string;
  resolve: (answer: string) => void;
  reject: (error: Error) => void;
}

interface PoolWorker {
  number: number;
  thread: Worker;
  job: Job | undefined;
  startedAt: number;
}

/**
 * A fixed number of threads, started once: a thread is a whole V8 instance
 * (tens of milliseconds and several MB to start), too dear to start per request.
 * Jobs beyond the number of threads wait in a queue, so the pool never grows.
 */
class WorkerPool {
  private readonly entry: ThreadEntry;
  private readonly workers = new Set<PoolWorker>();
  private readonly queue: Job[] = [];
  private started = 0;
  private closing = false;

  constructor(size: number, entry: ThreadEntry) {
    this.entry = entry;
    for (let count = 0; count < size; count++) this.startWorker();
  }

  run(argument: string, label: string): Promise<string> {
    return new Promise((resolve, reject) => {
      // exercise(dispatch): Queue the job, then hand queued jobs to idle workers;
      //   when every worker is busy the job waits (log it): the pool never grows.
      this.queue.push({ argument, label, resolve, reject });
      this.dispatch();
      if (this.queue.length > 0)
        console.log(
          `${label}: waiting for a free worker (${this.queue.length} waiting)`,
        );
      // end exercise
    });
  }

  /** Gives queued jobs, oldest first, to the workers that have none. */
  private dispatch(): void {
    for (const worker of this.workers) {
      if (worker.job !== undefined) continue;
      const job = this.queue.shift();
      if (job === undefined) return;
      worker.job = job;
      worker.startedAt = performance.now();
      console.log(`${job.label}: started on worker ${worker.number}`);
      // The argument is copied to the thread: the two share no memory here.
      worker.thread.postMessage(job.argument);
    }
  }

  private startWorker(): PoolWorker {
    this.started += 1;
    const worker: PoolWorker = {
      number: this.started,
      thread: new Worker(this.entry.filename, this.entry.options),
      job: undefined,
      startedAt: 0,
    };
    this.workers.add(worker);
    worker.thread.on('message', (answer: string) => {
      const job = worker.job;
      worker.job = undefined;
      if (job !== undefined) {
        const ms = Math.round(performance.now() - worker.startedAt);
        console.log(`${job.label}: done on worker ${worker.number} in ${ms} ms`);
        job.resolve(answer);
      }
      this.dispatch();
    });
    // exercise(replace-crashed): When a thread dies, fail only the job it was running,
    //   and start a new worker in its place so the pool keeps its size.
    // An exception the thread did not catch ends the thread: 'error', then 'exit'.
    worker.thread.on('error', (error) => {
      // Out of the pool at once, so no new job goes to a thread that is ending.
      this.workers.delete(worker);
      console.log(`Worker ${worker.number} died: ${escapeText(error.message)}`);
      worker.job?.reject(error);
      worker.job = undefined;
    });
    worker.thread.on('exit', (code) => {
      this.workers.delete(worker);
      worker.job?.reject(new Error(`worker ${worker.number} exited with code ${code}`));
      worker.job = undefined;
      if (this.closing) return;
      const replacement = this.startWorker();
      console.log(
        `Started worker ${replacement.number} in place of worker ${worker.number}`,
      );
      this.dispatch();
    });
    // end exercise
    return worker;
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([...this.workers].map((worker) => worker.thread.terminate()));
  }
}

const pool = new WorkerPool(
  workers,
  threadEntry(new URL('./work-thread.ts', import.meta.url)),
);
console.log(`Started ${plural(workers, 'worker thread')}`);

/** Hands a `work` request to the pool; the event loop goes on serving sockets meanwhile. */
function runWork(argument: string, peer: string): Promise<string> {
  return pool.run(argument, workLabel(argument, peer));
}

// allowHalfOpen: a client may send its requests, close its side, and still read the answers.
const server = net.createServer({ allowHalfOpen: true });
const open = new Set<Connection>();

server.on('connection', (socket) => {
  const peer = peerAddress(socket);
  console.log(`Accepted connection from ${peer}`);
  const connection = new Connection(socket, peer, runWork, console.log);
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
  console.log(`Could not accept a connection: ${explainSocketError(error)}`),
);

// Ctrl-C: the connections get the answers their threads are computing, then the threads stop.
onShutdownSignal((signal) => {
  console.log(
    `${signal}: closing the server and ${plural(open.size, 'open connection')}`,
  );
  void stopServing(server, open, console.log)
    .then(() => pool.close())
    .then(() => process.exit(0));
});
console.log(`Listening on ${serverAddress(server)}`);

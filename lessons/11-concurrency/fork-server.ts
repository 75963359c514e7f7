// Lesson 11: the same service, with each connection handed to a child process
// (child_process.fork). This process accepts; then it sends the socket itself
// to a child over the IPC channel, child.send(message, socket), and the child
// reads and writes it as if it had accepted it. The lecture's "forking" server,
// pre-forked: Node cannot copy itself the way fork() does in C or Python, and
// starting a new Node per connection would cost tens of milliseconds each.
// Run: npx tsx lessons/11-concurrency/fork-server.ts <host> <port> [--children N]

import { fork, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { formatAddress, peerAddress, serverAddress } from '../../shared/address.ts';
import { parseArgsOrExit } from '../../shared/args.ts';
import { plural } from '../../shared/bytes.ts';
import { onShutdownSignal, SHUTDOWN_GRACE_MS } from '../../shared/shutdown.ts';
import { exitWithSocketError, explainSocketError } from '../../shared/socket-errors.ts';
import type { ChildMessage, ParentMessage } from './fork-child.ts';

const {
  host,
  port,
  children: childCount,
} = parseArgsOrExit({
  program: 'fork-server.ts',
  summary:
    'Answers ping and work requests; each connection is handed to one of N child processes.',
  positionals: [
    { name: 'host', kind: 'host', help: 'the address to listen on, e.g. 127.0.0.1' },
    { name: 'port', kind: 'port', help: 'the port to listen on (0: any free port)' },
  ],
  options: {
    children: {
      kind: 'count',
      valueName: 'N',
      default: String(availableParallelism()),
      help: 'how many child processes serve connections; by default, one per core',
    },
  },
});

const CHILD_MODULE = fileURLToPath(new URL('./fork-child.ts', import.meta.url));
/** How long this process waits for a stopping child before it kills it. */
const STOP_TIMEOUT_MS = SHUTDOWN_GRACE_MS + 1_000;

interface Child {
  number: number;
  process: ChildProcess;
  /** Resolves when the child has exited. */
  exited: Promise<void>;
}

const live: Child[] = [];
let started = 0;
let stopping = false;

/** Starts a child and resolves once it says it is ready for sockets (a socket sent earlier would be lost). */
async function startChild(): Promise<Child> {
  started += 1;
  const number = started;
  // fork(): a new Node process running fork-child.ts, with an IPC channel to this one.
  const child = fork(CHILD_MODULE, [String(number)]);
  const exited = once(child, 'exit').then(([code, signal]) => {
    const index = live.findIndex((entry) => entry.process === child);
    if (index !== -1) live.splice(index, 1);
    const how =
      signal === null
        ? `exited with code ${String(code)}`
        : `was killed by ${String(signal)}`;
    console.log(`Child ${number} (pid ${child.pid}) ${how}`);
    if (stopping || index === -1) return;
    console.log(`Starting a child in place of child ${number}`);
    void startChild();
  });
  const [message] = (await Promise.race([
    once(child, 'message'),
    exited.then(() => []),
  ])) as [ChildMessage?];
  if (message?.kind !== 'ready') {
    process.stderr.write(`Error: child ${number} exited before it was ready\n`);
    process.exit(1);
  }
  const entry = { number, process: child, exited };
  live.push(entry);
  console.log(`Child ${number} (pid ${child.pid}) ready`);
  return entry;
}

// pauseOnConnect: this process never reads from a connection. The client's
// bytes wait in the kernel until the child that gets the socket reads them.
const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });
let turn = 0;

server.on('connection', (socket) => {
  const peer = peerAddress(socket);
  // exercise(hand-off): Pick the next live child in turn and send it the socket with
  //   child.send(message, socket); Node passes the file descriptor, and closes ours.
  const child = live[turn % live.length];
  turn += 1;
  if (child === undefined) {
    console.log(`No child to serve ${peer}: closing the connection`);
    socket.destroy();
    return;
  }
  console.log(`Accepted connection from ${peer}: handing it to child ${child.number}`);
  child.process.send({ kind: 'connection' } satisfies ParentMessage, socket);
  // end exercise
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
for (let count = 0; count < childCount; count++) await startChild();

// Ctrl-C in a terminal signals every process of the group, children included;
// they ignore it, and this process tells each one to stop, then waits for all.
onShutdownSignal((signal) => {
  stopping = true;
  console.log(
    `${signal}: closing the server and asking ${plural(live.length, 'child process')} to stop`,
  );
  server.close();
  // exercise(stop-children): Ask every live child to stop, and exit only once all of
  //   them have exited; kill a child that is still there after STOP_TIMEOUT_MS.
  const children = [...live];
  for (const child of children)
    child.process.send({ kind: 'stop' } satisfies ParentMessage);
  const killer = setTimeout(() => {
    for (const child of live) {
      console.log(
        `Child ${child.number} did not stop within ${STOP_TIMEOUT_MS} ms: killing it`,
      );
      child.process.kill('SIGKILL');
    }
  }, STOP_TIMEOUT_MS);
  void Promise.all(children.map((child) => child.exited)).then(() => {
    clearTimeout(killer);
    console.log('All child processes stopped');
    process.exit(0);
  });
  // end exercise
});
console.log(`Listening on ${serverAddress(server)}`);

// Lesson 11: the service on the event loop alone, as every server of lessons 02-10
// runs. A `work` request is computed right here, on the one thread that also
// reads every socket: while it runs, no other client is answered, pings included.
// The tutorial's selector-based multiconn-server, with one CPU-bound request added.
// Run: npx tsx lessons/11-concurrency/loop-server.ts <host> <port>

import net from 'node:net';
import { once } from 'node:events';
import { formatAddress, peerAddress, serverAddress } from '../../shared/address.ts';
import { parseArgsOrExit } from '../../shared/args.ts';
import { plural } from '../../shared/bytes.ts';
import { onShutdownSignal } from '../../shared/shutdown.ts';
import { exitWithSocketError, explainSocketError } from '../../shared/socket-errors.ts';
import { Connection, stopServing, workLabel } from './connection.ts';
import { work } from './service.ts';

const { host, port } = parseArgsOrExit({
  program: 'loop-server.ts',
  summary:
    'Answers ping and work requests, all of them on the event loop: work blocks everyone.',
  positionals: [
    { name: 'host', kind: 'host', help: 'the address to listen on, e.g. 127.0.0.1' },
    { name: 'port', kind: 'port', help: 'the port to listen on (0: any free port)' },
  ],
});

/** Runs a `work` request on this thread: nothing else happens in this process until it returns. */
function runWork(argument: string, peer: string): string {
  const label = workLabel(argument, peer);
  console.log(`${label}: started`);
  const started = performance.now();
  // There is no await in here, so the event loop cannot run: sockets that
  // become readable meanwhile wait in the kernel until work() returns.
  const answer = work(argument);
  console.log(`${label}: done in ${Math.round(performance.now() - started)} ms`);
  return answer;
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

onShutdownSignal((signal) => {
  console.log(
    `${signal}: closing the server and ${plural(open.size, 'open connection')}`,
  );
  void stopServing(server, open, console.log).then(() => process.exit(0));
});
console.log(`Listening on ${serverAddress(server)}`);

// Lesson 04: the application server, like the tutorial's app-server.py. Each
// connection gets a ServerMessage that reads one request, answers it and closes;
// a client that breaks the protocol loses its own connection, never the server.
// Run: npx tsx lessons/04-app/app-server.ts <host> <port> [options] (--help lists them)

import net from 'node:net';
import { once } from 'node:events';
import { parseArgsOrExit } from '../../shared/args.ts';
import { formatAddress, peerAddress, serverAddress } from '../../shared/address.ts';
import { plural } from '../../shared/bytes.ts';
import { onShutdownSignal, SHUTDOWN_GRACE_MS } from '../../shared/shutdown.ts';
import { exitWithSocketError, explainSocketError } from '../../shared/socket-errors.ts';
import { DEFAULT_MAX_CONTENT_LENGTH } from '../03-framing/frame.ts';
import { RequestBudget, ServerMessage } from './server-message.ts';

const args = parseArgsOrExit({
  program: 'app-server.ts',
  summary:
    'Answers one request per connection (a search as JSON, anything else as binary), then closes it.',
  positionals: [
    {
      name: 'host',
      kind: 'host',
      help: 'the address to listen on, e.g. 127.0.0.1 or ::1',
    },
    { name: 'port', kind: 'port', help: 'the port to listen on (0: any free port)' },
  ],
  options: {
    // A request announces its own content-length; without a cap, one client
    // could make the server set aside any amount of memory for it.
    'max-content-length': {
      kind: 'count',
      valueName: 'BYTES',
      default: String(DEFAULT_MAX_CONTENT_LENGTH),
      help: 'refuse a request announcing more content than this, before reading it',
    },
    // The cap above is per request; this one is for all requests being read at once.
    'max-buffered': {
      kind: 'count',
      valueName: 'BYTES',
      default: String(64 * 1024 * 1024),
      help: 'refuse a request if the requests being read would then announce more content than this',
    },
    // Every connection is a file descriptor and some memory: beyond this many,
    // new connections are closed as soon as they are accepted.
    'max-connections': {
      kind: 'count',
      valueName: 'COUNT',
      default: '1000',
      help: 'serve at most this many connections at once; more are closed as soon as accepted',
    },
    // An idle timer: a client that connects and goes quiet is closed after this long.
    'idle-timeout': {
      kind: 'seconds',
      valueName: 'SECONDS',
      default: '30',
      help: 'close a connection when no byte has moved either way for this long',
    },
    // A deadline: a client that trickles a byte now and then never looks idle.
    deadline: {
      kind: 'seconds',
      valueName: 'SECONDS',
      default: '60',
      help: 'close a connection whose request and answer are not done this long after it was accepted',
    },
  },
});
const { host, port } = args;
const maxConnections = args['max-connections'];
const options = {
  maxContentLength: args['max-content-length'],
  idleTimeoutSeconds: args['idle-timeout'],
  deadlineSeconds: args.deadline,
  budget: new RequestBudget(args['max-buffered']),
};

// allowHalfOpen: a client may close its sending side once its request is out,
// and still read the answer; without it, Node would close our side too.
const server = net.createServer({ allowHalfOpen: true });
// Past this many open connections, Node closes new ones right after accept()
// and emits 'drop' for each instead of 'connection'.
server.maxConnections = maxConnections;
const open = new Set<ServerMessage>();

// The tutorial's accept_wrapper(): one Message object per accepted connection.
// From here on the event loop drives it; this listener only keeps count.
server.on('connection', (socket) => {
  const peer = peerAddress(socket);
  console.log(`Accepted connection from ${peer}`);
  const message = new ServerMessage(socket, peer, options);
  open.add(message);
  socket.once('close', () => {
    open.delete(message);
    if (refused > 0 && open.size < maxConnections) {
      console.log(
        `Accepting connections again (${plural(refused, 'connection')} refused while full)`,
      );
      refused = 0;
    }
  });
});

// One line when the limit is reached, not one per refused connection: a flood
// of connections must not become a flood of log lines.
let refused = 0;
server.on('drop', () => {
  if (refused === 0)
    console.log(
      `Connection limit of ${maxConnections} reached: refusing new connections (--max-connections)`,
    );
  refused += 1;
});

server.listen(port, host);
try {
  await once(server, 'listening');
} catch (error) {
  exitWithSocketError(error, { address: formatAddress(host, port) });
}
// Past this point an error on the listening socket (accept() failing when the
// process runs out of file descriptors) is logged, and the server goes on.
server.on('error', (error) =>
  console.log(`Could not accept a connection: ${explainSocketError(error)}`),
);

// Ctrl-C or SIGTERM: stop accepting, close connections still reading their
// request, let answers already being written finish for a bounded time, exit 0.
onShutdownSignal(() => {
  server.close();
  // Connections still reading a request are closed now; an answer being
  // written (or a connection already closing) gets the grace period.
  const reading = [...open].filter(
    (message) => message.state !== 'response' && message.state !== 'closed',
  );
  const answering = [...open].filter((message) => message.state === 'response');
  const parts = ['Interrupted: closing the server'];
  if (reading.length > 0 || answering.length === 0)
    parts.push(` and ${plural(reading.length, 'open connection')}`);
  if (answering.length > 0)
    parts.push(
      `, letting ${plural(answering.length, 'answer')} being written finish (up to ${SHUTDOWN_GRACE_MS / 1000} s)`,
    );
  console.log(parts.join(''));
  for (const message of reading) message.close();
  const grace = setTimeout(() => {
    const unfinished = [...open].filter((message) => message.state === 'response');
    if (unfinished.length > 0)
      console.log(
        `Shutdown grace period of ${SHUTDOWN_GRACE_MS / 1000} s is over: closing ${plural(unfinished.length, 'answer')} still being written`,
      );
    // The line above is the reason; each connection still logs its own closing.
    for (const message of open) message.close(undefined, 'now');
    process.exit(0);
  }, SHUTDOWN_GRACE_MS);
  // Each connection leaves `open` when its socket closes; once all have, we are done.
  const exitWhenDone = () => {
    if (open.size > 0) return;
    clearTimeout(grace);
    process.exit(0);
  };
  for (const message of open)
    message.socket.once('close', () => setImmediate(exitWhenDone));
  exitWhenDone();
});
console.log(`Listening on ${serverAddress(server)}`);

// Lesson 04: the application server, like the tutorial's app-server.py. Each
// connection gets a ServerMessage that reads one request, answers it and closes;
// a client that breaks the protocol loses its own connection, never the server.
// Run: npx tsx lessons/04-app/app-server.ts <host> <port> [--max-content-length BYTES] [--idle-timeout SECONDS]

import net from 'node:net';
import { once } from 'node:events';
import { parseArgsOrExit } from '../../shared/args.ts';
import { formatAddress, peerAddress, serverAddress } from '../../shared/address.ts';
import { plural } from '../../shared/bytes.ts';
import { exitWithSocketError, explainSocketError } from '../../shared/socket-errors.ts';
import { DEFAULT_MAX_CONTENT_LENGTH } from '../03-framing/frame.ts';
import { ServerMessage } from './server-message.ts';

const args = parseArgsOrExit({
  program: 'app-server.ts',
  positionals: [
    { name: 'host', kind: 'host' },
    { name: 'port', kind: 'port' },
  ],
  options: {
    // A request announces its own content-length; without a cap, one client
    // could make the server set aside any amount of memory for it.
    'max-content-length': {
      kind: 'count',
      valueName: 'BYTES',
      default: String(DEFAULT_MAX_CONTENT_LENGTH),
    },
    // A client that connects and goes quiet is closed after this long.
    'idle-timeout': { kind: 'seconds', valueName: 'SECONDS', default: '30' },
  },
});
const { host, port } = args;
const options = {
  maxContentLength: args['max-content-length'],
  idleTimeoutSeconds: args['idle-timeout'],
};

// allowHalfOpen: a client may close its sending side once its request is out,
// and still read the answer; without it, Node would close our side too.
const server = net.createServer({ allowHalfOpen: true });
const open = new Set<ServerMessage>();

// The tutorial's accept_wrapper(): one Message object per accepted connection.
// From here on the event loop drives it; this listener only keeps count.
server.on('connection', (socket) => {
  const addr = peerAddress(socket);
  console.log(`Accepted connection from ${addr}`);
  const message = new ServerMessage(socket, addr, options);
  open.add(message);
  socket.once('close', () => open.delete(message));
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

// Ctrl-C: stop accepting, close every open connection, exit cleanly.
process.once('SIGINT', () => {
  console.log(
    `Interrupted: closing the server and ${plural(open.size, 'open connection')}`,
  );
  server.close();
  for (const message of open) message.close();
  process.exit(0);
});
console.log(`Listening on ${serverAddress(server)}`);

// Lesson 02: an echo server for many clients at once, in one process.
// Nothing here waits: we register listeners and Node's event loop calls them
// when a socket has news, as the selector loop of the tutorial's multiconn-server.py does.
// Run: npx tsx lessons/02-multiconn/multiconn-server.ts <host> <port>

import net from 'node:net';
import { once } from 'node:events';
import { parseArgsOrExit } from '../../shared/args.ts';
import { formatAddress, peerAddress, serverAddress } from '../../shared/address.ts';
import { formatBytes, plural } from '../../shared/bytes.ts';
import { explainSocketError, exitWithSocketError } from '../../shared/socket-errors.ts';

// Both arguments are required, as in the tutorial: 127.0.0.1 65432 is the usual pair.
const { host, port } = parseArgsOrExit({
  program: 'multiconn-server.ts',
  positionals: [
    { name: 'host', kind: 'host' },
    { name: 'port', kind: 'port' },
  ],
});

/** What the server remembers about one client: the tutorial keeps this in `key.data`. */
interface Connection {
  socket: net.Socket;
  address: string;
  bytesIn: number;
  bytesOut: number;
  /** True while we have stopped reading because the client is slow to read our echo. */
  paused: boolean;
}

const connections = new Set<Connection>();

// allowHalfOpen: when a client sends FIN, Node would otherwise call end() for
// us (still sending what is queued first). We keep the close an explicit call
// of our own, in the 'end' listener below, like close() in the tutorial.
const server = net.createServer({ allowHalfOpen: true });
server.listen(port, host);
try {
  await once(server, 'listening');
} catch (error) {
  exitWithSocketError(error, { address: formatAddress(host, port) });
}

// Ctrl-C: stop accepting, drop every client still connected, and exit cleanly.
process.once('SIGINT', () => {
  console.log(
    `Interrupted: closing the server and ${plural(connections.size, 'open connection')}`,
  );
  server.close();
  for (const connection of connections) connection.socket.destroy();
  process.exit(0);
});
console.log(`Listening on ${serverAddress(server)}`);

// The 'connection' listener is accept(): the tutorial's accept_wrapper(). There
// is no select() call to write; the event loop (libuv, on epoll, kqueue or IOCP)
// watches every socket at once and calls us for whichever is ready.
server.on('connection', serveConnection);

function serveConnection(socket: net.Socket): void {
  const connection: Connection = {
    socket,
    address: peerAddress(socket),
    bytesIn: 0,
    bytesOut: 0,
    paused: false,
  };
  connections.add(connection);
  console.log(`Accepted connection from ${connection.address}`);

  // A 'data' listener is our read interest (EVENT_READ): it runs each time
  // bytes arrive. TCP is a byte stream, so a chunk may hold part of a message or two.
  socket.on('data', (data: Buffer) => {
    connection.bytesIn += data.length;
    console.log(`Echoing ${formatBytes(data)} to ${connection.address}`);
    // exercise(echo-with-backpressure): Echo the chunk; if write() says its queue is
    //   full, pause this socket and print `Paused reading from <address>: write queue
    //   over its limit (<n> bytes queued)`.
    connection.bytesOut += data.length;
    if (!socket.write(data)) {
      // write() queued the bytes but says the queue is over its limit: the
      // client is reading slower than it sends. Reading more would only grow
      // the queue in our memory, so stop reading this socket until it drains.
      socket.pause();
      connection.paused = true;
      console.log(
        `Paused reading from ${connection.address}: write queue over its limit (${plural(socket.writableLength, 'byte')} queued)`,
      );
    }
    // end exercise
  });

  // 'drain' is our write interest (EVENT_WRITE): the queue has been handed to
  // the operating system, so the client can take more. In real code,
  // socket.pipe(socket) does this pause-and-resume dance for you.
  socket.on('drain', () => {
    // exercise(resume-on-drain): If this socket was paused, resume it and print
    //   `Resumed reading from <address>: write queue drained`.
    if (!connection.paused) return;
    connection.paused = false;
    socket.resume();
    console.log(`Resumed reading from ${connection.address}: write queue drained`);
    // end exercise
  });

  // The client has closed its side (recv() returned b''). end() sends our FIN
  // after the last queued echo, and the connection closes once both sides are done.
  socket.on('end', () => {
    console.log(
      `Closing connection to ${connection.address}: ${plural(connection.bytesIn, 'byte')} in, ${plural(connection.bytesOut, 'byte')} out`,
    );
    socket.end();
  });

  // A client that vanishes (ECONNRESET) costs us this one connection, never the server.
  socket.on('error', (error) => {
    console.log(
      `Lost connection to ${connection.address}: ${explainSocketError(error, { address: connection.address })}`,
    );
  });
  socket.on('close', () => connections.delete(connection));
}

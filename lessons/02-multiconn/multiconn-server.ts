// Lesson 02: an echo server for many clients at once, in one process.
// Nothing here waits: we register listeners and Node's event loop calls them
// when a socket has news, as the selector loop of the tutorial's multiconn-server.py does.
// Run: npx tsx lessons/02-multiconn/multiconn-server.ts <host> <port>

import net from 'node:net';
import { once } from 'node:events';
import { parseArgsOrExit } from '../../shared/args.ts';
import { formatAddress, peerAddress, serverAddress } from '../../shared/address.ts';
import { formatBytes, plural } from '../../shared/bytes.ts';
import { onShutdownSignal, SHUTDOWN_GRACE_MS } from '../../shared/shutdown.ts';
import { explainSocketError, exitWithSocketError } from '../../shared/socket-errors.ts';

// Both arguments are required, as in the tutorial: 127.0.0.1 65432 is the usual pair.
const { host, port } = parseArgsOrExit({
  program: 'multiconn-server.ts',
  summary:
    'Echoes every byte back to any number of clients at once, until stopped with Ctrl-C.',
  positionals: [
    {
      name: 'host',
      kind: 'host',
      help: 'the address to listen on, e.g. 127.0.0.1 (only this machine can connect)',
    },
    {
      name: 'port',
      kind: 'port',
      help: 'the port to listen on, e.g. 65432; 0 lets the system pick a free one',
    },
  ],
});

/** What the server remembers about one client: the tutorial keeps this in `key.data`. */
interface Connection {
  socket: net.Socket;
  /** The client's address and port, e.g. 127.0.0.1:53122, for the log. */
  peer: string;
  bytesIn: number;
  bytesOut: number;
  /** True while we have stopped reading because the client is slow to read our echo. */
  paused: boolean;
}

const connections = new Set<Connection>();

// allowHalfOpen: when a client half-closes (sends FIN), Node would otherwise
// end our side at once. We end it ourselves, in the 'end' listener below,
// after the last echo: one explicit call, like close() in the tutorial.
const server = net.createServer({ allowHalfOpen: true });
// listen() is socket() + bind() + listen(); it fails with EADDRINUSE or EACCES.
server.listen(port, host);
try {
  await once(server, 'listening');
} catch (error) {
  exitWithSocketError(error, { address: formatAddress(host, port) });
}

// Ctrl-C (SIGINT) or `kill` (SIGTERM): stop accepting, send each client the
// echo already queued and then our FIN, and give them SHUTDOWN_GRACE_MS to
// close in reply. Whoever is still connected then is cut off, with a log line.
onShutdownSignal((signal) => {
  console.log(
    `Stopping on ${signal}: closing the server and ${plural(connections.size, 'open connection')}`,
  );
  for (const { socket } of connections) {
    socket.removeAllListeners('data'); // echo no more; what still arrives is dropped
    socket.resume(); // keep reading: closing with unread bytes would send a reset
    socket.end(); // FIN after the queued echo
  }
  // The server's 'close' comes once every connection has closed.
  server.close(() => {
    console.log('Server stopped');
    process.exit(0);
  });
  setTimeout(() => {
    for (const { socket, peer } of connections) {
      console.log(
        `Closing connection to ${peer}: still open after ${SHUTDOWN_GRACE_MS} ms`,
      );
      socket.destroy();
    }
    console.log('Server stopped');
    process.exit(0);
  }, SHUTDOWN_GRACE_MS);
});
console.log(`Listening on ${serverAddress(server)}`);

// The 'connection' listener is accept(): the tutorial's accept_wrapper(). There
// is no select() call to write; the event loop (libuv, on epoll, kqueue or IOCP)
// watches every socket at once and calls us for whichever is ready.
server.on('connection', serviceConnection);

function serviceConnection(socket: net.Socket): void {
  const peer = peerAddress(socket);
  const connection: Connection = {
    socket,
    peer,
    bytesIn: 0,
    bytesOut: 0,
    paused: false,
  };
  connections.add(connection);
  console.log(`Accepted connection from ${peer}`);

  // A 'data' listener is our read interest (EVENT_READ): it runs each time
  // bytes arrive. TCP is a byte stream, so a chunk may hold part of a message or two.
  socket.on('data', (data: Buffer) => {
    connection.bytesIn += data.length;
    console.log(`Echoing ${formatBytes(data)} to ${peer}`);
    // exercise(echo-with-backpressure): Echo the chunk; if write() says its queue is
    //   full, pause this socket and print `Paused reading from <peer>: write queue over
    //   its limit (<n> bytes queued)`.
    connection.bytesOut += data.length;
    if (!socket.write(data)) {
      // write() queued the bytes but says the queue is over its limit: the
      // client is reading slower than it sends. Reading more would only grow
      // the queue in our memory, so stop reading this socket until it drains.
      socket.pause();
      connection.paused = true;
      console.log(
        `Paused reading from ${peer}: write queue over its limit (${plural(socket.writableLength, 'byte')} queued)`,
      );
    }
    // end exercise
  });

  // 'drain' is our write interest (EVENT_WRITE): the queue has been handed to
  // the operating system, so the client can take more. In real code,
  // socket.pipe(socket) does this pause-and-resume dance for you.
  socket.on('drain', () => {
    // exercise(resume-on-drain): If this socket was paused, resume it and print
    //   `Resumed reading from <peer>: write queue drained`.
    if (!connection.paused) return;
    connection.paused = false;
    socket.resume();
    console.log(`Resumed reading from ${peer}: write queue drained`);
    // end exercise
  });

  // The client has half-closed (recv() returned b''). end() is shutdown(SHUT_WR):
  // our FIN after the last queued echo. 'close' follows once both sides are done.
  socket.on('end', () => {
    console.log(
      `Closing connection to ${peer}: ${plural(connection.bytesIn, 'byte')} in, ${plural(connection.bytesOut, 'byte')} out`,
    );
    socket.end();
  });

  // A client that vanishes (ECONNRESET) costs us this one connection, never the server.
  socket.on('error', (error) => {
    console.log(
      `Lost connection to ${peer}: ${explainSocketError(error, { address: peer })}`,
    );
  });
  socket.on('close', () => connections.delete(connection));
}

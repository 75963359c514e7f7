// Lesson 01: an echo server written in blocking style with `await`.
// It accepts one client, sends back every byte it receives until that client
// half-closes (sends FIN), then closes and exits: the tutorial's echo-server.py.
// Run: npx tsx lessons/01-echo/echo-server.ts [host] [port]

import net from 'node:net';
import { once } from 'node:events';
import { parseArgsOrExit } from '../../shared/args.ts';
import { formatAddress, peerAddress, serverAddress } from '../../shared/address.ts';
import { formatBytes } from '../../shared/bytes.ts';
import { onShutdownSignal, SHUTDOWN_GRACE_MS } from '../../shared/shutdown.ts';
import { exitWithSocketError } from '../../shared/socket-errors.ts';

const { host, port } = parseArgsOrExit({
  program: 'echo-server.ts',
  summary:
    'Accepts one client, echoes every byte back until the client half-closes, then exits.',
  positionals: [
    {
      name: 'host',
      kind: 'host',
      default: '127.0.0.1',
      help: 'the address to listen on; 127.0.0.1 (loopback) lets only this machine in',
    },
    {
      name: 'port',
      kind: 'port',
      default: '65432',
      help: 'the port to listen on; 0 lets the system pick a free one',
    },
  ],
});

// createServer() makes a JavaScript object and nothing more: no socket yet.
// allowHalfOpen: when the client sends FIN, Node would otherwise end our side
// for us. We keep that in our own hands: the client may half-close (it has no
// more to send) while we still send it the rest of its echo.
const server = net.createServer({ allowHalfOpen: true });
// listen() is socket() + bind() + listen() in one call. It fails with
// EADDRINUSE if the port is taken, or EACCES for a port below 1024 on Linux.
server.listen(port, host);
try {
  // `once` waits for 'listening', and throws if 'error' comes first.
  await once(server, 'listening');
} catch (error) {
  exitWithSocketError(error, { address: formatAddress(host, port) });
}

// Ctrl-C (SIGINT) or `kill` (SIGTERM): stop listening. An echo already queued
// for the client still goes out: end() sends our FIN after it, and the client
// closes in reply. A client that does not close within the grace period is cut off.
let connection: net.Socket | undefined;
onShutdownSignal((signal) => {
  server.close();
  const socket = connection;
  if (socket === undefined || socket.closed) {
    console.log(`Stopping on ${signal}: closing the server`);
    process.exit(0);
  }
  console.log(`Stopping on ${signal}: finishing the echo to ${peer}, then closing`);
  // If the read loop is waiting for 'drain', end() only once it has come:
  // a stream sends no 'drain' after end(), and the loop would wait forever.
  if (socket.writableNeedDrain) socket.once('drain', () => socket.end());
  else socket.end();
  socket.once('close', () => {
    console.log('Connection closed; server exiting');
    process.exit(0);
  });
  setTimeout(() => {
    console.log(
      `Closing the connection to ${peer}: still open after ${SHUTDOWN_GRACE_MS} ms`,
    );
    socket.destroy();
    process.exit(0);
  }, SHUTDOWN_GRACE_MS);
});
console.log(`Listening on ${serverAddress(server)}`);

// accept(): wait for one client. Then stop listening, as the tutorial's server
// does: this server talks to exactly one client and then exits.
[connection] = (await once(server, 'connection')) as [net.Socket];
server.close();
const peer = peerAddress(connection);
console.log(`Connected by ${peer}`);

try {
  // recv() in a loop. Each chunk is whatever the network delivered in one go:
  // TCP is a byte stream, so "Hello, world" may arrive whole, or in pieces.
  // `destroyOnReturn: false`: by default, leaving this loop destroys the socket
  // at once, throwing away any echo still queued inside Node. (Node 20's docs
  // mark readable.iterator() experimental; it is the way to pass this option.)
  // exercise(echo-loop): Read the client's bytes chunk by chunk; skip any chunk once
  //   connection.writableEnded (our side was ended on Ctrl-C), else log it as `Received
  //   ${formatBytes(data)} from ${peer}` and write it straight back, waiting for
  //   'drain' when write() returns false.
  for await (const data of connection.iterator({
    destroyOnReturn: false,
  }) as AsyncIterable<Buffer>) {
    // After Ctrl-C our side is ended: keep reading, but echo no more.
    if (connection.writableEnded) continue;
    console.log(`Received ${formatBytes(data)} from ${peer}`);
    // sendall(): write() queues the bytes. When it returns false the queue is
    // full, so we wait for 'drain' instead of reading (and queueing) more.
    if (!connection.write(data)) await once(connection, 'drain');
  }
  // end exercise

  // The loop ended because the client half-closed (recv() returned b'').
  // end() is shutdown(SHUT_WR): our FIN, after every queued byte. The socket
  // is closed ('close') once both directions are done.
  console.log(`Client ${peer} closed its side; closing the connection`);
  connection.end();
  await once(connection, 'close');
} catch (error) {
  // A client that vanishes mid-way (ECONNRESET) ends up here, not in a stack trace.
  exitWithSocketError(error, { address: peer });
}
console.log('Connection closed; server exiting');

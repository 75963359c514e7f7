// Lesson 01: an echo server written in blocking style with `await`.
// It accepts one client, sends back every byte it receives until that client
// closes its side, then closes and exits, like the tutorial's echo-server.py.
// Run: npx tsx lessons/01-echo/echo-server.ts [host] [port]

import net from 'node:net';
import { once } from 'node:events';
import { parseArgsOrExit } from '../../shared/args.ts';
import { formatAddress, peerAddress, serverAddress } from '../../shared/address.ts';
import { formatBytes } from '../../shared/bytes.ts';
import { exitWithSocketError } from '../../shared/socket-errors.ts';

const { host, port } = parseArgsOrExit({
  program: 'echo-server.ts',
  positionals: [
    // The loopback address: only programs on this machine can connect.
    { name: 'host', kind: 'host', default: '127.0.0.1' },
    // On Linux, ports below 1024 need administrator rights, so pick one above.
    { name: 'port', kind: 'port', default: '65432' },
  ],
});

// socket() + bind() + listen(): Node does all three in `listen()`.
// allowHalfOpen: when the client sends FIN, Node would otherwise call end()
// for us (still sending what is queued first). We keep the close in our own
// hands instead, one explicit call, like close() in the tutorial.
const server = net.createServer({ allowHalfOpen: true });
server.listen(port, host);
try {
  // `once` waits for 'listening', and throws if 'error' comes first (a busy port).
  await once(server, 'listening');
} catch (error) {
  exitWithSocketError(error, { address: formatAddress(host, port) });
}

// Ctrl-C: stop listening, drop the client if there is one, and exit cleanly.
let connection: net.Socket | undefined;
process.once('SIGINT', () => {
  console.log('Interrupted: closing the server');
  connection?.destroy();
  server.close();
  process.exit(0);
});
console.log(`Listening on ${serverAddress(server)}`);

// accept(): wait for one client. Then stop listening, as the tutorial's server
// does: this server talks to exactly one client and then exits.
[connection] = (await once(server, 'connection')) as [net.Socket];
server.close();
const client = peerAddress(connection);
console.log(`Connected by ${client}`);

try {
  // recv() in a loop. Each chunk is whatever the network delivered in one go:
  // TCP is a byte stream, so "Hello, world" may arrive whole, or in pieces.
  // `destroyOnReturn: false` matters: by default, leaving this loop destroys the
  // socket at once, throwing away any echo still queued inside Node.
  // exercise(echo-loop): Read the client's bytes chunk by chunk, log each as `Received
  //   ${formatBytes(data)} from ${client}`, and write it straight back, waiting for
  //   'drain' when write() returns false.
  for await (const data of connection.iterator({
    destroyOnReturn: false,
  }) as AsyncIterable<Buffer>) {
    console.log(`Received ${formatBytes(data)} from ${client}`);
    // sendall(): write() queues the bytes. When it returns false the queue is
    // full, so we wait for 'drain' instead of piling up more in memory.
    if (!connection.write(data)) await once(connection, 'drain');
  }
  // end exercise

  // The loop ended because the client closed its side (recv() returned b'').
  // end() sends our own FIN after every queued byte; 'close' means it is done.
  console.log(`Client ${client} closed its side; closing the connection`);
  connection.end();
  await once(connection, 'close');
} catch (error) {
  // A client that vanishes mid-way (ECONNRESET) ends up here, not in a stack trace.
  exitWithSocketError(error, { address: client });
}
console.log('Connection closed; server exiting');

// Lesson 02: a client that opens several connections at once. Each one sends
// two messages, counts the bytes echoed back, and closes when it has them all,
// like the tutorial's multiconn-client.py.
// Run: npx tsx lessons/02-multiconn/multiconn-client.ts <host> <port> <num_connections>

import net from 'node:net';
import { parseArgsOrExit } from '../../shared/args.ts';
import { formatAddress } from '../../shared/address.ts';
import { formatBytes, plural } from '../../shared/bytes.ts';
import { explainSocketError } from '../../shared/socket-errors.ts';

const {
  host,
  port,
  num_connections: count,
} = parseArgsOrExit({
  program: 'multiconn-client.ts',
  summary:
    'Opens several connections at once; each sends two messages and closes once all of its echo is back.',
  positionals: [
    { name: 'host', kind: 'host', help: 'the address of the server, e.g. 127.0.0.1' },
    { name: 'port', kind: 'port', help: 'the port of the server, e.g. 65432' },
    {
      name: 'num_connections',
      kind: 'count',
      help: 'how many connections to open at once, e.g. 2',
    },
  ],
});

const MESSAGES = ['Message 1 from client.', 'Message 2 from client.'].map((text) =>
  Buffer.from(text),
);
// The echo is complete when as many bytes came back as we sent, in however many reads.
const EXPECTED = MESSAGES.reduce((sum, message) => sum + message.length, 0);
const peer = formatAddress(host, port);

/** What the client remembers about one connection: the tutorial's `data` namespace. */
interface Connection {
  id: number;
  bytesSent: number;
  bytesReceived: number;
  /** Why the connection failed, if it did. */
  failure?: string;
}

/** Opens connection `id` and settles when it has closed, well or badly. */
function runConnection(id: number): Promise<Connection> {
  const connection: Connection = { id, bytesSent: 0, bytesReceived: 0 };
  console.log(`Starting connection ${id} to ${peer}`);
  // connect() does not wait here: the handshake goes on while we start the next connection.
  const socket = net.createConnection({ host, port });

  socket.on('connect', () => {
    for (const message of MESSAGES) {
      console.log(`Sending ${formatBytes(message)} on connection ${id}`);
      socket.write(message);
      connection.bytesSent += message.length;
    }
  });

  // The echo may come back in one read or several: count bytes, not reads.
  socket.on('data', (data: Buffer) => {
    console.log(`Received ${formatBytes(data)} on connection ${id}`);
    // exercise(close-when-echoed): Count the echoed bytes; once all are back, print
    //   `Closing connection <id>: <received> of <expected> bytes back` and end() the
    //   socket.
    connection.bytesReceived += data.length;
    if (connection.bytesReceived >= EXPECTED) {
      console.log(
        `Closing connection ${id}: ${connection.bytesReceived} of ${plural(EXPECTED, 'byte')} back`,
      );
      // end() sends our FIN; the server answers with its own, and 'close' follows.
      socket.end();
    }
    // end exercise
  });

  socket.on('error', (error) => {
    connection.failure = explainSocketError(error, { address: peer });
  });

  return new Promise((resolve) => {
    socket.on('close', () => {
      if (connection.failure === undefined && connection.bytesReceived < EXPECTED) {
        connection.failure = `the server closed connection ${id} after ${connection.bytesReceived} of ${plural(EXPECTED, 'byte')}`;
      }
      if (connection.failure !== undefined)
        console.log(`Connection ${id} failed: ${connection.failure}`);
      resolve(connection);
    });
  });
}

// Start every connection before any of them finishes: they all run at once.
const ids = Array.from({ length: count }, (_, index) => index + 1);
const results = await Promise.all(ids.map(runConnection));

const sent = results.reduce((sum, connection) => sum + connection.bytesSent, 0);
const received = results.reduce((sum, connection) => sum + connection.bytesReceived, 0);
console.log(
  `Totals: ${plural(count, 'connection')}, ${plural(sent, 'byte')} sent, ${plural(received, 'byte')} received`,
);

const [firstFailed, ...otherFailed] = results.filter(
  (connection) => connection.failure !== undefined,
);
if (firstFailed !== undefined) {
  process.stderr.write(
    `Error: ${1 + otherFailed.length} of ${plural(count, 'connection')} failed: ${firstFailed.failure}\n`,
  );
  process.exit(1);
}

// Lesson 01: the echo client. It connects, sends one message, says it has
// nothing more to send, and prints everything the server sends back,
// like the tutorial's echo-client.py.
// Run: npx tsx lessons/01-echo/echo-client.ts [host] [port]

import net from 'node:net';
import { once } from 'node:events';
import { parseArgsOrExit } from '../../shared/args.ts';
import { formatAddress } from '../../shared/address.ts';
import { formatBytes } from '../../shared/bytes.ts';
import { exitWithSocketError } from '../../shared/socket-errors.ts';

const { host, port } = parseArgsOrExit({
  program: 'echo-client.ts',
  positionals: [
    { name: 'host', kind: 'host', default: '127.0.0.1' },
    { name: 'port', kind: 'port', default: '65432' },
  ],
});

const MESSAGE = 'Hello, world';
const server = formatAddress(host, port);

try {
  // socket() + connect(): the TCP handshake happens here. With no server on
  // that port, the operating system answers "connection refused" at once.
  const socket = net.createConnection({ host, port });
  await once(socket, 'connect');
  console.log(`Connected to ${server}`);

  // exercise(send-and-finish): Send MESSAGE and tell the server you have nothing more
  //   to send, with one socket call.
  // sendall() and then shutdown(SHUT_WR) in one call: end() queues the bytes,
  // then sends FIN, which the server reads as "no more data is coming".
  socket.end(MESSAGE);
  // end exercise
  console.log(`Sent ${formatBytes(MESSAGE)}`);

  // recv() until the server closes. One read is not one message: the echo may
  // come back in several pieces, so collect them all before printing.
  // exercise(read-until-close): Collect every chunk the server sends into an array
  //   named received, until the server closes the connection.
  const received: Buffer[] = [];
  for await (const data of socket as AsyncIterable<Buffer>) received.push(data);
  // end exercise
  console.log(`Received ${formatBytes(Buffer.concat(received))}`);
  console.log('Server closed the connection');
} catch (error) {
  exitWithSocketError(error, { address: server });
}

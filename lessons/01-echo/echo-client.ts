// Lesson 01: the echo client. It connects, sends one message, half-closes
// (sends FIN: "nothing more from me"), and prints everything the server sends
// back until the server closes too: the tutorial's echo-client.py.
// Run: npx tsx lessons/01-echo/echo-client.ts [host] [port] [--message TEXT] [--size BYTES]

import net from 'node:net';
import { once } from 'node:events';
import { parseArgsOrExit } from '../../shared/args.ts';
import { formatAddress } from '../../shared/address.ts';
import { formatBytes } from '../../shared/bytes.ts';
import { exitWithSocketError } from '../../shared/socket-errors.ts';

const { host, port, message, size } = parseArgsOrExit({
  program: 'echo-client.ts',
  summary:
    'Connects, sends one message, half-closes, and prints what the server sends back.',
  positionals: [
    {
      name: 'host',
      kind: 'host',
      default: '127.0.0.1',
      help: 'the address of the server',
    },
    { name: 'port', kind: 'port', default: '65432', help: 'the port of the server' },
  ],
  options: {
    message: {
      kind: 'text',
      valueName: 'TEXT',
      default: 'Hello, world',
      help: 'the message to send',
    },
    size: {
      kind: 'count',
      valueName: 'BYTES',
      help: 'send this many bytes instead: the message repeated, e.g. 1048576 for 1 MiB',
    },
  },
});

// The bytes to send: the message as UTF-8, or with --size, repeated to that length.
const MESSAGE = size === undefined ? Buffer.from(message) : Buffer.alloc(size, message);
const peer = formatAddress(host, port);

try {
  // socket() + connect(): the TCP handshake happens here. With no server on
  // that port, the operating system answers "connection refused" at once.
  const socket = net.createConnection({ host, port });
  await once(socket, 'connect');
  console.log(`Connected to ${peer}`);

  // exercise(send-and-finish): Send MESSAGE and tell the server you have nothing more
  //   to send, with one socket call.
  // sendall() and then shutdown(SHUT_WR) in one call: end() queues the bytes,
  // then sends FIN, which the server reads as "no more data is coming". Our
  // reading side stays open: this is a half-close.
  socket.end(MESSAGE);
  // end exercise
  console.log(`Sent ${formatBytes(MESSAGE)}`);

  // recv() until the server closes. One read is not one message: the echo may
  // come back in several pieces, so collect them all as bytes, and only then
  // print them (a character can be split between two pieces).
  // exercise(read-until-close): Collect every chunk the server sends into an array
  //   named received, until the server closes the connection.
  const received: Buffer[] = [];
  for await (const data of socket as AsyncIterable<Buffer>) received.push(data);
  // end exercise
  console.log(`Received ${formatBytes(Buffer.concat(received))}`);
  console.log('Server closed the connection');
} catch (error) {
  exitWithSocketError(error, { address: peer });
}

// Lesson 08: a client that ends its connection in the way you choose, to show
// what the server sees for each: a half-close (end), an abrupt close (destroy),
// a reset, a process that exits without closing (vanish), or a client that
// stays connected and says nothing (silent).
// Run: npx tsx lessons/08-closing/close-client.ts <host> <port> <way> [--bytes N]

import net from 'node:net';
import { once } from 'node:events';
import { parseArgsOrExit, usageLine } from '../../shared/args.ts';
import { formatAddress } from '../../shared/address.ts';
import { escapeText, plural } from '../../shared/bytes.ts';
import { exitWithSocketError } from '../../shared/socket-errors.ts';

const WAYS = ['end', 'destroy', 'reset', 'vanish', 'silent'] as const;
type Way = (typeof WAYS)[number];

const spec = {
  program: 'close-client.ts',
  summary: 'Sends some bytes, then closes the connection in one of five ways.',
  positionals: [
    { name: 'host', kind: 'host' },
    { name: 'port', kind: 'port' },
    { name: 'way', kind: 'text', help: `how to close: ${WAYS.join(', ')}` },
  ],
  options: {
    bytes: {
      kind: 'count',
      valueName: 'N',
      default: '1000',
      help: 'how many bytes to send first',
    },
  },
} as const;
const args = parseArgsOrExit(spec);
if (!(WAYS as readonly string[]).includes(args.way)) {
  process.stderr.write(
    `${usageLine(spec)}\n${spec.program}: way must be one of ${WAYS.join(', ')}\n`,
  );
  process.exit(1);
}
const way = args.way as Way;
const server = formatAddress(args.host, args.port);

// The payload is one letter repeated, so a short count shows in the server's log.
const payload = Buffer.alloc(way === 'silent' ? 0 : args.bytes, 'x');

try {
  const socket = net.createConnection({
    host: args.host,
    port: args.port,
    allowHalfOpen: true,
  });
  await once(socket, 'connect');
  console.log(`Connected to ${server}; closing by "${way}"`);

  switch (way) {
    // exercise(half-close): Send the payload and then FIN in one call, keeping the
    //   socket open for reading, and log `end(): FIN queued after <n> bytes; still
    //   reading`.
    case 'end':
      // shutdown(SHUT_WR): our FIN goes out after the last queued byte. We can
      // no longer send, but the server can, and we go on reading.
      socket.end(payload);
      console.log(
        `end(): FIN queued after ${plural(payload.length, 'byte')}; still reading`,
      );
      break;
    // end exercise
    case 'destroy': {
      // write() hands the bytes to Node's queue; destroy() closes the socket at
      // once, and whatever is still in that queue is never sent.
      socket.write(payload);
      const unsent = socket.writableLength;
      socket.destroy();
      console.log(
        `destroy(): closed at once with ${plural(unsent, 'byte')} still in Node's queue`,
      );
      break;
    }
    case 'reset':
      // Wait until the kernel has our bytes, then abort: the kernel sends RST
      // instead of FIN, and the server's next read fails with ECONNRESET.
      await new Promise<void>((resolve) => socket.write(payload, () => resolve()));
      socket.resetAndDestroy();
      console.log(
        `resetAndDestroy(): RST sent after ${plural(payload.length, 'byte')}`,
      );
      break;
    case 'vanish':
      // Exit without closing anything, as a crashing program does. The kernel
      // closes the socket for us: it sends what it already holds, then FIN.
      await new Promise<void>((resolve) => socket.write(payload, () => resolve()));
      console.log(
        `process.exit(): leaving without closing, after ${plural(payload.length, 'byte')}`,
      );
      process.exit(0);
      break;
    case 'silent':
      // Connected, sending nothing, never closing: only the server's idle timer
      // (or Ctrl-C here) ends this connection.
      console.log('Sending nothing; waiting for the server to give up');
      break;
  }

  if (way !== 'destroy' && way !== 'reset') {
    const reply = await readUntilClose(socket);
    if (reply.length > 0)
      console.log(`Server replied: ${escapeText(reply.toString('utf8').trimEnd())}`);
    console.log('Server closed the connection');
  }
} catch (error) {
  exitWithSocketError(error, { address: server });
}

/** Everything the server sends, until it closes its side. */
async function readUntilClose(socket: net.Socket): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const data of socket as AsyncIterable<Buffer>) chunks.push(data);
  return Buffer.concat(chunks);
}

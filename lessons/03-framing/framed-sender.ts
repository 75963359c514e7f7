// Lesson 03: the framed sender. It frames three messages, JSON, text and
// binary, as the tutorial's libclient.py frames a request, and writes them one
// write per message, one byte per write (--byte-by-byte), or all in a single
// write (--all-at-once). However it writes, the receiver decodes the same messages.
// Run: npx tsx lessons/03-framing/framed-sender.ts <host> <port> [--byte-by-byte | --all-at-once]

import net from 'node:net';
import { once } from 'node:events';
import { parseArgsOrExit, usageLine } from '../../shared/args.ts';
import { formatAddress } from '../../shared/address.ts';
import { formatBytes, plural } from '../../shared/bytes.ts';
import { exitWithSocketError } from '../../shared/socket-errors.ts';
import { encodeJson, encodeMessage, type EncodeOptions } from './frame.ts';

const spec = {
  program: 'framed-sender.ts',
  summary:
    'Frames three messages (JSON, text, binary), sends them to the framed receiver and closes.',
  positionals: [
    { name: 'host', kind: 'host', help: 'the receiver address, e.g. 127.0.0.1 or ::1' },
    { name: 'port', kind: 'port', help: 'the receiver port' },
  ],
  options: {
    'byte-by-byte': { kind: 'flag', help: 'write one byte per write() call' },
    'all-at-once': {
      kind: 'flag',
      help: 'write all three messages in a single write() call',
    },
  },
} as const;
const args = parseArgsOrExit(spec);
const { host, port } = args;
const byteByByte = args['byte-by-byte'];
const allAtOnce = args['all-at-once'];
if (byteByByte && allAtOnce) {
  process.stderr.write(
    `${usageLine(spec)}\n${spec.program}: choose one of --byte-by-byte and --all-at-once\n`,
  );
  process.exit(1);
}

// The three kinds of content the tutorial's protocol carries.
const MESSAGES: EncodeOptions[] = [
  // The request lesson 04's client sends for `search morpheus`.
  {
    contentType: 'text/json',
    contentEncoding: 'utf-8',
    content: encodeJson({ action: 'search', value: 'morpheus' }),
  },
  // Text, where characters and bytes differ: the rabbit is one character, 4 bytes.
  {
    contentType: 'text/plain',
    contentEncoding: 'utf-8',
    content: Buffer.from('No gaps in a byte stream. 🐰', 'utf8'),
  },
  // Bytes that are not text: the 8-byte signature every PNG file starts with.
  {
    contentType: 'image/png',
    contentEncoding: 'binary',
    content: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  },
];

// The receiver is our peer: the address every line about this connection names.
const peer = formatAddress(host, port);

// write()'s callback runs once Node has handed the bytes to the operating
// system. Waiting for it makes each write a separate send() of its own.
function write(socket: net.Socket, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    socket.write(bytes, (error) => (error ? reject(error) : resolve()));
  });
}

try {
  const socket = net.createConnection({ host, port });
  // One place for socket errors, whenever they happen: refused, reset, broken pipe.
  socket.on('error', (error) => exitWithSocketError(error, { address: peer }));
  await once(socket, 'connect');
  console.log(`Connected to ${peer}`);

  const frames = MESSAGES.map((message, index) => {
    const frame = encodeMessage(message);
    console.log(
      `Message ${index + 1} (${message.contentType}): ${formatBytes(frame, frame.length)}`,
    );
    return frame;
  });

  let writes = 0;
  let how = 'one per message';
  if (byteByByte) {
    how = 'one byte each';
    // Nagle's algorithm holds small writes back to send them together;
    // TCP_NODELAY turns it off, so each byte leaves as soon as it is written.
    socket.setNoDelay(true);
    // exercise(byte-by-byte): Write every byte of every frame on its own, waiting for
    //   each write before the next.
    for (const frame of frames) {
      for (let index = 0; index < frame.length; index++) {
        await write(socket, frame.subarray(index, index + 1));
        writes += 1;
      }
    }
    // end exercise
  } else if (allAtOnce) {
    how = 'all at once';
    await write(socket, Buffer.concat(frames));
    writes = 1;
  } else {
    for (const frame of frames) {
      await write(socket, frame);
      writes += 1;
    }
  }
  const total = frames.reduce((sum, frame) => sum + frame.length, 0);
  console.log(
    `Sent ${plural(frames.length, 'message')}, ${plural(total, 'byte')}, in ${plural(writes, 'write')} (${how})`,
  );

  // FIN after the last byte. The receiver sends nothing back, but reading
  // (resume) lets its own FIN through, and then the socket closes.
  socket.end();
  socket.resume();
  await once(socket, 'close');
  console.log('Closed the connection');
} catch (error) {
  exitWithSocketError(error, { address: peer });
}

// Lesson 03: the framed receiver. A server that cuts each connection's byte
// stream back into messages with MessageDecoder and prints every message; with
// --raw it also prints each read as it came, so reads and messages can be compared.
// It is the reading half of the tutorial's libserver.py (lesson 04 adds replies).
// Run: npx tsx lessons/03-framing/framed-receiver.ts <host> <port> [--raw]

import net from 'node:net';
import { once } from 'node:events';
import { parseArgsOrExit } from '../../shared/args.ts';
import { formatAddress, peerAddress, serverAddress } from '../../shared/address.ts';
import { escapeText, formatBytes, plural, shortenText } from '../../shared/bytes.ts';
import { onShutdownSignal } from '../../shared/shutdown.ts';
import {
  errorCode,
  explainSocketError,
  exitWithSocketError,
} from '../../shared/socket-errors.ts';
import {
  FrameError,
  jsonExcerpt,
  MessageDecoder,
  type DecodedFrame,
  type MessageHeader,
} from './frame.ts';

const { host, port, raw } = parseArgsOrExit({
  program: 'framed-receiver.ts',
  summary:
    'Receives framed messages on every connection and prints each one: header, then content.',
  positionals: [
    {
      name: 'host',
      kind: 'host',
      help: 'the address to listen on, e.g. 127.0.0.1 or ::1',
    },
    { name: 'port', kind: 'port', help: 'the port to listen on (0: any free port)' },
  ],
  options: {
    raw: { kind: 'flag', help: 'also print every read as it came, before decoding' },
  },
});

// A header or a text can be up to 64 KiB and 1 MiB: show the start of it, so
// every event stays on one readable line.
const PREVIEW_CHARS = 200;

const server = net.createServer();
server.listen(port, host);
try {
  await once(server, 'listening');
} catch (error) {
  exitWithSocketError(error, { address: formatAddress(host, port) });
}

// Ctrl-C or SIGTERM: stop listening, close every open connection, and exit
// cleanly. The receiver never writes, so there is no answer to let finish.
const connections = new Set<net.Socket>();
onShutdownSignal(() => {
  console.log(
    `Interrupted: closing the server and ${plural(connections.size, 'open connection')}`,
  );
  for (const socket of connections) socket.destroy();
  server.close();
  process.exit(0);
});
console.log(`Listening on ${serverAddress(server)}`);

// Connections are served side by side, as in lesson 02. Each has its own
// decoder: the state of one client's stream says nothing about another's.
server.on('connection', (socket) => void receive(socket));

async function receive(socket: net.Socket): Promise<void> {
  const peer = peerAddress(socket);
  connections.add(socket);
  console.log(`Accepted connection from ${peer}`);
  const decoder = new MessageDecoder();
  let received = 0;
  try {
    // One chunk is one read: whatever had arrived when Node asked the
    // operating system. How the sender split its writes is lost on the way.
    for await (const chunk of socket as AsyncIterable<Buffer>) {
      if (raw) console.log(`Read ${formatBytes(chunk)}`);
      // exercise(decode-chunks): Feed the chunk to the decoder and print each whole
      //   message it completes, numbered from 1.
      for (const message of decoder.decode(chunk)) {
        received += 1;
        printMessage(received, message);
      }
      // end exercise
    }
    // The sender closed its side: anything still buffered is half a message.
    decoder.end();
    console.log(`Connection from ${peer} closed after ${plural(received, 'message')}`);
  } catch (error) {
    // A peer that breaks the protocol loses its own connection, nothing more.
    if (error instanceof FrameError) {
      console.log(`Closing connection to ${peer}: ${error.message} (${error.reason})`);
    } else if (errorCode(error) !== undefined) {
      // So does one whose connection fails (a reset, say).
      console.log(
        `Lost connection to ${peer}: ${explainSocketError(error, { address: peer })}`,
      );
    } else {
      // Anything else is a bug in this program, not the peer's fault; it still
      // costs this connection only, and the log gets one line, not a stack trace.
      const what =
        error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      console.log(
        `Closing connection to ${peer}: internal error: ${escapeText(shortenText(what, PREVIEW_CHARS))}`,
      );
    }
  } finally {
    socket.destroy();
    connections.delete(socket);
  }
}

function printMessage(
  number: number,
  { header, headerBytes, content }: DecodedFrame,
): void {
  // The header is UTF-8 JSON text; the decoder has checked it already. Its text
  // comes from the peer, so it is escaped: an ESC or a bidi override in it shows
  // as `\x1b` or `\u202e` instead of acting on the terminal.
  const headerText = escapeText(
    shortenText(headerBytes.toString('utf8'), PREVIEW_CHARS),
  );
  console.log(
    `Message ${number} header: ${headerText} (${plural(headerBytes.length, 'byte')})`,
  );
  const kind = escapeText(
    shortenText(
      `${header['content-type']}, ${header['content-encoding']}`,
      PREVIEW_CHARS,
    ),
  );
  console.log(`Message ${number} content (${kind}): ${showContent(header, content)}`);
}

/** JSON as one line of JSON, text as a quoted string, anything else as escaped bytes. */
function showContent(header: MessageHeader, content: Buffer): string {
  const size = `(${plural(content.length, 'byte')})`;
  if (
    header['content-type'].startsWith('text/') &&
    header['content-encoding'] !== 'binary'
  ) {
    try {
      // The header names the encoding; a fatal decoder refuses bytes that do not fit it.
      const text = new TextDecoder(header['content-encoding'], { fatal: true }).decode(
        content,
      );
      if (header['content-type'] === 'text/json')
        return `${jsonExcerpt(JSON.parse(text), PREVIEW_CHARS)} ${size}`;
      return `${escapeText(shortenText(JSON.stringify(text), PREVIEW_CHARS))} ${size}`;
    } catch {
      // Not text in that encoding (or not JSON) after all: show the bytes themselves.
    }
  }
  return formatBytes(content);
}

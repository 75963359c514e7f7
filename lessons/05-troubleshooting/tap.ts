// Lesson 05: a tap, a logging TCP proxy. A client connects to the tap, the tap
// connects to the real server, and every chunk passes through unchanged while
// the tap prints it: a portable Wireshark for one port. It is a server and a
// client at once. With --frames it also decodes lesson 03's framing as it passes.
// Run: npx tsx lessons/05-troubleshooting/tap.ts <listen-host> <listen-port> [target-host] [target-port] [--frames]

import net from 'node:net';
import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { parseArgsOrExit, usageLine } from '../../shared/args.ts';
import { formatAddress, peerAddress, serverAddress } from '../../shared/address.ts';
import { escapeText, formatBytes, plural, shortenText } from '../../shared/bytes.ts';
import {
  errorCode,
  exitWithSocketError,
  explainSocketError,
} from '../../shared/socket-errors.ts';
import { onShutdownSignal } from '../../shared/shutdown.ts';
import { FrameError, MessageDecoder } from '../03-framing/frame.ts';

const spec = {
  program: 'tap.ts',
  summary:
    'Forwards TCP connections to a server and prints every chunk both ways, unchanged on the wire.',
  positionals: [
    {
      name: 'listen-host',
      kind: 'host',
      help: 'the address clients connect to (127.0.0.1)',
    },
    {
      name: 'listen-port',
      kind: 'port',
      help: 'the port clients connect to (0: any free port)',
    },
    {
      name: 'target-host',
      kind: 'host',
      default: '127.0.0.1',
      help: 'the address of the real server',
    },
    {
      name: 'target-port',
      kind: 'port',
      default: '65432',
      help: "the real server's port",
    },
  ],
  options: {
    frames: {
      kind: 'flag',
      help: "also decode lesson 03's framing: headers and message ends",
    },
  },
} as const;
const args = parseArgsOrExit(spec);
const listenHost = args['listen-host'];
const targetHost = args['target-host'];
const targetPort = args['target-port'];
if (targetPort === 0) {
  process.stderr.write(
    `${usageLine(spec)}\n${spec.program}: target-port must not be 0\n`,
  );
  process.exit(1);
}
const target = formatAddress(targetHost, targetPort);

// A chunk is shown as text when it is UTF-8 with no control bytes but tab and
// newlines; anything else also gets a hex dump of its first bytes.
const HEX_DUMP_BYTES = 64;
/** How many bytes of a chunk the escaped form shows: a lesson 04 message fits whole. */
const BYTES_SHOWN = 160;
const TEXT_SHOWN = 120;
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Both sockets of one forwarded connection, and what has crossed it. */
interface Connection {
  id: number;
  client: net.Socket;
  server: net.Socket;
  started: number;
  /** Set once one side failed: the other side is being reset. */
  broken: boolean;
}

const open = new Set<Connection>();
let nextId = 1;

/** One line of the log: `#3 +1.2 ms ...`, time counted from the accept. */
function log(connection: Connection, text: string): void {
  const ms = (performance.now() - connection.started).toFixed(1);
  console.log(`#${connection.id} +${ms} ms ${text}`);
}

function isText(chunk: Buffer): string | undefined {
  let text: string;
  try {
    text = strictUtf8.decode(chunk);
  } catch {
    return undefined;
  }
  return /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text) ? undefined : text;
}

/** `0000  00 67 7b 22 ...  |.g{"|` lines for the first HEX_DUMP_BYTES of a chunk. */
function hexDump(chunk: Buffer): string[] {
  const lines: string[] = [];
  const shown = chunk.subarray(0, HEX_DUMP_BYTES);
  for (let offset = 0; offset < shown.length; offset += 16) {
    const row = shown.subarray(offset, offset + 16);
    const hex = [...row].map((byte) => byte.toString(16).padStart(2, '0')).join(' ');
    const ascii = [...row]
      .map((byte) => (byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : '.'))
      .join('');
    lines.push(
      `${offset.toString(16).padStart(4, '0')}  ${hex.padEnd(47)}  |${ascii}|`,
    );
  }
  if (chunk.length > shown.length)
    lines.push(`...   ${plural(chunk.length - shown.length, 'more byte')}`);
  return lines;
}

/** Prints one chunk: its direction and size, its bytes escaped, and a hex dump if it is not text. */
function logChunk(connection: Connection, direction: string, chunk: Buffer): void {
  const text = isText(chunk);
  if (text !== undefined) {
    log(
      connection,
      `${direction} '${shortenText(escapeText(text), TEXT_SHOWN)}' (${plural(chunk.length, 'byte')})`,
    );
    return;
  }
  log(connection, `${direction} ${formatBytes(chunk, BYTES_SHOWN)}, not text:`);
  for (const line of hexDump(chunk)) console.log(`#${connection.id}   ${line}`);
}

/**
 * With --frames: reads lesson 03's framing in one direction, from a copy of the
 * bytes it is shown. It only logs; what is forwarded never depends on it.
 */
function frameWatcher(
  connection: Connection,
  direction: string,
): (chunk: Buffer) => void {
  const decoder = new MessageDecoder();
  let messages = 0;
  let streamOffset = 0;
  let gaveUp = false;
  return (chunk) => {
    if (gaveUp) return;
    try {
      for (const message of decoder.decode(chunk)) {
        messages += 1;
        const length = 2 + message.headerBytes.length + message.content.length;
        const header = escapeText(message.headerBytes.toString('utf8'));
        log(
          connection,
          `${direction} message ${messages} (stream bytes ${streamOffset} to ${streamOffset + length - 1}): ` +
            `header ${shortenText(header, TEXT_SHOWN)} (${plural(message.headerBytes.length, 'byte')}), ` +
            `content-length ${message.header['content-length']}`,
        );
        streamOffset += length;
      }
    } catch (error) {
      if (!(error instanceof FrameError)) throw error;
      gaveUp = true;
      log(
        connection,
        `${direction} is not lesson 03 framing after byte ${streamOffset}: ${error.message}`,
      );
    }
  };
}

// #region forward
/**
 * Forwards one direction, `from` to `to`. This is a socket-to-socket copy with
 * backpressure and half-close: socket.pipe() would do it silently, here each
 * step is written out, and logged.
 */
function forward(
  connection: Connection,
  from: net.Socket,
  to: net.Socket,
  names: { from: string; to: string },
): void {
  const direction = `${names.from} > ${names.to}`;
  const watchFrames = args.frames ? frameWatcher(connection, direction) : undefined;
  let paused = false;

  // exercise(forward-with-backpressure): For each chunk from `from`: logChunk() it,
  //   show it to watchFrames, write it to `to`; when write() says the queue is full,
  //   pause `from` and log `paused reading the <from>: the <to> is not reading (<n>
  //   bytes queued)`; on 'drain', resume it and log `resumed reading the <from>`.
  from.on('data', (chunk: Buffer) => {
    logChunk(connection, direction, chunk);
    watchFrames?.(chunk);
    if (!to.write(chunk) && !paused) {
      // The far side reads slower than this side sends. Reading on would only
      // grow the queue in our memory: stop reading until it drains. Our
      // receive window then fills, and the sender's kernel slows the sender.
      paused = true;
      from.pause();
      log(
        connection,
        `paused reading the ${names.from}: the ${names.to} is not reading (${plural(to.writableLength, 'byte')} queued)`,
      );
    }
  });
  to.on('drain', () => {
    if (!paused) return;
    paused = false;
    from.resume();
    log(connection, `resumed reading the ${names.from}`);
  });
  // end exercise

  // exercise(forward-half-close): When `from` sends its FIN ('end'), log `<direction>
  //   FIN` and pass the FIN on to `to`, leaving the other direction open.
  // A FIN says "no more data this way", nothing about the other way: the
  // server may still answer a client that has finished sending. end() sends our
  // FIN after every byte still queued, so the last chunk is never lost.
  from.on('end', () => {
    log(connection, `${direction} FIN`);
    to.end();
  });
  // end exercise
}

// #endregion forward

/** One side failed (a reset, usually): reset the other, so it learns the same. */
function breakConnection(
  connection: Connection,
  side: 'client' | 'server',
  error: Error,
): void {
  if (connection.broken) return;
  connection.broken = true;
  const address = side === 'client' ? peerAddress(connection.client) : target;
  const reset = errorCode(error) === 'ECONNRESET' ? 'reset the connection' : 'failed';
  const other = side === 'client' ? connection.server : connection.client;
  // exercise(pass-on-reset): Log what happened on `side`, then reset the other socket
  //   (an RST, not a FIN) so its program sees the same failure.
  log(
    connection,
    `the ${side} ${reset} (${explainSocketError(error, { address })}); resetting the ${side === 'client' ? 'server' : 'client'} side`,
  );
  // A FIN would tell the other side "all sent, all fine", which is a lie after
  // a reset. resetAndDestroy() sends an RST, so it sees ECONNRESET too.
  other.resetAndDestroy();
  // end exercise
}

// The tap is a server for the client... pauseOnConnect: we read nothing from
// a client until its server connection is up, so a refused one loses nothing.
const tap = net.createServer({ allowHalfOpen: true, pauseOnConnect: true });

tap.on('connection', (client) => {
  const peer = peerAddress(client);
  // ...and a client of the real server, one connection there for each one here.
  const server = net.createConnection({
    host: targetHost,
    port: targetPort,
    allowHalfOpen: true,
  });
  const connection: Connection = {
    id: nextId++,
    client,
    server,
    started: performance.now(),
    broken: false,
  };
  open.add(connection);
  log(connection, `accepted from ${peer}, connecting to ${target}`);
  // A proxy should add no delay: send each chunk as it comes (no Nagle).
  client.setNoDelay(true);
  server.setNoDelay(true);

  server.once('connect', () => {
    log(
      connection,
      `connected to ${target} from ${formatAddress(server.localAddress ?? '?', server.localPort ?? 0)}`,
    );
    // Only now is there somewhere to send the client's bytes: start reading them.
    client.resume();
  });
  forward(connection, client, server, { from: 'client', to: 'server' });
  forward(connection, server, client, { from: 'server', to: 'client' });
  client.on('error', (error) => breakConnection(connection, 'client', error));
  server.on('error', (error) => breakConnection(connection, 'server', error));

  let closed = 0;
  const onClose = () => {
    closed += 1;
    if (closed < 2) return;
    open.delete(connection);
    log(
      connection,
      `closed: ${plural(client.bytesRead, 'byte')} client > server, ${plural(server.bytesRead, 'byte')} server > client`,
    );
  };
  client.once('close', onClose);
  server.once('close', onClose);
});

tap.listen(args['listen-port'], listenHost);
try {
  await once(tap, 'listening');
} catch (error) {
  exitWithSocketError(error, {
    address: formatAddress(listenHost, args['listen-port']),
  });
}
tap.on('error', (error) =>
  console.log(`Could not accept a connection: ${explainSocketError(error)}`),
);

onShutdownSignal(() => {
  console.log(
    `Interrupted: closing the tap and ${plural(open.size, 'open connection')}`,
  );
  tap.close();
  for (const connection of open) {
    connection.client.destroy();
    connection.server.destroy();
  }
  process.exit(0);
});
console.log(`Listening on ${serverAddress(tap)}`);
console.log(
  `Forwarding each connection to ${target}${args.frames ? ', decoding frames' : ''}`,
);

// Lesson 08: a server that shows how a connection ends. For each client it logs
// every event the socket gives, in order, and what it received; when the client
// half-closes, it shows that it can still answer. The tutorial's servers close
// as soon as recv() returns nothing; this one looks at every way a peer can go.
// Run: npx tsx lessons/08-closing/close-server.ts <host> <port> [--idle-timeout S] [--keepalive S]

import net from 'node:net';
import { once } from 'node:events';
import { parseArgsOrExit } from '../../shared/args.ts';
import { formatAddress, peerAddress, serverAddress } from '../../shared/address.ts';
import { plural } from '../../shared/bytes.ts';
import { errorCode, exitWithSocketError } from '../../shared/socket-errors.ts';
import { onShutdownSignal, SHUTDOWN_GRACE_MS } from '../../shared/shutdown.ts';

const args = parseArgsOrExit({
  program: 'close-server.ts',
  summary:
    'Logs every event of every connection, to show how each way of closing looks.',
  positionals: [
    { name: 'host', kind: 'host' },
    { name: 'port', kind: 'port' },
  ],
  options: {
    'idle-timeout': {
      kind: 'seconds',
      valueName: 'S',
      default: '30',
      help: 'close a connection that sends nothing for this long',
    },
    keepalive: {
      kind: 'seconds',
      valueName: 'S',
      help: 'turn TCP keep-alive on, first probe after S idle seconds',
    },
  },
});

// allowHalfOpen: when the client sends FIN, keep our side open so we can still
// answer. Without it Node ends our side for us as soon as 'end' arrives.
const server = net.createServer({ allowHalfOpen: true });
server.listen(args.port, args.host);
try {
  await once(server, 'listening');
} catch (error) {
  exitWithSocketError(error, { address: formatAddress(args.host, args.port) });
}

const open = new Set<net.Socket>();
// Ctrl-C or SIGTERM: stop accepting, end our side of every connection, give
// the clients the grace period to end theirs, then destroy what is left. The
// process exits when the last connection has closed (see the 'close' listener).
let stopping = false;
onShutdownSignal((signal) => {
  console.log(
    `${signal}: closing the server and ${plural(open.size, 'open connection')}`,
  );
  stopping = true;
  server.close();
  if (open.size === 0) process.exit(0);
  for (const socket of open) socket.end();
  setTimeout(() => {
    for (const socket of open) socket.destroy();
  }, SHUTDOWN_GRACE_MS);
});
console.log(`Listening on ${serverAddress(server)}`);

let connectionCount = 0;
server.on('connection', (socket: net.Socket) => {
  const id = ++connectionCount;
  const peer = peerAddress(socket);
  const log = (text: string) => console.log(`[${id}] ${text}`);
  open.add(socket);
  log(`connection from ${peer}`);

  // Many 'data' events in a row print as one line, with how many there were.
  let received = 0;
  let dataRun = { chunks: 0, bytes: 0 };
  const flushData = () => {
    if (dataRun.chunks === 0) return;
    log(`data: ${plural(dataRun.bytes, 'byte')} in ${plural(dataRun.chunks, 'chunk')}`);
    dataRun = { chunks: 0, bytes: 0 };
  };
  socket.on('data', (data: Buffer) => {
    received += data.length;
    dataRun.chunks += 1;
    dataRun.bytes += data.length;
  });

  // The idle timer: a peer that sends nothing for this long is given up on,
  // whether it is silent on purpose or gone without a word (half-open).
  socket.setTimeout(args['idle-timeout'] * 1000);
  socket.on('timeout', () => {
    flushData();
    log(`timeout: nothing for ${args['idle-timeout']} s; destroy()`);
    socket.destroy();
  });
  // Keep-alive: after this long without traffic, the kernel sends probes that
  // the peer's kernel must acknowledge; if none does, the socket fails.
  if (args.keepalive !== undefined) socket.setKeepAlive(true, args.keepalive * 1000);

  // exercise(answer-after-fin): On 'end', log that the peer half-closed with how many
  //   bytes it sent and whether we can still write, then send `Received <n> bytes\n`
  //   and end our side.
  socket.on('end', () => {
    flushData();
    log(
      `end: ${peer} sent FIN after ${plural(received, 'byte')}; writable: ${socket.writable}`,
    );
    // Half-closed: the client will send nothing more, but it may still read,
    // so we answer, then send our own FIN. (Not writable: we ended first.)
    if (socket.writable) socket.end(`Received ${plural(received, 'byte')}\n`);
  });
  // end exercise
  socket.on('finish', () => {
    flushData();
    log('finish: our FIN is sent, after every byte we wrote');
  });
  // exercise(log-errors): On 'error', log the error's code and its message; a peer's
  //   reset must never take the server down.
  socket.on('error', (error) => {
    flushData();
    log(`error: ${errorCode(error) ?? 'no code'} (${error.message})`);
  });
  // end exercise
  socket.on('close', (hadError: boolean) => {
    flushData();
    log(`close: hadError ${hadError}, ${plural(received, 'byte')} received`);
    open.delete(socket);
    if (stopping && open.size === 0) process.exit(0);
  });
});

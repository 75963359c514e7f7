// Lesson 05: the client of the "send buffer fills" demo, the tutorial's
// app-client-test.py in Node terms. It writes fixed-size blocks to a server
// that never reads, until write() returns false, then a few blocks more, and
// reports after each block what it wrote and what Node still holds.
// Run: npx tsx lessons/05-troubleshooting/fill-client.ts [host] [port] [--block BYTES] [--extra N] [--hold SECONDS]

import net from 'node:net';
import { once } from 'node:events';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { parseArgsOrExit } from '../../shared/args.ts';
import { formatAddress } from '../../shared/address.ts';
import { plural } from '../../shared/bytes.ts';
import { exitWithSocketError } from '../../shared/socket-errors.ts';
import { onShutdownSignal } from '../../shared/shutdown.ts';

const args = parseArgsOrExit({
  program: 'fill-client.ts',
  summary:
    'Writes blocks to a server that never reads until write() returns false, then a few more, reporting where the bytes are.',
  positionals: [
    {
      name: 'host',
      kind: 'host',
      default: '127.0.0.1',
      help: 'the server to connect to',
    },
    { name: 'port', kind: 'port', default: '65432', help: "the server's port" },
  ],
  options: {
    block: {
      kind: 'count',
      valueName: 'BYTES',
      default: '262144',
      help: 'how many bytes each write() hands to Node',
    },
    // Ignoring write()'s false grows Node's queue by one block each time; a
    // few blocks show it, and the limit keeps the demo's memory bounded.
    extra: {
      kind: 'count',
      valueName: 'N',
      default: '4',
      help: 'how many blocks to write after write() first returns false',
    },
    hold: {
      kind: 'seconds',
      valueName: 'SECONDS',
      help: 'keep the connection open this long at the limit, to look at it with ss or netstat',
    },
  },
});
const { host, port, block: blockSize, extra, hold } = args;

// A server that does read would never make write() return false; stop there.
const MAX_BYTES = 256 * 1024 * 1024;

const server = formatAddress(host, port);
const socket = net.createConnection({ host, port });
try {
  await once(socket, 'connect');
} catch (error) {
  exitWithSocketError(error, { address: server });
}
// A reset from the server (it was stopped) ends the demo with one clear line.
socket.on('error', (error) => exitWithSocketError(error, { address: server }));
console.log(`Connected to ${server}`);

const block = Buffer.alloc(blockSize, 'x');
let written = 0;
let blocks = 0;
/** The block whose write() first returned false: the limit is `extra` blocks after it. */
let firstFalse: number | undefined;

// exercise(write-until-full): Write blocks, one step line each, until write() has
//   returned false and `extra` more blocks have followed (or MAX_BYTES is reached).
while (written < MAX_BYTES) {
  if (firstFalse !== undefined && blocks - firstFalse >= extra) break;
  // write() never blocks and never refuses: it hands what the kernel takes to
  // the kernel (send()) and queues the rest inside Node. Its return value only
  // says whether that queue is now over its limit (writableHighWaterMark).
  const accepted = socket.write(block);
  written += block.length;
  blocks += 1;
  if (!accepted && firstFalse === undefined) firstFalse = blocks;
  console.log(
    `Block ${blocks}: write() returned ${accepted}; ${written} bytes written, Node queues ${socket.writableLength}`,
  );
  // Let the event loop run once, so libuv can hand queued bytes to the kernel
  // if it has room: what Node still queues afterwards, the kernel would not take.
  await nextTurn();
}
// end exercise

if (firstFalse === undefined) {
  process.stderr.write(
    `Error: write() never returned false after ${plural(written, 'byte')}: is the server reading after all?\n`,
  );
  socket.destroy();
  process.exit(1);
}

// writableLength is what Node holds; the rest has left our process. The kernel
// keeps it in two places: this socket's send queue (Send-Q) and, already
// delivered, the server's receive queue (Recv-Q), until the server reads.
const queued = socket.writableLength;
console.log(
  `Stopped at the limit: ${plural(written, 'byte')} written; Node queues ${queued} (writableLength), ` +
    `the kernel holds the other ${written - queued}: in our send queue (Send-Q) and the server's receive queue (Recv-Q)`,
);

/** Resets the connection: end() would queue a FIN behind bytes nobody will read. */
function giveUp(): void {
  console.log('Resetting the connection: the server will never read what is queued');
  socket.once('close', () => process.exit(0));
  socket.resetAndDestroy();
}

if (hold !== undefined) {
  console.log(
    `Holding the connection for ${hold} s: run "ss -tn" (or "netstat -an") in another terminal`,
  );
  onShutdownSignal(giveUp);
  setTimeout(giveUp, hold * 1000);
} else {
  giveUp();
}

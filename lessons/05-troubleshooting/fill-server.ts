// Lesson 05: a server that accepts connections and never reads from them, the
// tutorial's app-server-test.py. What a client sends piles up in this side's
// receive queue (Recv-Q in `ss`), then in the client's send queue (Send-Q).
// Run: npx tsx lessons/05-troubleshooting/fill-server.ts [host] [port] [--backlog N]

import net from 'node:net';
import { once } from 'node:events';
import { parseArgsOrExit } from '../../shared/args.ts';
import { formatAddress, peerAddress, serverAddress } from '../../shared/address.ts';
import { plural } from '../../shared/bytes.ts';
import { exitWithSocketError } from '../../shared/socket-errors.ts';
import { onShutdownSignal } from '../../shared/shutdown.ts';

const args = parseArgsOrExit({
  program: 'fill-server.ts',
  summary:
    'Accepts connections and never reads from them, so a client fills the queues between them.',
  positionals: [
    {
      name: 'host',
      kind: 'host',
      default: '127.0.0.1',
      help: 'the address to listen on',
    },
    {
      name: 'port',
      kind: 'port',
      default: '65432',
      help: 'the port to listen on (0: any free port)',
    },
  ],
  options: {
    // How many finished handshakes the kernel keeps for us before we accept()
    // them. Node asks for 511. With 1, a stopped server (Ctrl-Z) stops
    // answering new connections after two: the probe then hears nothing.
    backlog: {
      kind: 'count',
      valueName: 'N',
      default: '511',
      help: 'the accept queue length to ask the kernel for',
    },
  },
});
const { host, port, backlog } = args;

// pauseOnConnect: Node normally starts reading a new socket at once, into its
// own buffer. Paused, it never calls recv(), so every byte the client sends
// stays in the kernel, where `ss` and `netstat` can show it.
const server = net.createServer({ pauseOnConnect: true });
const open = new Set<net.Socket>();

server.on('connection', (socket) => {
  const peer = peerAddress(socket);
  open.add(socket);
  console.log(`Accepted connection from ${peer}; never reading from it`);
  // Not reading means we would not even see an error; keep one, so none crashes us.
  socket.on('error', () => {});
  socket.once('close', () => open.delete(socket));
});

server.listen({ port, host, backlog });
try {
  await once(server, 'listening');
} catch (error) {
  exitWithSocketError(error, { address: formatAddress(host, port) });
}

// Ctrl-C: closing a socket with unread bytes in its receive queue makes the
// kernel send a reset (RST), not a FIN: the client learns its bytes were lost.
onShutdownSignal(() => {
  console.log(
    `Interrupted: closing the server and ${plural(open.size, 'open connection')}`,
  );
  server.close();
  for (const socket of open) socket.destroy();
  process.exit(0);
});
console.log(`Listening on ${serverAddress(server)}`);

// Lesson 07: a server that says where it can be reached. It prints every local
// address its listening socket covers, then, for each client, which family the
// connection uses and both of its ends. The tutorial's servers bind 127.0.0.1 or
// '' (all IPv4 interfaces); this one shows what each choice really opens.
// Run: npx tsx lessons/07-addresses/where-server.ts <host> <port> [--ipv6-only]

import net from 'node:net';
import os from 'node:os';
import { once } from 'node:events';
import { parseArgsOrExit } from '../../shared/args.ts';
import { formatAddress, peerAddress, serverAddress } from '../../shared/address.ts';
import { exitWithSocketError } from '../../shared/socket-errors.ts';
import { onShutdownSignal } from '../../shared/shutdown.ts';

const {
  host,
  port,
  'ipv6-only': ipv6Only,
} = parseArgsOrExit({
  program: 'where-server.ts',
  summary:
    'Listens on one address and prints every address it is reachable on, and the family of each connection.',
  positionals: [
    {
      name: 'host',
      kind: 'host',
      help: 'where to listen: 127.0.0.1, ::1, 0.0.0.0 (all IPv4) or :: (all IPv6, and IPv4 too)',
    },
    { name: 'port', kind: 'port' },
  ],
  options: {
    'ipv6-only': {
      kind: 'flag',
      help: 'with ::, accept IPv6 clients only (no IPv4-mapped addresses)',
    },
  },
});

// listen() creates the socket with the family of `host`, binds it and starts
// listening. `ipv6Only` only matters for '::': without it the socket is dual
// stack on Linux, macOS and Windows, and IPv4 clients reach it too.
const server = net.createServer();
// exercise(listen-where-asked): Listen on exactly `host` and `port`, passing ipv6Only
//   through, so that 127.0.0.1 stays loopback-only and --ipv6-only refuses IPv4
//   clients.
server.listen({ host, port, ipv6Only });
// end exercise
try {
  await once(server, 'listening');
} catch (error) {
  exitWithSocketError(error, { address: formatAddress(host, port) });
}
// Ctrl-C or SIGTERM, set up before the Listening line so that no signal finds
// the server without it. Each answer is one short line written as the client
// connects: nothing is worth waiting for, so the server closes and exits at once.
const clients = new Set<net.Socket>();
onShutdownSignal((signal) => {
  console.log(`${signal}: closing the server`);
  server.close();
  for (const socket of clients) socket.destroy();
  process.exit(0);
});

const listening = server.address() as net.AddressInfo;
console.log(`Listening on ${serverAddress(server)}`);

// Which addresses of this machine the socket covers. A specific address covers
// itself; a wildcard covers every address of its family on every interface,
// the network cards included: anyone on your network can then connect.
const wildcard = listening.address === '0.0.0.0' || listening.address === '::';
const families =
  listening.address === '::' && !ipv6Only ? ['IPv6', 'IPv4'] : [listening.family];
if (wildcard) {
  for (const [name, addresses] of Object.entries(os.networkInterfaces())) {
    for (const address of addresses ?? []) {
      if (!families.includes(address.family)) continue;
      const scope = address.scopeid ? `%${name}` : '';
      const where = address.internal
        ? 'loopback, this machine only'
        : address.address.startsWith('fe80:')
          ? 'link-local, this network segment only'
          : 'reachable from the network';
      console.log(
        `Reachable at ${formatAddress(address.address + scope, listening.port)} (${name}, ${where})`,
      );
    }
  }
  console.log(
    `Warning: ${listening.address} listens on every interface; other machines can connect too`,
  );
} else {
  console.log(`Reachable at ${serverAddress(server)} only`);
}

// For each client: what family the connection uses and both of its ends. On a
// dual-stack socket an IPv4 client arrives as an IPv4-mapped IPv6 address,
// ::ffff:127.0.0.1: the packets were IPv4, the socket API shows them as IPv6.
server.on('connection', (socket: net.Socket) => {
  const peer = peerAddress(socket);
  const local = formatAddress(socket.localAddress ?? '?', socket.localPort ?? 0);
  // exercise(describe-family): Set `family` to 'IPv4' or 'IPv6' for the packets on the
  //   wire: an IPv4-mapped address (::ffff:a.b.c.d) is an IPv4 client.
  const mapped = socket.remoteAddress?.startsWith('::ffff:') === true;
  const family = mapped ? 'IPv4' : (socket.remoteFamily ?? 'unknown');
  // end exercise
  const how = mapped ? ', as an IPv4-mapped IPv6 address' : '';
  console.log(`Connection from ${peer} to ${local}: ${family}${how}`);
  clients.add(socket);
  socket.on('close', () => clients.delete(socket));
  // A client that resets before reading its line is no reason to stop serving.
  socket.on('error', () => socket.destroy());
  socket.end(`You reached ${local} from ${peer} over ${family}\n`);
});

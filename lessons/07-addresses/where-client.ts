// Lesson 07: a client that shows which address of a name it connects to. It
// lists what the name resolves to, in the order the system gives, then lets
// Node try them ("happy eyeballs") and prints each attempt and its outcome.
// The tutorial's client connects to one IPv4 address; a name can mean several.
// Run: npx tsx lessons/07-addresses/where-client.ts <host> <port>

import net from 'node:net';
import dns from 'node:dns/promises';
import { once } from 'node:events';
import { parseArgsOrExit } from '../../shared/args.ts';
import { formatAddress } from '../../shared/address.ts';
import { escapeText, plural } from '../../shared/bytes.ts';
import { explainSocketError, exitWithSocketError } from '../../shared/socket-errors.ts';

const {
  host,
  port,
  'attempt-timeout': attemptTimeout,
} = parseArgsOrExit({
  program: 'where-client.ts',
  summary:
    'Resolves a name, tries its addresses in order, and says which one connected.',
  positionals: [
    {
      name: 'host',
      kind: 'host',
      help: 'a name such as localhost, or an IPv4 or IPv6 address',
    },
    { name: 'port', kind: 'port' },
  ],
  options: {
    'attempt-timeout': {
      kind: 'count',
      valueName: 'MS',
      default: '250',
      help: 'how long one address may take before the next one is tried, in ms (Node: at least 10)',
    },
  },
});

const target = formatAddress(host, port);
try {
  // dns.lookup() is what net.connect() calls for a name: the system's resolver,
  // which reads the hosts file first. `all: true` asks for every address, in
  // the order the system prefers (its address-selection rules, RFC 6724).
  const addresses = await dns.lookup(host, { all: true });
  console.log(
    `${host} resolves to ${plural(addresses.length, 'address')}, in this order:`,
  );
  addresses.forEach((entry, index) => {
    console.log(`  ${index + 1}. ${entry.address} (IPv${entry.family})`);
  });

  // With autoSelectFamily, connect() tries the addresses in turn, alternating
  // IPv6 and IPv4, and moves on when one is refused or gives no answer within
  // the attempt timeout. Without it, Node connects to the first address only.
  // exercise(try-every-address): Connect with autoSelectFamily on and the attempt
  //   timeout, logging `Trying <address>` for each attempt and `  failed: <reason>` for
  //   each failure.
  const socket = net.connect({
    host,
    port,
    autoSelectFamily: true,
    autoSelectFamilyAttemptTimeout: attemptTimeout,
  });
  socket.on('connectionAttempt', (ip: string, attemptPort: number) => {
    console.log(`Trying ${formatAddress(ip, attemptPort)}`);
  });
  socket.on(
    'connectionAttemptFailed',
    (ip: string, attemptPort: number, _family: number, error) => {
      console.log(
        `  failed: ${explainSocketError(error, { address: formatAddress(ip, attemptPort) })}`,
      );
    },
  );
  socket.on('connectionAttemptTimeout', (ip: string, attemptPort: number) => {
    console.log(
      `  no answer from ${formatAddress(ip, attemptPort)} within ${attemptTimeout} ms`,
    );
  });
  // end exercise
  await once(socket, 'connect');
  const local = formatAddress(socket.localAddress ?? '?', socket.localPort ?? 0);
  const remote = formatAddress(socket.remoteAddress ?? '?', socket.remotePort ?? 0);
  console.log(
    `Connected to ${remote} from ${local} (${socket.remoteFamily ?? 'unknown family'})`,
  );

  // The server answers with one line and closes; it is text from a peer, so escaped.
  const received: Buffer[] = [];
  for await (const data of socket as AsyncIterable<Buffer>) received.push(data);
  console.log(
    `Server says: ${escapeText(Buffer.concat(received).toString('utf8').trimEnd())}`,
  );
} catch (error) {
  exitWithSocketError(error, { address: target });
}

// Lesson 07: what a name becomes. It asks the two resolvers Node has: dns.lookup(),
// the system's (hosts file, then DNS, as the machine is set up), which is the one
// net.connect() uses; and dns.resolve4/6(), which speak DNS only. The tutorial's
// socket.getaddrinfo() is the first kind.
// Run: npx tsx lessons/07-addresses/lookup.ts <name> [--family 4|6] [--all]

import dns from 'node:dns/promises';
import { parseArgsOrExit, usageLine } from '../../shared/args.ts';
import { errorCode } from '../../shared/socket-errors.ts';

const spec = {
  program: 'lookup.ts',
  summary:
    'Shows what a name resolves to for net.connect(), next to what DNS alone says.',
  positionals: [{ name: 'name', kind: 'host', help: 'a host name such as localhost' }],
  options: {
    family: {
      kind: 'text',
      valueName: '4|6',
      help: 'ask for IPv4 or IPv6 addresses only',
    },
    all: {
      kind: 'flag',
      help: 'list every address, not only the one connect() tries first',
    },
    'dns-server': {
      kind: 'text',
      valueName: 'ADDRESS',
      help: 'ask this DNS server (e.g. 127.0.0.1:5353) instead of the system ones',
    },
  },
} as const;
const args = parseArgsOrExit(spec);
if (args.family !== undefined && args.family !== '4' && args.family !== '6') {
  process.stderr.write(
    `${usageLine(spec)}\n${spec.program}: --family must be 4 or 6\n`,
  );
  process.exit(1);
}
const family = args.family === undefined ? 0 : Number(args.family);
const name = args.name;

// The system's answer, in the order the system prefers: with several addresses,
// connect() tries the first (or, with autoSelectFamily, each in turn). The order
// comes from the system's address-selection rules, which usually put IPv6 first
// when the machine has IPv6; Node keeps that order (its default since Node 17).
// exercise(system-lookup): Ask dns.lookup() for `name` with `family`, every address
//   when args.all is set (else only the first), and print each as `  <n>. <address>
//   (IPv<family>)`.
console.log(`dns.lookup(): what net.connect() gets for ${name}`);
try {
  const addresses = await dns.lookup(name, { family, all: true });
  const shown = args.all ? addresses : addresses.slice(0, 1);
  shown.forEach((entry, index) => {
    console.log(`  ${index + 1}. ${entry.address} (IPv${entry.family})`);
  });
  if (!args.all && addresses.length > 1) {
    console.log(`  (and ${addresses.length - 1} more: add --all to see them)`);
  }
} catch (error) {
  console.log(`  no address: ${describeFailure(error)}`);
}
// end exercise

// DNS alone: a query to a name server, skipping the hosts file. The two answers
// can differ: `localhost` usually comes from the hosts file, not from DNS.
const resolver = new dns.Resolver({ timeout: 2_000, tries: 2 });
if (args['dns-server'] !== undefined) resolver.setServers([args['dns-server']]);
console.log(`DNS alone (asking ${resolver.getServers().join(', ') || 'no server'}):`);
const kinds =
  family === 4
    ? (['A'] as const)
    : family === 6
      ? (['AAAA'] as const)
      : (['A', 'AAAA'] as const);
for (const kind of kinds) {
  try {
    const records =
      kind === 'A' ? await resolver.resolve4(name) : await resolver.resolve6(name);
    for (const address of records) console.log(`  ${kind.padEnd(4)}  ${address}`);
  } catch (error) {
    console.log(`  ${kind.padEnd(4)}  none: ${describeFailure(error)}`);
  }
}

/** A failed lookup in one line: what the code means, then the code. */
function describeFailure(error: unknown): string {
  const code = errorCode(error) ?? 'unknown error';
  const meaning: Record<string, string> = {
    ENOTFOUND: 'no such name',
    ENODATA: 'the name exists, but has no address of this kind',
    EAI_AGAIN: 'the name server did not answer; try again later',
    ETIMEOUT: 'the name server did not answer in time',
    ECONNREFUSED: 'nothing answers DNS queries at that address',
    ESERVFAIL: 'the name server failed to answer',
    EREFUSED: 'the name server refused to answer',
  };
  return `${meaning[code] ?? 'lookup failed'} (${code})`;
}

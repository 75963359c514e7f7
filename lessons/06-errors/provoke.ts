// Lesson 06: the errors gallery. Each scenario causes one socket error on
// purpose, on this machine only, prints what each side saw, then the
// workbook's one-line explanation: the tutorial's table of errors, made to happen.
// Run: npx tsx lessons/06-errors/provoke.ts <error>   (--list shows them all)

import { parseArgsOrExit, usageLine, type CommandSpec } from '../../shared/args.ts';
import { escapeText } from '../../shared/bytes.ts';
import { errorCode, explainSocketError } from '../../shared/socket-errors.ts';
import { childRole } from './children.ts';
import {
  provokeConnectionRefused,
  provokeConnectTimeout,
  provokeHostNotFound,
  provokeLookupTimedOut,
  stuckListener,
} from './connect-errors.ts';
import {
  openUntilEmfile,
  provokeAddressInUse,
  provokeAddressNotAvailable,
  provokeTooManyOpenFiles,
} from './listen-errors.ts';
import {
  provokeBrokenPipe,
  provokeConnectionReset,
  provokeSocketClosed,
  provokeWriteAfterDestroy,
  provokeWriteAfterEnd,
} from './stream-errors.ts';
import type { Outcome } from './transcript.ts';

interface Scenario {
  /** The error code the scenario provokes, also its name on the command line. */
  code: string;
  summary: string;
  provoke: () => Promise<Outcome>;
}

const SCENARIOS: Scenario[] = [
  {
    code: 'EADDRINUSE',
    summary:
      'a second server asks for a port that is taken; then a restart during TIME_WAIT',
    provoke: provokeAddressInUse,
  },
  {
    code: 'EADDRNOTAVAIL',
    summary: 'a server asks for an address this machine does not have',
    provoke: provokeAddressNotAvailable,
  },
  {
    code: 'EMFILE',
    summary:
      'a child process with a limit of 256 open files opens connections until it fails',
    provoke: provokeTooManyOpenFiles,
  },
  {
    code: 'ECONNREFUSED',
    summary: 'a client connects to a port where nobody listens',
    provoke: provokeConnectionRefused,
  },
  {
    code: 'ETIMEDOUT',
    summary: 'a client connects to a server that cannot accept, and gives up',
    provoke: provokeConnectTimeout,
  },
  {
    code: 'ENOTFOUND',
    summary: 'a client connects to a host name that does not exist',
    provoke: provokeHostNotFound,
  },
  {
    code: 'EAI_AGAIN',
    summary: 'a client connects to a host name that no name server answers for',
    provoke: provokeLookupTimedOut,
  },
  {
    code: 'ECONNRESET',
    summary:
      'the server resets the connection, two ways: unread data, resetAndDestroy()',
    provoke: provokeConnectionReset,
  },
  {
    code: 'EPIPE',
    summary: 'a client writes after the server has closed and gone',
    provoke: provokeBrokenPipe,
  },
  {
    code: 'ERR_STREAM_WRITE_AFTER_END',
    summary: 'a client writes after its own end()',
    provoke: provokeWriteAfterEnd,
  },
  {
    code: 'ERR_STREAM_DESTROYED',
    summary: 'a client writes after its own destroy()',
    provoke: provokeWriteAfterDestroy,
  },
  {
    code: 'ERR_SOCKET_CLOSED',
    summary: 'a client writes on a socket before connecting it',
    provoke: provokeSocketClosed,
  },
];

const SPEC = {
  program: 'provoke.ts',
  summary:
    'Causes one socket error on purpose, on this machine only, and shows what each side saw.',
  positionals: [
    {
      name: 'error',
      kind: 'text',
      default: '',
      help: 'the error to provoke, e.g. ECONNREFUSED (--list shows them all)',
    },
  ],
  options: {
    list: { kind: 'flag', help: 'list every error this program can provoke' },
  },
} as const satisfies CommandSpec;

async function main(): Promise<void> {
  const args = parseArgsOrExit(SPEC);
  if (args.list) {
    const width = Math.max(...SCENARIOS.map((scenario) => scenario.code.length));
    for (const scenario of SCENARIOS)
      console.log(`${scenario.code.padEnd(width)}  ${scenario.summary}`);
    return;
  }
  const scenario = SCENARIOS.find((entry) => entry.code === args.error.toUpperCase());
  if (scenario === undefined) {
    const problem =
      args.error === ''
        ? 'name the error to provoke'
        : `there is no scenario for "${escapeText(args.error)}"`;
    process.stderr.write(
      `${usageLine(SPEC)}\nprovoke.ts: ${problem}; --list shows them all\n`,
    );
    process.exit(1);
  }

  console.log(`Provoking ${scenario.code}: ${scenario.summary}`);
  let outcome: Outcome;
  try {
    outcome = await scenario.provoke();
  } catch (error) {
    // A scenario that breaks half-way may leave sockets open: stop everything.
    console.log(`Result: the scenario itself failed: ${explainSocketError(error)}`);
    process.exit(1);
  }
  if (outcome.skipped !== undefined) {
    console.log(`Skipped: ${outcome.skipped}`);
    return;
  }
  const code = errorCode(outcome.error);
  if (outcome.error !== undefined)
    console.log(
      `Explanation: ${explainSocketError(outcome.error, { address: outcome.address })}`,
    );
  if (code === scenario.code) {
    console.log(`Result: ${code} appeared, as expected`);
  } else {
    console.log(
      `Result: expected ${scenario.code}, but ${code ?? 'no error'} appeared`,
    );
    process.exitCode = 1;
  }
  // No process.exit() here: the program ends when nothing is left open, so a
  // socket or child a scenario forgot to close keeps it running, for all to see.
}

// The two child processes some scenarios start are this program again (see children.ts).
const role = childRole();
if (role === 'stuck-listener') stuckListener();
else if (role === 'open-until-emfile') await openUntilEmfile();
else await main();

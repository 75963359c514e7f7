// Lesson 05: a port probe. "Is anything listening there?" answered the way a
// TCP handshake answers it: open (SYN, SYN-ACK), refused (SYN, RST), or no
// answer at all before the timeout, each with the time it took. `ping` cannot
// tell these apart: it asks the host, never a port.
// Run: npx tsx lessons/05-troubleshooting/probe.ts <host> <port> [--timeout MS]

import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { parseArgsOrExit } from '../../shared/args.ts';
import { formatAddress } from '../../shared/address.ts';
import { errorCode, explainSocketError } from '../../shared/socket-errors.ts';

const args = parseArgsOrExit({
  program: 'probe.ts',
  summary:
    'Tries one TCP handshake and says open (exit 0), refused (exit 1) or no answer (exit 2), with the time it took.',
  positionals: [
    { name: 'host', kind: 'host', help: 'the host to probe, e.g. 127.0.0.1' },
    { name: 'port', kind: 'port', help: 'the TCP port to probe' },
  ],
  options: {
    // The kernel itself retries an unanswered SYN for about two minutes;
    // a probe wants its answer sooner.
    timeout: {
      kind: 'count',
      valueName: 'MS',
      default: '3000',
      help: 'how long to wait for an answer, in milliseconds',
    },
  },
});
const { host, port, timeout } = args;
const address = formatAddress(host, port);

type Outcome = 'open' | 'refused' | 'no answer' | 'error';

const started = performance.now();
let lastError: unknown;
const elapsed = () => `${(performance.now() - started).toFixed(1)} ms`;

// exercise(classify-handshake): Try one connection to host:port and set `outcome` to
//   'open' (the handshake completed), 'refused' (ECONNREFUSED), 'no answer' (`timeout`
//   ms passed first) or 'error' (anything else, kept in `lastError`), printing the
//   verdict line for each.
const outcome = await new Promise<Outcome>((resolve) => {
  const socket = net.createConnection({ host, port });
  // Nothing came back, neither SYN-ACK nor RST: the SYN (or its answer) was
  // dropped on the way, or the listener's accept queue is full.
  const timer = setTimeout(() => {
    socket.destroy();
    console.log(`${address}: no answer within ${timeout} ms`);
    resolve('no answer');
  }, timeout);

  // SYN-ACK came back: something listens there. We send nothing and close
  // with a reset: a FIN would leave the server a half-closed connection to
  // clean up, and end() would wait for its FIN, which a busy server may never send.
  socket.once('connect', () => {
    clearTimeout(timer);
    console.log(`${address}: open, the handshake took ${elapsed()}`);
    socket.resetAndDestroy();
    resolve('open');
  });

  socket.once('error', (error) => {
    clearTimeout(timer);
    if (errorCode(error) === 'ECONNREFUSED') {
      // An RST answered our SYN: the host is up, but nothing listens on that
      // port (or a firewall rejects the connection instead of dropping it).
      console.log(`${address}: refused, the answer (a reset) came after ${elapsed()}`);
      resolve('refused');
    } else {
      console.log(`${address}: failed after ${elapsed()}`);
      resolve('error');
    }
    lastError = error;
  });
});
// end exercise

// What usually causes each answer, on stderr, as every program reports a failure.
if (outcome === 'no answer') {
  process.stderr.write(
    `Error: no answer from ${address}: packets are dropped on the way (a firewall that drops them, a host that is down), or the listener's accept queue is full\n`,
  );
} else if (outcome !== 'open') {
  process.stderr.write(`Error: ${explainSocketError(lastError, { address })}\n`);
}
const EXIT_CODES: Record<Outcome, number> = {
  open: 0,
  refused: 1,
  'no answer': 2,
  error: 1,
};
process.exitCode = EXIT_CODES[outcome];

// One line for a socket error: what happened, its code, and its usual cause.
// Node reports failures as Error objects with a `code` such as ECONNREFUSED,
// the same errno names the C socket API and Python's socket module use.

export interface ErrorContext {
  /** The address the program was connecting to or listening on, e.g. `127.0.0.1:65432`. */
  address?: string;
}

/** What happened, and what usually causes it; `address` is filled in. */
type Explain = (address: string) => [what: string, why: string];

const EXPLANATIONS: Record<string, Explain> = {
  ECONNREFUSED: (address) => [
    'connection refused',
    `is the server running on ${address}?`,
  ],
  EADDRINUSE: (address) => [
    'address in use',
    `another program is already listening on ${address}; stop it, or pass port 0 to get a free port`,
  ],
  ECONNRESET: (address) => [
    `connection reset by ${address}`,
    'the other side closed abruptly (it crashed, was killed, or gave up on the connection)',
  ],
  ETIMEDOUT: (address) => [
    'timed out',
    `no answer from ${address}; is the host reachable, and is the port not blocked by a firewall?`,
  ],
  EPIPE: (address) => [
    'broken pipe',
    `tried to send to ${address} after it had closed the connection`,
  ],
  EACCES: (address) => [
    'permission denied',
    `listening on ${address} needs administrator rights (ports below 1024 do); use a port above 1023`,
  ],
  EADDRNOTAVAIL: (address) => [
    'address not available',
    `${address} is not an address of this machine, so nothing can listen there`,
  ],
  ENOTFOUND: (address) => [
    'host not found',
    `the host in ${address} does not resolve to an address; check its spelling`,
  ],
  EAI_AGAIN: (address) => [
    'host lookup failed',
    `the name server did not answer for ${address}; try an IP address`,
  ],
  EMFILE: () => [
    'too many open files',
    'this process reached its limit on open files, and every socket is one (see ulimit -n); raise the limit or open fewer connections',
  ],
  EHOSTUNREACH: (address) => ['host unreachable', `there is no route to ${address}`],
  ENETUNREACH: (address) => [
    'network unreachable',
    `this machine has no route to the network of ${address}`,
  ],
  // Node's own errors: the kernel never saw these calls, so there is no errno.
  ERR_STREAM_WRITE_AFTER_END: () => [
    'write after end',
    'end() already sent FIN on this socket, so it cannot carry more bytes; write everything before calling end()',
  ],
  ERR_STREAM_DESTROYED: () => [
    'socket destroyed',
    'destroy() was already called on this socket (or an error destroyed it), so nothing more can be written',
  ],
  ERR_SOCKET_CLOSED: () => [
    'socket is closed',
    'this socket is not connected (never connected, or already closed); write after connect() succeeds',
  ],
  ERR_SOCKET_CONNECTION_TIMEOUT: (address) => [
    'connection attempt timed out',
    `no address of ${address} answered in time (Node tried each one in turn: autoSelectFamily)`,
  ],
  ABORT_ERR: (address) => [
    'operation aborted',
    `an AbortSignal cancelled the connection to ${address}, e.g. AbortSignal.timeout() ran out`,
  ],
};

export function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** `connection refused (ECONNREFUSED): is the server running on 127.0.0.1:65432?` */
export function explainSocketError(error: unknown, context: ErrorContext = {}): string {
  const code = errorCode(error);
  const explain = code === undefined ? undefined : EXPLANATIONS[code];
  const address = context.address ?? 'the other side';
  if (code !== undefined && explain !== undefined) {
    const [what, why] = explain(address);
    return `${what} (${code}): ${why}`;
  }
  const message = error instanceof Error ? error.message : String(error);
  return code === undefined ? message : `${message} (${code})`;
}

/** Prints the one-line explanation on stderr and exits with 1: no stack trace. */
export function exitWithSocketError(error: unknown, context: ErrorContext = {}): never {
  process.stderr.write(`Error: ${explainSocketError(error, context)}\n`);
  process.exit(1);
}

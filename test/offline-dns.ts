// A preload for lesson programs under test (`node --import <this file, compiled>`):
// names under .invalid fail in dns.lookup() exactly as getaddrinfo() fails for
// a name that does not exist, without a query leaving the machine. RFC 6761
// reserves .invalid: it never resolves, so a real resolver would fail too, only
// later and after asking the network. Every other name goes to the real lookup.
// The programs need no test-only flag: net.connect() and server.listen() call
// dns.lookup() through the module object, so replacing it here is enough.
//
// `eai-again.invalid` (and any name under it) fails with EAI_AGAIN instead, the
// error of a name server that does not answer, so a check can provoke both.

import dns from 'node:dns';

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;

const realLookup = dns.lookup;
const realPromisesLookup = dns.promises.lookup;

/** The error dns.lookup() gives when getaddrinfo() fails: same code, errno, syscall, message. */
export function lookupError(hostname: string): NodeJS.ErrnoException | undefined {
  const name = hostname.toLowerCase().replace(/\.$/, '');
  if (name !== 'invalid' && !name.endsWith('.invalid')) return undefined;
  const [code, errno] =
    name === 'eai-again.invalid' || name.endsWith('.eai-again.invalid')
      ? ['EAI_AGAIN', -3001] // UV_EAI_AGAIN
      : ['ENOTFOUND', -3008]; // UV_EAI_NONAME, which Node names ENOTFOUND
  return Object.assign(new Error(`getaddrinfo ${code} ${hostname}`), {
    code,
    errno,
    syscall: 'getaddrinfo',
    hostname,
  });
}

function offlineLookup(hostname: string, ...rest: unknown[]): void {
  const callback = rest.at(-1) as LookupCallback;
  const error = typeof hostname === 'string' ? lookupError(hostname) : undefined;
  if (error === undefined) {
    (realLookup as (...args: unknown[]) => void)(hostname, ...rest);
    return;
  }
  // A real lookup answers on a later tick, never before it returns.
  process.nextTick(() => callback(error, '', 4));
}

dns.lookup = offlineLookup as typeof dns.lookup;
dns.promises.lookup = ((hostname: string, options?: unknown) => {
  const error = lookupError(hostname);
  if (error !== undefined) return Promise.reject(error);
  return (realPromisesLookup as (...args: unknown[]) => Promise<unknown>)(hostname, options);
}) as typeof dns.promises.lookup;

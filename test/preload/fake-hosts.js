// The harness loads this into every lesson program it starts (node --import), so
// that names resolve the way a check needs, with no query leaving the machine.
// The programs need no test-only flag: net.connect() and server.listen() call
// dns.lookup() through the module object, so replacing it here is enough.
// - Names under `.test`, a top-level domain reserved for testing (RFC 6761), come
//   from WORKBOOK_FAKE_HOSTS, e.g. {"dual.test": ["::1", "127.0.0.1"], "gone.test": []};
//   a name missing from it, or with an empty list, fails with ENOTFOUND.
// - Names under `.invalid` (RFC 6761: never resolves) fail at once as getaddrinfo()
//   fails for a name that does not exist: ENOTFOUND, errno -3008; under
//   `eai-again.invalid`, as for a name server that does not answer: EAI_AGAIN, -3001.
// Every other name is resolved as usual (`localhost` from the hosts file).
// Plain JavaScript, so it loads the same under every Node the checks run on.

import dns from 'node:dns';
import { isIP } from 'node:net';

const table = JSON.parse(process.env.WORKBOOK_FAKE_HOSTS ?? '{}');

/** The error dns.lookup() gives when getaddrinfo() fails: same code, errno, syscall, message. */
function lookupError(host, code, errno) {
  const error = new Error(`getaddrinfo ${code} ${host}`);
  Object.assign(error, { code, errno, syscall: 'getaddrinfo', hostname: host });
  return error;
}

/** The fake answer for `host`, or undefined when the real resolver should answer. */
function fakeAnswer(host, family) {
  if (typeof host !== 'string') return undefined;
  const name = host.toLowerCase().replace(/\.$/, '');
  if (name === 'invalid' || name.endsWith('.invalid')) {
    const again = name === 'eai-again.invalid' || name.endsWith('.eai-again.invalid');
    return {
      error: again ? lookupError(host, 'EAI_AGAIN', -3001) : lookupError(host, 'ENOTFOUND', -3008),
    };
  }
  if (!name.endsWith('.test')) return undefined;
  const addresses = (table[name] ?? [])
    .map((address) => ({ address, family: isIP(address) }))
    .filter((entry) => family === 0 || family === undefined || entry.family === family);
  if (addresses.length > 0) return { addresses };
  return { error: lookupError(host, 'ENOTFOUND', -3008) };
}

function familyOf(options) {
  if (typeof options === 'number') return options;
  const family = options?.family;
  return family === 'IPv4' ? 4 : family === 'IPv6' ? 6 : (family ?? 0);
}

const realLookup = dns.lookup;
dns.lookup = function lookup(host, options, callback) {
  if (typeof options === 'function') [callback, options] = [options, {}];
  const answer = fakeAnswer(host, familyOf(options));
  if (answer === undefined) return realLookup.call(this, host, options, callback);
  if (answer.error) return process.nextTick(callback, answer.error);
  const [first] = answer.addresses;
  if (options?.all) return process.nextTick(callback, null, answer.addresses);
  return process.nextTick(callback, null, first.address, first.family);
};

const realPromiseLookup = dns.promises.lookup;
dns.promises.lookup = async function lookup(host, options = {}) {
  const answer = fakeAnswer(host, familyOf(options));
  if (answer === undefined) return realPromiseLookup.call(this, host, options);
  if (answer.error) throw answer.error;
  return options?.all ? answer.addresses : answer.addresses[0];
};

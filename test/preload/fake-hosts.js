// Loaded into a lesson program by a check (NODE_OPTIONS=--import <this file>), so
// that names resolve the way the check needs with no query leaving the machine.
// Names under `.test`, a top-level domain reserved for testing (RFC 6761), come
// from WORKBOOK_FAKE_HOSTS, e.g. {"dual.test": ["::1", "127.0.0.1"], "gone.test": []};
// an empty list fails with ENOTFOUND, as the system resolver does for an unknown
// name. Every other name is resolved as usual (`localhost` from the hosts file).
// Plain JavaScript, so it loads the same under every Node the checks run on.

import dns from 'node:dns';
import { isIP } from 'node:net';

const table = JSON.parse(process.env.WORKBOOK_FAKE_HOSTS ?? '{}');

/** The fake answer for `host`, or undefined when the real resolver should answer. */
function fakeAnswer(host, family) {
  if (typeof host !== 'string' || !host.endsWith('.test')) return undefined;
  const addresses = (table[host] ?? [])
    .map((address) => ({ address, family: isIP(address) }))
    .filter((entry) => family === 0 || family === undefined || entry.family === family);
  if (addresses.length > 0) return { addresses };
  const error = new Error(`getaddrinfo ENOTFOUND ${host}`);
  Object.assign(error, { code: 'ENOTFOUND', errno: -3008, syscall: 'getaddrinfo', hostname: host });
  return { error };
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

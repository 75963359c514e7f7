// Unit checks of shared/: the argument parser, address and byte formatting,
// and the socket-error explanations every lesson program prints.

import { describe, expect, test } from 'vitest';
import { helpText, parseCommandLine, usageLine, UsageError } from '../shared/args.ts';
import { formatAddress } from '../shared/address.ts';
import { escapeBytes, escapeText, formatBytes, shortenText } from '../shared/bytes.ts';
import { explainSocketError } from '../shared/socket-errors.ts';

const clientSpec = {
  program: 'multiconn-client.ts',
  positionals: [
    { name: 'host', kind: 'host' },
    { name: 'port', kind: 'port' },
    { name: 'num_connections', kind: 'count' },
  ],
  options: {
    'idle-timeout': { kind: 'seconds', valueName: 'SECONDS', default: '30' },
    verbose: { kind: 'flag' },
  },
} as const;

describe('argument parsing', () => {
  test('converts ports and counts to numbers and fills option defaults', () => {
    expect(parseCommandLine(clientSpec, ['127.0.0.1', '0', '3'])).toEqual({
      host: '127.0.0.1',
      port: 0,
      num_connections: 3,
      'idle-timeout': 30,
      verbose: false,
    });
    expect(
      parseCommandLine(clientSpec, ['::1', '65535', '1', '--idle-timeout', '0.5', '--verbose']),
    ).toMatchObject({
      'idle-timeout': 0.5,
      verbose: true,
    });
  });

  test('optional positionals take their defaults', () => {
    const spec = {
      program: 'echo-server.ts',
      positionals: [
        { name: 'host', kind: 'host', default: '127.0.0.1' },
        { name: 'port', kind: 'port', default: '65432' },
      ],
    } as const;
    expect(parseCommandLine(spec, [])).toEqual({ host: '127.0.0.1', port: 65432 });
    expect(usageLine(spec)).toBe('Usage: echo-server.ts [host] [port]');
  });

  test.each([
    [['127.0.0.1', '65536', '1'], /port must be a whole number from 0 to 65535/],
    [['127.0.0.1', '-1', '1'], /"-1" is negative/],
    [['127.0.0.1', '80x', '1'], /port must be a whole number/],
    [['127.0.0.1', '80', '0'], /num_connections must be a whole number of at least 1, got "0"/],
    [['127.0.0.1', '80', '2.5'], /num_connections must be a whole number/],
    [['127.0.0.1', '80'], /expected 3 arguments, got 2/],
    [['127.0.0.1', '80', '1', 'extra'], /expected 3 arguments, got 4/],
    [['', '80', '1'], /host must not be empty/],
    [
      ['127.0.0.1', '80', '1', '--idle-timeout', '0'],
      /--idle-timeout must be a number of seconds above 0/,
    ],
    [['127.0.0.1', '80', '1', '--nope'], /Unknown option '--nope'/],
  ])('rejects %j with a reason', (argv, reason) => {
    expect(() => parseCommandLine(clientSpec, argv)).toThrow(UsageError);
    expect(() => parseCommandLine(clientSpec, argv)).toThrow(reason);
  });

  test('the usage line shows required and optional arguments', () => {
    expect(usageLine(clientSpec)).toBe(
      'Usage: multiconn-client.ts <host> <port> <num_connections> [--idle-timeout SECONDS] [--verbose]',
    );
  });
});

describe('formatting for transcripts', () => {
  test('IPv4 addresses print as host:port, IPv6 in brackets', () => {
    expect(formatAddress('127.0.0.1', 65432)).toBe('127.0.0.1:65432');
    expect(formatAddress('::1', 65432)).toBe('[::1]:65432');
    expect(formatAddress('localhost', 80)).toBe('localhost:80');
  });

  test('bytes print as escaped text with their count', () => {
    expect(formatBytes('Hello, world')).toBe("'Hello, world' (12 bytes)");
    expect(formatBytes(Buffer.of(0x00, 0x1f, 0x7b, 0x22))).toBe(`'\\x00\\x1f{"' (4 bytes)`);
    expect(formatBytes('a')).toBe("'a' (1 byte)");
    expect(escapeBytes(Buffer.from("tab\there\r\n'q' \\ 🐰"))).toBe(
      "tab\\there\\r\\n\\'q\\' \\\\ \\xf0\\x9f\\x90\\xb0",
    );
  });

  test('long text is cut to whole characters, never half an emoji', () => {
    expect(shortenText('🐰🐰🐰', 2)).toBe('🐰🐰...');
    expect(shortenText('short', 10)).toBe('short');
  });

  test('long payloads are cut to their first bytes, with the full count', () => {
    expect(formatBytes(Buffer.alloc(1024 * 1024, 'x'), 4)).toBe("'xxxx...' (1048576 bytes)");
  });
});

describe('socket error explanations', () => {
  const withCode = (code: string) => Object.assign(new Error(`connect ${code}`), { code });

  test.each([
    [
      'ECONNREFUSED',
      'connection refused (ECONNREFUSED): is the server running on 127.0.0.1:65432?',
    ],
    ['EADDRINUSE', /^address in use \(EADDRINUSE\): .*127\.0\.0\.1:65432.*port 0/],
    [
      'ECONNRESET',
      /^connection reset by 127\.0\.0\.1:65432 \(ECONNRESET\): the other side closed abruptly/,
    ],
    ['ETIMEDOUT', /^timed out \(ETIMEDOUT\): no answer from 127\.0\.0\.1:65432/],
    ['EPIPE', /^broken pipe \(EPIPE\): /],
    ['EACCES', /^permission denied \(EACCES\): .*below 1024/],
    ['EMFILE', /^too many open files \(EMFILE\): .*ulimit -n/],
  ])('%s gets one line naming the code and its usual cause', (code, expected) => {
    const line = explainSocketError(withCode(code), { address: '127.0.0.1:65432' });
    expect(line).not.toContain('\n');
    if (typeof expected === 'string') expect(line).toBe(expected);
    else expect(line).toMatch(expected);
  });

  test('an unknown code keeps the original message and names the code', () => {
    expect(explainSocketError(withCode('EWEIRD'))).toBe('connect EWEIRD (EWEIRD)');
  });
});

describe('escaping text a peer controls', () => {
  test('control, C1, bidi and separator characters become visible escapes', () => {
    expect(escapeText('a\x1b]0;title\x07b')).toBe('a\\x1b]0;title\\x07b');
    expect(escapeText('line\nforged\r')).toBe('line\\nforged\\r');
    expect(escapeText('\u009b2J')).toBe('\\x9b2J');
    expect(escapeText('abc\u202edcba\u2066x\u2069')).toBe('abc\\u202edcba\\u2066x\\u2069');
    expect(escapeText('\u2028\u007f\u0000')).toBe('\\u2028\\x7f\\x00');
  });

  test('printable text, accents and emoji are unchanged', () => {
    for (const text of ['Hello, world', 'café', '🐾 Playing ball! 🏐', "it's a \\ path"]) {
      expect(escapeText(text)).toBe(text);
    }
  });
});

describe('--help', () => {
  test('lists every argument and option with what it means', () => {
    const text = helpText({ ...clientSpec, summary: 'Opens connections.' });
    const lines = text.split('\n');
    expect(lines[0]).toBe(usageLine(clientSpec));
    expect(lines).toContain('Opens connections.');
    for (const label of [
      'host',
      'port',
      'num_connections',
      '--idle-timeout SECONDS',
      '--verbose',
      '--help',
    ]) {
      expect(text).toMatch(new RegExp(`^  ${label.replace(/-/g, '\\-')}\\s+\\S`, 'm'));
    }
    expect(text).toContain('(default 30)');
  });
});

// Checks for lesson 04, the application server and client. The same checks run
// against a learner's copy with `npm run check -- 04`, so their titles say what
// a program must do. Expected bytes are built here by hand, not with the codec,
// so a codec bug cannot hide behind itself.

import net from 'node:net';
import { once } from 'node:events';
import { describe, expect, test } from 'vitest';
import { escapeBytes } from '../shared/bytes.ts';
import { encodeJson, encodeMessage } from '../lessons/03-framing/frame.ts';
import { escapeRegExp, outputOf, programPath, runProgram, startServer } from './harness.ts';
import {
  connectNonReader,
  connectRaw,
  exchange,
  readBytes,
  readUntilClose,
} from './net-helpers.ts';
import { expectHelpText, RAW_TERMINAL_CONTROL, TERMINAL_ATTACK } from './output-checks.ts';
import {
  ANSWERS,
  ask,
  binaryRequest,
  binaryResponse,
  frame,
  headerText,
  jsonFrame,
  jsonResponse,
  linesAbout,
  localAddr,
  prefixed,
  searchRequest,
  shown,
} from './app-wire.ts';

const serverFile = programPath('04', 'app-server.ts');
const clientFile = programPath('04', 'app-client.ts');

describe('lesson 04: application server and client', () => {
  test('app-client gets each search answer and the no-match answer, and both sides log the bytes', async () => {
    const server = await startServer(serverFile);
    const queries = [...Object.keys(ANSWERS), 'nobody'];
    const results = await Promise.all(
      queries.map((query) =>
        runProgram(clientFile, ['127.0.0.1', String(server.port), 'search', query]),
      ),
    );
    for (const [index, query] of queries.entries()) {
      const result = results[index]!;
      const output = outputOf(result, server);
      const answer = ANSWERS[query] ?? `No match for "${query}".`;
      const response = jsonResponse(answer);
      const contentLength = response.length - 2 - response.readUInt16BE(0);
      const to = `127.0.0.1:${server.port}`;
      expect(result.exitCode, output).toBe(0);
      expect(result.stdoutLines, output).toEqual([
        `Starting connection to ${to}`,
        `Sending ${shown(searchRequest(query))} to ${to}`,
        `Received response header ${headerText('text/json', 'utf-8', contentLength)} from ${to}`,
        `Got result: ${answer}`,
        `Closing connection to ${to}`,
      ]);
      const request = `{"action": "search", "value": ${JSON.stringify(query)}}`;
      const [, addr] = await server.waitForLine(
        new RegExp(`^Received request ${escapeRegExp(request)} from (\\S+)$`),
      );
      expect(await linesAbout(server, addr!), output).toEqual([
        `Accepted connection from ${addr}`,
        `Received request ${request} from ${addr}`,
        `Sending ${shown(response)} to ${addr}`,
        `Closing connection to ${addr}`,
      ]);
    }
  });

  test('app-client sends any other action as binary and prints the first 10 bytes the server returns', async () => {
    const server = await startServer(serverFile);
    const result = await runProgram(clientFile, ['127.0.0.1', String(server.port), 'binary', '😃']);
    const output = outputOf(result, server);
    const request = Buffer.from('binary😃', 'utf8');
    const to = `127.0.0.1:${server.port}`;
    expect(result.exitCode, output).toBe(0);
    expect(result.stdoutLines, output).toEqual([
      `Starting connection to ${to}`,
      `Sending ${shown(binaryRequest(request))} to ${to}`,
      `Received response header ${headerText('binary/custom-server-binary-type', 'binary', 37)} from ${to}`,
      "Got response: 'First 10 bytes of request: binary\\xf0\\x9f\\x98\\x83' (37 bytes)",
      `Closing connection to ${to}`,
    ]);
    const [, addr] = await server.waitForLine(
      /^Received binary\/custom-client-binary-type request from (\S+)$/,
    );
    expect(await linesAbout(server, addr!), output).toEqual([
      `Accepted connection from ${addr}`,
      `Received binary/custom-client-binary-type request from ${addr}`,
      `Sending ${shown(binaryResponse(request))} to ${addr}`,
      `Closing connection to ${addr}`,
    ]);
  });

  test('the server answers each request with exactly the protocol bytes, an unknown JSON action included', async () => {
    const server = await startServer(serverFile);
    const longBinary = Buffer.from('twenty bytes of data', 'utf8');
    const cases: Array<[string, Buffer, Buffer]> = [
      ...Object.entries(ANSWERS).map(([query, answer]): [string, Buffer, Buffer] => [
        query,
        searchRequest(query),
        jsonResponse(answer),
      ]),
      ['no match', searchRequest('nobody'), jsonResponse('No match for "nobody".')],
      [
        'unknown JSON action',
        jsonFrame('{"action": "delete", "value": "x"}'),
        jsonResponse('Error: invalid action "delete".'),
      ],
      ['binary', binaryRequest(Buffer.from('binary😃')), binaryResponse(Buffer.from('binary😃'))],
      ['binary longer than 10 bytes', binaryRequest(longBinary), binaryResponse(longBinary)],
      // A Python client on a big-endian machine: other byte order, other field order, an extra field.
      [
        'big-endian sender',
        prefixed(
          '{"content-length": 41, "content-encoding": "utf-8", "content-type": "text/json", "byteorder": "big", "x-note": 1}',
          Buffer.from('{"action": "search", "value": "morpheus"}'),
        ),
        jsonResponse(ANSWERS.morpheus!),
      ],
    ];
    const replies = await Promise.all(cases.map(([, request]) => ask(server.port, request)));
    cases.forEach(([name, , expected], index) => {
      const reply = replies[index]!;
      expect(escapeBytes(reply), `${name}: the response bytes differ${outputOf(server)}`).toBe(
        escapeBytes(expected),
      );
    });
    // A client that closes its sending side after the request still gets the answer.
    const halfClosed = await exchange(server.port, searchRequest('ring'));
    expect(escapeBytes(halfClosed), `half-closed client${outputOf(server)}`).toBe(
      escapeBytes(jsonResponse(ANSWERS.ring!)),
    );
    await server.waitForLine(/^Received request \{"action": "delete", "value": "x"\} from \S+$/);
  });

  test('a request written one byte at a time is answered once, and only after its last byte', async () => {
    const server = await startServer(serverFile);
    const slow = await connectRaw(server.port);
    slow.setNoDelay(true);
    let early = 0;
    slow.on('data', (chunk: Buffer) => (early += chunk.length));
    const reply = readUntilClose(slow);
    const request = searchRequest('🐶');
    for (const byte of request.subarray(0, -1)) {
      slow.write(Buffer.of(byte));
      await new Promise((resolve) => setImmediate(resolve));
    }
    // Another client's full round trip: by then the server has seen the slow bytes.
    const other = await ask(server.port, searchRequest('morpheus'));
    expect(escapeBytes(other), outputOf(server)).toBe(escapeBytes(jsonResponse(ANSWERS.morpheus!)));
    expect(early, `the server answered before the last byte arrived${outputOf(server)}`).toBe(0);
    slow.write(request.subarray(-1));
    expect(escapeBytes(await reply), outputOf(server)).toBe(
      escapeBytes(jsonResponse(ANSWERS['🐶']!)),
    );
    const lines = await linesAbout(server, localAddr(slow));
    expect(
      lines.filter((line) => line.startsWith('Received request')),
      outputOf(server),
    ).toHaveLength(1);
  });

  test('each malformed request closes only its own connection with one logged reason, while other clients are served', async () => {
    const server = await startServer(serverFile, { extraArgs: ['--max-content-length', '1024'] });
    const port = server.port;
    const search = Buffer.from('{"action": "search", "value": "morpheus"}');
    const rows: Array<{ name: string; bytes: Buffer; then?: 'end' | 'reset'; reason: string }> = [
      {
        name: 'a content-length above --max-content-length, refused before any content',
        bytes: prefixed(headerText('text/json', 'utf-8', 2048)),
        reason: 'Protocol error from ADDR: "content-length" is 2048 bytes, above the limit of 1024',
      },
      {
        name: 'a header that is not JSON',
        bytes: prefixed('{"byteorder": little}'),
        reason: 'Protocol error from ADDR: header is not valid JSON',
      },
      {
        name: 'a header that is not UTF-8',
        bytes: prefixed(Buffer.from([0x7b, 0xff, 0xfe, 0x7d])),
        reason: 'Protocol error from ADDR: header is not valid UTF-8',
      },
      {
        name: 'a header that is not an object',
        bytes: prefixed('[1, 2]'),
        reason: 'Protocol error from ADDR: header is JSON but not an object',
      },
      {
        name: 'a header missing content-encoding',
        bytes: prefixed(
          `{"byteorder": "little", "content-type": "text/json", "content-length": ${search.length}}`,
          search,
        ),
        reason: 'Protocol error from ADDR: header is missing "content-encoding"',
      },
      {
        name: 'a content-length that is not a number',
        bytes: prefixed(
          '{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": "41"}',
          search,
        ),
        reason: 'Protocol error from ADDR: "content-length" must be a whole number of bytes',
      },
      {
        name: 'a header cut short by the client closing its side',
        bytes: prefixed(headerText('text/json', 'utf-8', 41)).subarray(0, 20),
        then: 'end',
        reason: 'Protocol error from ADDR: stream ended in the middle of a message',
      },
      {
        name: 'content cut short by the client closing its side',
        bytes: searchRequest('morpheus').subarray(0, -5),
        then: 'end',
        reason: 'Protocol error from ADDR: stream ended in the middle of a message',
      },
      {
        name: 'JSON content that is not UTF-8',
        bytes: frame('text/json', 'utf-8', Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x7d])),
        reason: 'Protocol error from ADDR: content is not valid UTF-8',
      },
      {
        name: 'JSON content that is not JSON',
        bytes: jsonFrame('{"action": search}'),
        reason: 'Protocol error from ADDR: content is not valid JSON',
      },
      {
        name: 'JSON content that is not an object',
        bytes: jsonFrame('["search", "morpheus"]'),
        reason: 'Protocol error from ADDR: content is JSON but not an object',
      },
      {
        name: 'an action that is not a string',
        bytes: jsonFrame('{"action": 7, "value": "x"}'),
        reason: 'Protocol error from ADDR: "action" must be a string',
      },
      {
        name: 'text/json in an encoding other than UTF-8',
        bytes: frame('text/json', 'latin-1', search),
        reason:
          'Protocol error from ADDR: content-encoding "latin-1" is not supported for text/json',
      },
      {
        name: 'a client that resets the connection mid-request',
        bytes: searchRequest('ring').subarray(0, 30),
        then: 'reset',
        reason: 'Connection reset by ADDR (ECONNRESET)',
      },
    ];
    // The real client, running alongside the whole table.
    const appClient = runProgram(clientFile, ['127.0.0.1', String(port), 'search', 'ring']);
    for (const row of rows) {
      // A well-behaved client is in the middle of its request when the bad bytes arrive.
      const good = await connectRaw(port);
      const goodReply = readUntilClose(good);
      goodReply.catch(() => undefined); // awaited at the end of the row
      const goodRequest = searchRequest('morpheus');
      good.write(goodRequest.subarray(0, 20));

      const bad = await connectRaw(port);
      const addr = localAddr(bad);
      const output = () => `${row.name}${outputOf(server)}`;
      if (row.then === 'reset') {
        // A full round trip on a third connection gives the server time to read
        // the partial request first: the reset then meets an idle connection.
        bad.write(row.bytes);
        await ask(port, searchRequest('ring'));
        bad.resetAndDestroy();
      } else {
        const badReply = readUntilClose(bad, 5_000);
        if (row.then === 'end') bad.end(row.bytes);
        else bad.write(row.bytes);
        expect((await badReply).length, `the server answered a bad request: ${output()}`).toBe(0);
      }
      const lines = await linesAbout(server, addr);
      expect(lines, output()).toHaveLength(3);
      expect(lines[0], output()).toBe(`Accepted connection from ${addr}`);
      expect(lines[1]!.startsWith(row.reason.replace('ADDR', addr)), output()).toBe(true);
      expect(lines[2], output()).toBe(`Closing connection to ${addr}`);

      good.write(goodRequest.subarray(20));
      expect(escapeBytes(await goodReply), `the other client was not answered: ${output()}`).toBe(
        escapeBytes(jsonResponse(ANSWERS.morpheus!)),
      );
    }
    const result = await appClient;
    expect(result.exitCode, outputOf(result, server)).toBe(0);
    expect(result.stdoutLines, outputOf(result, server)).toContain(`Got result: ${ANSWERS.ring}`);
  });

  test('a connection that goes quiet is closed after --idle-timeout with a logged reason, while other clients are served', async () => {
    const server = await startServer(serverFile, { extraArgs: ['--idle-timeout', '1'] });
    const started = performance.now();
    const quiet = await Promise.all([
      connectRaw(server.port),
      connectRaw(server.port),
      connectRaw(server.port),
    ]);
    const addrs = quiet.map(localAddr);
    const closed = quiet.map((socket) => readUntilClose(socket, 5_000));
    quiet[1].write(searchRequest('ring').subarray(0, 1)); // stops inside the header length
    quiet[2].write(searchRequest('ring').subarray(0, -3)); // stops inside the content
    // Served while the quiet ones wait, by a raw client and by the real app-client.
    const appClient = runProgram(clientFile, [
      '127.0.0.1',
      String(server.port),
      'search',
      'morpheus',
    ]);
    expect(escapeBytes(await ask(server.port, searchRequest('ring'))), outputOf(server)).toBe(
      escapeBytes(jsonResponse(ANSWERS.ring!)),
    );
    const result = await appClient;
    expect(result.exitCode, outputOf(result, server)).toBe(0);
    expect(result.stdoutLines, outputOf(result, server)).toContain(
      `Got result: ${ANSWERS.morpheus}`,
    );
    const received = await Promise.all(closed);
    for (const [index, addr] of addrs.entries()) {
      expect(received[index]!.length, outputOf(server)).toBe(0);
      expect(await linesAbout(server, addr), outputOf(server)).toEqual([
        `Accepted connection from ${addr}`,
        `Idle timeout: no data to or from ${addr} for 1 s`,
        `Closing connection to ${addr}`,
      ]);
    }
    expect(performance.now() - started, 'closed before the idle timeout').toBeGreaterThan(900);
  });

  test('200 concurrent clients are all answered correctly, the first one last', async () => {
    const server = await startServer(serverFile);
    const CLIENTS = 200;
    const kinds = [...Object.keys(ANSWERS), 'unknown', 'binary'];
    const cases = Array.from({ length: CLIENTS }, (_, index) => {
      const kind = kinds[index % kinds.length]!;
      if (kind === 'binary') {
        const bytes = Buffer.from(`client ${index} sends bytes`);
        const request = encodeMessage({
          contentType: 'binary/custom-client-binary-type',
          contentEncoding: 'binary',
          content: bytes,
        });
        return { request, expected: binaryResponse(bytes) };
      }
      const value = kind === 'unknown' ? `query ${index}` : kind;
      const request = encodeMessage({
        contentType: 'text/json',
        contentEncoding: 'utf-8',
        content: encodeJson({ action: 'search', value }),
      });
      return { request, expected: jsonResponse(ANSWERS[value] ?? `No match for "${value}".`) };
    });
    // Every connection is open before any request is sent. The first one sends
    // last: a server that serves connections one at a time waits on it forever.
    const sockets = await Promise.all(cases.map(() => connectRaw(server.port)));
    const replies = sockets.map((socket) => readUntilClose(socket));
    replies[0]!.catch(() => undefined); // awaited below; a failure must not go unhandled meanwhile
    sockets.slice(1).forEach((socket, index) => socket.write(cases[index + 1]!.request));
    const rest = await Promise.all(replies.slice(1));
    sockets[0]!.write(cases[0]!.request);
    const all = [await replies[0]!, ...rest];
    const wrong = all.flatMap((reply, index) =>
      reply.equals(cases[index]!.expected) ? [] : [index],
    );
    expect(wrong, `clients with a wrong answer${outputOf(server)}`).toEqual([]);
  });

  test('app-client exits 1 with one clear line when the server closes early or sends a malformed response', async () => {
    // Fake servers: each reads the request, sends its reply (maybe nothing) and closes.
    const cases: Array<[name: string, reply: Buffer, error: (addr: string) => string]> = [
      [
        'closes without answering',
        Buffer.alloc(0),
        (addr) => `${addr} closed the connection without sending a response`,
      ],
      [
        'stops in the middle of the response',
        jsonResponse(ANSWERS.ring!).subarray(0, 50),
        (addr) => `${addr} closed the connection in the middle of a response`,
      ],
      [
        'sends a header that is not JSON',
        prefixed('nope!'),
        (addr) => `malformed response from ${addr}: header is not valid JSON: "nope!"`,
      ],
      [
        'answers with a result that is not a string',
        jsonFrame('{"result": 7}'),
        (addr) => `malformed response from ${addr}: "result" must be a string, got 7`,
      ],
    ];
    const fakes = cases.map(([, reply]) =>
      net.createServer((socket) => {
        // Reading the request first means closing never resets a connection with unread bytes.
        socket.once('data', () => socket.end(reply));
      }),
    );
    try {
      const ports = await Promise.all(
        fakes.map(async (fake) => {
          fake.listen(0, '127.0.0.1');
          await once(fake, 'listening');
          return (fake.address() as net.AddressInfo).port;
        }),
      );
      const results = await Promise.all(
        ports.map((port) => runProgram(clientFile, ['127.0.0.1', String(port), 'search', 'ring'])),
      );
      cases.forEach(([name, , error], index) => {
        const result = results[index]!;
        const output = `${name}${outputOf(result)}`;
        expect(result.exitCode, output).toBe(1);
        expect(result.stderrLines, output).toEqual([
          `Error: ${error(`127.0.0.1:${ports[index]}`)}`,
        ]);
      });
    } finally {
      for (const fake of fakes) fake.close();
    }
  });

  test('bad arguments print the usage line and the reason, and exit 1', async () => {
    const serverUsage =
      'Usage: app-server.ts <host> <port> [--max-content-length BYTES] [--max-buffered BYTES] [--max-connections COUNT] [--idle-timeout SECONDS] [--deadline SECONDS]';
    const cases: Array<[file: string, args: string[], usage: string, reason: RegExp]> = [
      [serverFile, [], serverUsage, /expected 2 arguments, got 0/],
      [
        serverFile,
        ['127.0.0.1', '0', '--idle-timeout', 'soon'],
        serverUsage,
        /--idle-timeout must be a number of seconds/,
      ],
      [
        clientFile,
        ['127.0.0.1', '65432', 'search'],
        'Usage: app-client.ts <host> <port> <action> <value> [--deadline SECONDS]',
        /expected 4 arguments, got 3/,
      ],
    ];
    const results = await Promise.all(cases.map(([file, args]) => runProgram(file, args)));
    cases.forEach(([, args, usage, reason], index) => {
      const result = results[index]!;
      const output = `arguments ${JSON.stringify(args)}${outputOf(result)}`;
      expect(result.exitCode, output).toBe(1);
      expect(result.stderrLines[0], output).toBe(usage);
      expect(result.stderrLines[1], output).toMatch(reason);
      expect(result.stdoutLines, output).toEqual([]);
    });
  });

  test('Ctrl-C (SIGINT) closes the open connections and exits 0', async () => {
    const server = await startServer(serverFile);
    const socket = await connectRaw(server.port);
    const addr = localAddr(socket);
    socket.write(searchRequest('ring').subarray(0, 10));
    await server.waitForLine(new RegExp(`^Accepted connection from ${escapeRegExp(addr)}$`));
    const closed = once(socket, 'close');
    server.signal('SIGINT');
    const done = await server.waitForExit();
    expect(done.exitCode, outputOf(done)).toBe(0);
    expect(done.stdoutLines.slice(-2), outputOf(done)).toEqual([
      'Interrupted: closing the server and 1 open connection',
      `Closing connection to ${addr}`,
    ]);
    await closed;
  });
});

/**
 * A stand-in server written here: it reads the client's whole request, then
 * sends `pieces` one by one with a pause between them, then closes. So a check
 * controls exactly how a response arrives, as a real network may deliver it.
 */
async function standIn(request: Buffer, pieces: Buffer[]): Promise<net.Server> {
  const server = net.createServer((socket) => {
    socket.on('error', () => {}); // a check fails on what the client printed, not on a stray reset
    void (async () => {
      await readBytes(socket, request.length);
      for (const [index, piece] of pieces.entries()) {
        if (index > 0) await new Promise((resolve) => setTimeout(resolve, 50));
        socket.write(piece);
      }
      socket.end();
    })().catch(() => socket.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

/** `bytes` cut at the given offsets. */
function cutAt(bytes: Buffer, offsets: number[]): Buffer[] {
  return [0, ...offsets].map((start, index) => bytes.subarray(start, offsets[index]));
}

/** Runs app-client against a stand-in that answers `pieces`; returns the result and the stand-in's address. */
async function clientAgainst(action: string, value: string, request: Buffer, pieces: Buffer[]) {
  const server = await standIn(request, pieces);
  try {
    const to = `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
    const result = await runProgram(clientFile, ['127.0.0.1', to.split(':')[1]!, action, value]);
    return { result, to, output: outputOf(result) };
  } finally {
    server.close();
  }
}

/** The characters that must never reach a terminal raw from a peer: C0 controls and DEL. */
const CONTROL = /[\x00-\x1f\x7f]/;

describe('lesson 04: app-client against stand-in servers', () => {
  test('app-client prints a response that arrives in several pieces with pauses, a character split between two of them', async () => {
    const response = jsonResponse(ANSWERS.ring!);
    const ring = response.indexOf(Buffer.from('💍'));
    // Cut inside the 2-byte prefix, inside the header, and inside the ring's 4 bytes.
    const pieces = cutAt(response, [1, 40, ring + 2]);
    const { result, to, output } = await clientAgainst(
      'search',
      'ring',
      searchRequest('ring'),
      pieces,
    );
    expect(result.exitCode, output).toBe(0);
    expect(result.stdoutLines, output).toEqual([
      `Starting connection to ${to}`,
      `Sending ${shown(searchRequest('ring'))} to ${to}`,
      `Received response header ${headerText('text/json', 'utf-8', 60)} from ${to}`,
      `Got result: ${ANSWERS.ring}`,
      `Closing connection to ${to}`,
    ]);
  });

  test('app-client shows a binary answer as its bytes, even when they end inside a character and arrive split', async () => {
    // x and three smileys: the server's answer holds the first 10 bytes, which
    // end with the first byte of the third smiley. That is not valid UTF-8.
    const request = binaryRequest(Buffer.from('x😃😃😃'));
    const response = binaryResponse(Buffer.from('x😃😃😃'));
    const pieces = cutAt(response, [response.length - 6]);
    const { result, to, output } = await clientAgainst('x', '😃😃😃', request, pieces);
    expect(result.exitCode, output).toBe(0);
    expect(result.stdoutLines, output).toEqual([
      `Starting connection to ${to}`,
      `Sending ${shown(request)} to ${to}`,
      `Received response header ${headerText('binary/custom-server-binary-type', 'binary', 37)} from ${to}`,
      "Got response: 'First 10 bytes of request: x\\xf0\\x9f\\x98\\x83\\xf0\\x9f\\x98\\x83\\xf0' (37 bytes)",
      `Closing connection to ${to}`,
    ]);
  });

  test('app-client prints a response followed by garbage in the same read, and exits 0', async () => {
    const response = Buffer.concat([jsonResponse(ANSWERS.morpheus!), prefixed('nope!')]);
    const { result, output } = await clientAgainst(
      'search',
      'morpheus',
      searchRequest('morpheus'),
      [response],
    );
    expect(result.exitCode, output).toBe(0);
    expect(result.stdoutLines, output).toContain(`Got result: ${ANSWERS.morpheus}`);
    expect(result.stderrLines, output).toEqual([]);
  });

  test('app-client prints a result holding newlines and control characters on one line, so a server cannot forge a line', async () => {
    const text = 'ok\nGot result: forged\r\x1b[2J\x1b]0;title\x07';
    const { result, to, output } = await clientAgainst('search', 'ring', searchRequest('ring'), [
      jsonResponse(text),
    ]);
    expect(result.exitCode, output).toBe(0);
    expect(
      result.stdoutLines,
      `the server's text broke the output into extra lines${output}`,
    ).toHaveLength(5);
    expect(result.stdoutLines[3], output).toMatch(/^Got result: .*forged/);
    expect(result.stdoutLines[4], output).toBe(`Closing connection to ${to}`);
    for (const line of result.stdoutLines)
      expect(line, `a control character reached the terminal${output}`).not.toMatch(CONTROL);
  });
});

describe('lesson 04: the server at the edges of the protocol', () => {
  test('the server answers a binary request with its first 10 bytes, not its first 10 characters, even when they end inside a character', async () => {
    const server = await startServer(serverFile);
    const requests = [
      Buffer.from('ééééééé'), // 7 characters, 14 bytes: the answer holds 5 of them
      Buffer.from('x😃😃😃'), // ends 1 byte into the third smiley
      Buffer.from([0xff, 0xfe, 0x00, 0x80, 0xc3, 0x28, 0xf0, 0x9f, 0x98, 0x41, 0x42, 0x43]),
    ];
    const replies = await Promise.all(
      requests.map((bytes) => ask(server.port, binaryRequest(bytes))),
    );
    requests.forEach((bytes, index) => {
      expect(
        escapeBytes(replies[index]!),
        `the answer to '${escapeBytes(bytes)}' differs${outputOf(server)}`,
      ).toBe(escapeBytes(binaryResponse(bytes)));
    });
  });

  test("the server names each client by the client's own address and port in every line about it", async () => {
    const server = await startServer(serverFile);
    const socket = await connectRaw(server.port);
    const peer = localAddr(socket);
    const reply = readUntilClose(socket);
    socket.write(searchRequest('ring'));
    await reply;
    await server.waitForLine(/^Closing connection to /);
    expect(server.stdoutLines.slice(1), outputOf(server)).toEqual([
      `Accepted connection from ${peer}`,
      `Received request {"action": "search", "value": "ring"} from ${peer}`,
      `Sending ${shown(jsonResponse(ANSWERS.ring!))} to ${peer}`,
      `Closing connection to ${peer}`,
    ]);
  });

  test("the server's log shows a peer's text with newlines and control characters escaped, one line per event", async () => {
    const server = await startServer(serverFile);
    const forged = '\nAccepted connection from 6.6.6.6:666\r\x1b[2J\x1b]0;title\x07';
    const type = `binary/x${forged}`;
    const requests = [
      searchRequest(`x${forged}`),
      jsonFrame(`{"action": ${JSON.stringify(`delete${forged}`)}, "value": "x"}`),
      prefixed(
        `{"byteorder": "little", "content-type": ${JSON.stringify(type)}, "content-encoding": "binary", "content-length": 3}`,
        Buffer.from('abc'),
      ),
    ];
    for (const request of requests) await ask(server.port, request);
    // One "Closing connection" line per request, each found after the one before.
    let from = 0;
    for (let count = 0; count < requests.length; count++) {
      await server.waitForLine(/^Closing connection to /, { from });
      from =
        server.stdoutLines.findIndex((line, at) => at >= from && line.startsWith('Closing')) + 1;
    }
    const output = outputOf(server);
    const lines = server.stdoutLines.slice(1);
    expect(lines, `a peer's text broke the log into extra lines${output}`).toHaveLength(12);
    expect(
      lines.filter((line) => line.startsWith('Accepted connection from ')),
      `a peer forged a log line${output}`,
    ).toHaveLength(3);
    for (const line of lines)
      expect(line, `a control character reached the terminal${output}`).not.toMatch(CONTROL);
  });

  test('an answer too big to go out in one write is sent whole, then the server closes the connection', async () => {
    const server = await startServer(serverFile, {
      extraArgs: ['--max-content-length', String(16 * 1024 * 1024)],
    });
    // 8 MiB: more than the kernel takes at once for a client not yet reading.
    const query = 'x'.repeat(8 * 1024 * 1024);
    const expected = jsonResponse(`No match for "${query}".`);
    const socket = await connectRaw(server.port);
    const addr = localAddr(socket);
    socket.pause();
    socket.write(searchRequest(query));
    await server.waitForLine(new RegExp(`^Sending .* to ${escapeRegExp(addr)}$`));
    const reply = readUntilClose(socket);
    socket.resume();
    let received: Buffer;
    try {
      received = await reply;
    } catch (error) {
      throw new Error(
        `the server did not close the connection after the answer (${(error as Error).message}): close it once the write callback says every byte is out${outputOf(server)}`,
        { cause: error },
      );
    }
    expect(received.length, `the answer was cut short${outputOf(server)}`).toBe(expected.length);
    expect(received.equals(expected), outputOf(server)).toBe(true);
    expect((await linesAbout(server, addr)).at(-1), outputOf(server)).toBe(
      `Closing connection to ${addr}`,
    );
  });

  test('a client that never reads its answer is dropped an idle period after its idle timeout, freeing its place under --max-connections', async () => {
    const server = await startServer(serverFile, {
      extraArgs: [
        '--max-connections',
        '1',
        // 2 s, not 1: on a busy machine sending the 8 MiB request can stall for a
        // second, and the idle timer would then close the connection before the
        // answer this check is about exists.
        '--idle-timeout',
        '2',
        '--max-content-length',
        String(16 * 1024 * 1024),
      ],
    });
    // 8 MiB asked for and never read: the answer cannot go out, so a lingering
    // end() never gets its FIN out either; only destroy() frees the socket.
    const { socket: stuck, peer: addr } = await connectNonReader(
      server.port,
      searchRequest('x'.repeat(8 * 1024 * 1024)),
    );
    // Only a failure after the idle timeout fired is about what comes next.
    let idleTimedOut = false;
    try {
      // The whole request was read and the answer started: now nothing moves.
      await server.waitForLine(new RegExp(`^Sending .* to ${escapeRegExp(addr)}$`));
      await server.waitForLine(
        new RegExp(`^Idle timeout: no data to or from ${escapeRegExp(addr)} for 2 s$`),
      );
      idleTimedOut = true;
      // The one place is taken: the next client is refused, and the limit is logged.
      const refused = await connectRaw(server.port);
      refused.on('error', () => {});
      readUntilClose(refused).catch(() => undefined);
      await server.waitForLine(/^Connection limit of 1 reached: /);
      await server.waitForLine(
        /^Accepting connections again \(1 connection refused while full\)$/,
        {
          timeoutMs: 8_000,
        },
      );
    } catch (error) {
      if (!idleTimedOut) throw error;
      throw new Error(
        `the connection that reads nothing was never dropped after its idle timeout: end() cannot send FIN behind an answer that is not read, so destroy() it when the queue does not move (${(error as Error).message})${outputOf(server)}`,
        { cause: error },
      );
    } finally {
      stuck.destroy();
    }
  });

  test('--max-buffered holds only requests being read: answered ones give their room back, and two that together pass it are not both taken', async () => {
    const server = await startServer(serverFile, { extraArgs: ['--max-buffered', '100'] });
    // Three requests of 41 bytes, one after the other: 123 in all, never more than 41 at once.
    for (let count = 1; count <= 3; count++) {
      expect(
        escapeBytes(await ask(server.port, searchRequest('morpheus'))),
        `request ${count} was not answered, though every request before it was answered and should have given its room back${outputOf(server)}`,
      ).toBe(escapeBytes(jsonResponse(ANSWERS.morpheus!)));
    }
    // Two requests that announce 60 bytes each and stop short: 120 would pass 100.
    const content = Buffer.alloc(60, 'x');
    const request = frame('binary/x', 'binary', content);
    const pair = await Promise.all([connectRaw(server.port), connectRaw(server.port)]);
    const replies = pair.map((socket) => readUntilClose(socket));
    for (const socket of pair) socket.write(request.subarray(0, -10));
    const [, busyAddr] = await server.waitForLine(
      /^Server busy: the 60 bytes (\S+) announced would take the requests being read above 100 bytes \(--max-buffered\)$/,
    );
    const busy = pair.findIndex((socket) => localAddr(socket) === busyAddr);
    expect(busy, `the busy line should name one of the two clients${outputOf(server)}`).not.toBe(
      -1,
    );
    const taken = 1 - busy;
    expect((await replies[busy]!).length, outputOf(server)).toBe(0);
    pair[taken]!.write(request.subarray(-10));
    expect(escapeBytes(await replies[taken]!), outputOf(server)).toBe(
      escapeBytes(binaryResponse(content)),
    );
  });

  test('a request followed by garbage in the same write is answered, and the garbage is ignored with one logged line', async () => {
    const server = await startServer(serverFile);
    const socket = await connectRaw(server.port);
    const addr = localAddr(socket);
    const garbage = prefixed('nope!');
    const reply = readUntilClose(socket);
    socket.write(Buffer.concat([searchRequest('morpheus'), garbage]));
    expect(escapeBytes(await reply), `the request was not answered${outputOf(server)}`).toBe(
      escapeBytes(jsonResponse(ANSWERS.morpheus!)),
    );
    expect(
      (await linesAbout(server, addr)).filter((line) => line.startsWith('Ignoring ')),
      `the server should say once how many bytes it ignores after the request, and from whom${outputOf(server)}`,
    ).toEqual([
      `Ignoring ${garbage.length} bytes that ${addr} sent after its request, and anything after them`,
    ]);
  });
});

/** A fake server: for each connection, reads the request, then calls `answer`. */
async function fakeServer(answer: (socket: net.Socket) => void): Promise<net.Server> {
  const fake = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => answer(socket));
  });
  fake.listen(0, '127.0.0.1');
  await once(fake, 'listening');
  return fake;
}

describe('lesson 04: hostile peers', () => {
  test('ESC, C1 and bidi characters a peer sends are shown escaped on both sides, never raw', async () => {
    const server = await startServer(serverFile);
    // The server's answer to this search quotes the query back to the client.
    const search = runProgram(clientFile, [
      '127.0.0.1',
      String(server.port),
      'search',
      TERMINAL_ATTACK,
    ]);
    // A fake server whose response header and result carry the attack.
    const result = Buffer.from(`{"result": ${JSON.stringify(TERMINAL_ATTACK)}}`);
    const evilHeader = `{"byteorder": "little", "content-type": "text/json", "content-encoding": "utf-8", "content-length": ${result.length}, "x-note": ${JSON.stringify(TERMINAL_ATTACK)}}`;
    const fake = await fakeServer((socket) => socket.end(prefixed(evilHeader, result)));
    try {
      const port = (fake.address() as net.AddressInfo).port;
      const results = await Promise.all([
        search,
        runProgram(clientFile, ['127.0.0.1', String(port), 'search', 'x']),
      ]);
      // A request whose content type and JSON carry the attack, straight to the server.
      const rawRequests = [
        prefixed(
          `{"byteorder": "little", "content-type": ${JSON.stringify(`binary/${TERMINAL_ATTACK}`)}, "content-encoding": "binary", "content-length": 1}`,
          Buffer.from('x'),
        ),
        jsonFrame(`{"action": ${JSON.stringify(TERMINAL_ATTACK)}, "value": "x"}`),
        jsonFrame(`{"action": 7, "value": ${JSON.stringify(TERMINAL_ATTACK)}}`),
      ];
      await Promise.all(rawRequests.map((request) => exchange(server.port, request)));
      const [searched, faked] = results;
      const output = outputOf(server, ...results);
      expect(searched?.exitCode, output).toBe(0);
      expect(faked?.exitCode, output).toBe(0);
      expect(faked?.stdoutLines, output).toContain(
        'Got result: \\x1b]0;owned\\x07\\x1b[2J\\x9b31m\\u202eevil\\u2066x\\u2069',
      );
      await server.waitForLine(/^Protocol error from .*"action" must be a string/);
      await server.waitForLine(/^Received binary\/\\x1b\]0;owned/);
      for (const line of [
        ...server.stdoutLines,
        ...server.stderrLines,
        ...results.flatMap((run) => [...run.stdoutLines, ...run.stderrLines]),
      ])
        expect(line, `a raw terminal control reached the output${output}`).not.toMatch(
          RAW_TERMINAL_CONTROL,
        );
    } finally {
      fake.close();
    }
  });

  test('app-client gives up at its --deadline on a server that trickles its answer, though every byte restarts its idle timer', async () => {
    const response = jsonResponse(ANSWERS.ring!);
    const timers = new Set<NodeJS.Timeout>();
    const fake = await fakeServer((socket) => {
      let sent = 0;
      const timer = setInterval(() => {
        if (sent < response.length) socket.write(response.subarray(sent, ++sent));
      }, 100);
      timers.add(timer);
      socket.on('close', () => clearInterval(timer));
    });
    try {
      const port = (fake.address() as net.AddressInfo).port;
      const started = performance.now();
      const result = await runProgram(clientFile, [
        '127.0.0.1',
        String(port),
        'search',
        'ring',
        '--deadline',
        '1',
      ]);
      const output = outputOf(result);
      expect(result.exitCode, output).toBe(1);
      expect(result.stderrLines, output).toEqual([
        `Error: deadline: the exchange with 127.0.0.1:${port} did not finish within 1 s`,
      ]);
      expect(performance.now() - started, 'gave up before its deadline').toBeGreaterThan(900);
    } finally {
      for (const timer of timers) clearInterval(timer);
      fake.close();
    }
  });

  test('--help prints what each program and each argument is for, and exits 0', async () => {
    const results = await Promise.all(
      [serverFile, clientFile].map((file) => runProgram(file, ['--help'])),
    );
    for (const result of results) expectHelpText(result, { mentions: '--deadline' });
  });
});

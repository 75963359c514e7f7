// Checks for lesson 03, message framing. The pair runs in all three sending
// modes and must decode the same messages; raw sockets cut messages across
// reads and send broken ones. The codec is checked directly too, with unit
// tests and fast-check properties. Everything, frame.ts included, is loaded from
// the lesson folder under test, so `npm run check -- 03` checks a learner's copy.

import net from 'node:net';
import os from 'node:os';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { formatBytes } from '../shared/bytes.ts';
import {
  LINE_TIMEOUT_MS,
  outputOf,
  programPath,
  runProgram,
  startProgram,
  startServer,
  type RunningProgram,
  type RunningServer,
} from './harness.ts';
import { connectRaw } from './net-helpers.ts';
import { expectHelpText, RAW_TERMINAL_CONTROL, TERMINAL_ATTACK } from './output-checks.ts';

type Codec = typeof import('../lessons/03-framing/frame.ts');
const codec = (await import(pathToFileURL(programPath('03', 'frame.ts')).href)) as Codec;

const receiverFile = programPath('03', 'framed-receiver.ts');
const senderFile = programPath('03', 'framed-sender.ts');

const NATIVE = os.endianness() === 'LE' ? 'little' : 'big';

/** A frame built here by hand, the way the tutorial's Python code builds one. */
function pythonFrame(type: string, encoding: string, content: Buffer, byteorder = NATIVE): Buffer {
  const header = Buffer.from(
    `{"byteorder": "${byteorder}", "content-type": "${type}", "content-encoding": "${encoding}", "content-length": ${content.length}}`,
  );
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(header.length);
  return Buffer.concat([prefix, header, content]);
}

/** The sender's three messages, and what the receiver prints for each. */
const SENT = [
  {
    type: 'text/json',
    encoding: 'utf-8',
    content: Buffer.from('{"action": "search", "value": "morpheus"}'),
    shown: '{"action": "search", "value": "morpheus"} (41 bytes)',
  },
  {
    type: 'text/plain',
    encoding: 'utf-8',
    content: Buffer.from('No gaps in a byte stream. 🐰'),
    shown: '"No gaps in a byte stream. 🐰" (30 bytes)',
  },
  {
    type: 'image/png',
    encoding: 'binary',
    content: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    shown: "'\\x89PNG\\r\\n\\x1a\\n' (8 bytes)",
  },
];
const FRAMES = SENT.map((message) => pythonFrame(message.type, message.encoding, message.content));
const TOTAL_BYTES = FRAMES.reduce((sum, frame) => sum + frame.length, 0);

/** What the receiver prints for the sender's messages `which`, numbered from 1 as they arrive. */
function decodedLines(which: number[]): string[] {
  return which.flatMap((sent, index) => {
    const { type, encoding, content, shown } = SENT[sent]!;
    const header = FRAMES[sent]!.subarray(2, FRAMES[sent]!.length - content.length);
    return [
      `Message ${index + 1} header: ${header.toString()} (${header.length} bytes)`,
      `Message ${index + 1} content (${type}, ${encoding}): ${shown}`,
    ];
  });
}
const DECODED_TRANSCRIPT = decodedLines([0, 1, 2]);

/**
 * The receiver's lines for the connection that starts at line `from`: waits for
 * its closing line, then returns the raw reads and the decoded lines apart.
 */
async function connectionLines(receiver: RunningServer, from: number) {
  const closing = await receiver.waitForLine(/^Connection from .* closed after .*$/, { from });
  const end = receiver.stdoutLines.indexOf(closing[0], from);
  const lines = receiver.stdoutLines.slice(from, end + 1);
  const reads = lines.filter((line) => line.startsWith('Read '));
  const decoded = lines.filter((line) => line.startsWith('Message '));
  return { lines, reads, decoded, closing: closing[0] };
}

/** The byte count at the end of a `Read '...' (N bytes)` line. */
function readSize(line: string): number {
  return Number(line.match(/\((\d+) bytes?\)$/)?.[1] ?? Number.NaN);
}

/** Waits until the receiver's raw reads since line `from` add up to `total` bytes. */
async function waitForReads(receiver: RunningServer, from: number, total: number): Promise<number> {
  let seen = 0;
  let next = from;
  while (seen < total) {
    await receiver.waitForLine(/^Read /, { from: next });
    const index = receiver.stdoutLines.findIndex(
      (line, at) => at >= next && line.startsWith('Read '),
    );
    seen += readSize(receiver.stdoutLines[index]!);
    next = index + 1;
  }
  return next;
}

function write(socket: net.Socket, bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) =>
    socket.write(bytes, (error) => (error ? reject(error) : resolve())),
  );
}

describe('lesson 03: framed sender and receiver', () => {
  test('the receiver prints the same decoded messages whether the sender writes per message, byte by byte or all at once', async () => {
    const receiver = await startServer(receiverFile, { extraArgs: ['--raw'] });
    const transcripts: string[][] = [];
    for (const [mode, writes] of [
      [[], '3 writes (one per message)'],
      [['--byte-by-byte'], `${TOTAL_BYTES} writes (one byte each)`],
      [['--all-at-once'], '1 write (all at once)'],
    ] as const) {
      const from = receiver.stdoutLines.length;
      const sender = await runProgram(senderFile, ['127.0.0.1', String(receiver.port), ...mode]);
      const { reads, decoded, closing } = await connectionLines(receiver, from);
      const output = outputOf(sender, receiver);
      expect(sender.exitCode, output).toBe(0);
      expect(sender.stdoutLines, output).toContain(
        `Sent 3 messages, ${TOTAL_BYTES} bytes, in ${writes}`,
      );
      // However the bytes were cut into reads, they add up to everything sent.
      expect(
        reads.reduce((sum, line) => sum + readSize(line), 0),
        output,
      ).toBe(TOTAL_BYTES);
      expect(closing, output).toMatch(/ closed after 3 messages$/);
      transcripts.push(decoded);
    }
    const output = outputOf(receiver);
    expect(transcripts[0], output).toEqual(DECODED_TRANSCRIPT);
    expect(transcripts[1], `--byte-by-byte decoded differently${output}`).toEqual(transcripts[0]);
    expect(transcripts[2], `--all-at-once decoded differently${output}`).toEqual(transcripts[0]);
  });

  test('the sender puts the three frames on the wire byte for byte and prints each with its 2-byte prefix', async () => {
    // A bare server in the test, so the check sees exactly the bytes that arrive.
    const server = net.createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as net.AddressInfo;
    const received = new Promise<Buffer>((resolve) => {
      server.once('connection', (socket: net.Socket) => {
        const chunks: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => chunks.push(chunk));
        socket.on('end', () => {
          socket.end();
          resolve(Buffer.concat(chunks));
        });
      });
    });
    try {
      const sender = await runProgram(senderFile, ['127.0.0.1', String(port)]);
      const output = outputOf(sender);
      expect(sender.exitCode, output).toBe(0);
      expect(sender.stdoutLines, output).toEqual([
        `Connected to 127.0.0.1:${port}`,
        ...FRAMES.map(
          (frame, index) =>
            `Message ${index + 1} (${SENT[index]!.type}): ${formatBytes(frame, frame.length)}`,
        ),
        `Sent 3 messages, ${TOTAL_BYTES} bytes, in 3 writes (one per message)`,
        'Closed the connection',
      ]);
      const bytes = await received;
      expect(
        bytes.toString('latin1'),
        `the bytes on the wire differ from the tutorial's framing${output}`,
      ).toBe(Buffer.concat(FRAMES).toString('latin1'));
    } finally {
      server.close();
    }
  });

  test('a message cut across several reads is printed once, after its last byte arrives', async () => {
    const receiver = await startServer(receiverFile, { extraArgs: ['--raw'] });
    const socket = await connectRaw(receiver.port);
    const frame = FRAMES[0]!;
    // Stop inside the prefix, inside the header, and inside the content, and
    // each time wait until the receiver has read everything sent so far.
    let next = 0;
    let sent = 0;
    for (const cut of [1, 40, frame.length - 5]) {
      await write(socket, frame.subarray(sent, cut));
      next = await waitForReads(receiver, next, cut - sent);
      sent = cut;
      const early = receiver.stdoutLines.filter((line) => line.startsWith('Message '));
      expect(
        early,
        `a message was printed after ${cut} of its ${frame.length} bytes${outputOf(receiver)}`,
      ).toEqual([]);
    }
    await write(socket, frame.subarray(sent));
    socket.end();
    const { decoded, closing } = await connectionLines(receiver, 0);
    expect(decoded, outputOf(receiver)).toEqual(decodedLines([0]));
    expect(closing, outputOf(receiver)).toMatch(/ closed after 1 message$/);
  });

  test('a header that is not JSON closes only that connection, with one line naming the reason', async () => {
    const receiver = await startServer(receiverFile);
    const good = await connectRaw(receiver.port);
    const bad = await connectRaw(receiver.port);
    await receiver.waitForLine(/^Accepted connection from /, { from: 2 });
    const closed = once(bad, 'close');
    bad.on('error', () => {}); // the receiver may reset it; either way it closes
    bad.write(Buffer.concat([Buffer.from([0x00, 0x08]), Buffer.from('not json')]));
    const [line] = await receiver.waitForLine(/^Closing connection to .*$/);
    expect(line, outputOf(receiver)).toMatch(
      /^Closing connection to 127\.0\.0\.1:\d+: header is not valid JSON: .* \(header-not-json\)$/,
    );
    await closed;
    // The other client, connected all along, is still served.
    await write(good, FRAMES[1]!);
    good.end();
    const from = receiver.stdoutLines.findIndex((l) => l.startsWith('Accepted connection from '));
    await receiver.waitForLine(/ closed after 1 message$/, { from });
    expect(
      receiver.stdoutLines.filter((l) => l.startsWith('Message ')),
      outputOf(receiver),
    ).toEqual(decodedLines([1]));
    const third = await runProgram(senderFile, [
      '127.0.0.1',
      String(receiver.port),
      '--all-at-once',
    ]);
    expect(third.exitCode, outputOf(third, receiver)).toBe(0);
  });

  test('a content-length above 1 MiB is refused as soon as the header arrives, before any content is sent', async () => {
    const receiver = await startServer(receiverFile);
    const socket = await connectRaw(receiver.port);
    socket.on('error', () => {});
    const closed = once(socket, 'close');
    const oversized = pythonFrame(
      'binary/custom-client-binary-type',
      'binary',
      Buffer.alloc(0),
    ).toString('latin1');
    const header = Buffer.from(
      oversized.replace('"content-length": 0', '"content-length": 1048577'),
      'latin1',
    );
    header.writeUInt16BE(header.length - 2);
    await write(socket, header);
    const [line] = await receiver.waitForLine(/^Closing connection to .*$/);
    expect(line, outputOf(receiver)).toMatch(
      /: "content-length" is 1048577 bytes, above the limit of 1048576 \(content-too-long\)$/,
    );
    await closed; // the receiver closed it without waiting for a single byte of content
  });

  test('a sender that stops or resets in the middle of a message gets one line, and the receiver keeps running', async () => {
    const receiver = await startServer(receiverFile);
    const socket = await connectRaw(receiver.port);
    socket.on('error', () => {}); // however the receiver closes it, the lines below are what count
    socket.end(Buffer.concat([FRAMES[0]!, FRAMES[1]!.subarray(0, 50)]));
    const [line] = await receiver.waitForLine(/^Closing connection to .*$/);
    expect(line, outputOf(receiver)).toMatch(
      /: stream ended in the middle of a message .* \(truncated\)$/,
    );
    expect(
      receiver.stdoutLines.filter((l) => l.startsWith('Message ')),
      outputOf(receiver),
    ).toEqual(decodedLines([0]));
    const from = receiver.stdoutLines.length;
    const reset = await connectRaw(receiver.port);
    await receiver.waitForLine(/^Accepted connection from /, { from });
    await write(reset, FRAMES[0]!.subarray(0, 50));
    const address = `127.0.0.1:${reset.localPort}`;
    reset.resetAndDestroy();
    // Depending on timing, the reset reaches the receiver as an error or, once
    // it has read the bytes, as the end of the stream. Either way: one line.
    const [lost] = await receiver.waitForLine(
      new RegExp(`^(Lost|Closing) connection to ${address}: .*$`),
      { from },
    );
    expect(lost, outputOf(receiver)).toMatch(
      /(: connection reset by .* \(ECONNRESET\): .*|\(truncated\))$/,
    );
    const sender = await runProgram(senderFile, ['127.0.0.1', String(receiver.port)]);
    expect(sender.exitCode, outputOf(sender, receiver)).toBe(0);
  });

  test('Ctrl-C (SIGINT) stops the receiver with exit 0, even with a connection open', async () => {
    const receiver = await startServer(receiverFile);
    const socket = await connectRaw(receiver.port);
    socket.on('error', () => {}); // the receiver may reset it on the way out
    await receiver.waitForLine(/^Accepted connection from /);
    receiver.signal('SIGINT');
    const done = await receiver.waitForExit();
    expect(done.exitCode, outputOf(done)).toBe(0);
    expect(done.stdoutLines.at(-1), outputOf(done)).toBe(
      'Interrupted: closing the server and 1 open connection',
    );
  });

  test('the sender given both --byte-by-byte and --all-at-once prints the usage line and exits 1', async () => {
    const result = await runProgram(senderFile, [
      '127.0.0.1',
      '65432',
      '--byte-by-byte',
      '--all-at-once',
    ]);
    expect(result.exitCode, outputOf(result)).toBe(1);
    expect(result.stderrLines[0], outputOf(result)).toBe(
      'Usage: framed-sender.ts <host> <port> [--byte-by-byte] [--all-at-once]',
    );
    expect(result.stdoutLines, outputOf(result)).toEqual([]);
  });
});

/** A decoded message as plain data, for comparisons. */
function plain(message: { header: object; content: Uint8Array }) {
  return { header: { ...message.header }, content: Buffer.from(message.content).toString('hex') };
}

/** What pushing `chunks` into a fresh decoder gives: the messages, then the error's reason if any. */
function outcome(
  chunks: Uint8Array[],
  options?: ConstructorParameters<Codec['MessageDecoder']>[0],
) {
  const decoder = new codec.MessageDecoder(options);
  const messages: ReturnType<typeof plain>[] = [];
  try {
    for (const chunk of chunks)
      for (const message of decoder.decode(chunk)) messages.push(plain(message));
    decoder.end();
    return { messages, error: undefined };
  } catch (error) {
    // Anything but a FrameError escapes here and fails the property.
    if (!(error instanceof codec.FrameError)) throw error;
    return { messages, error: error.reason };
  }
}

/** `bytes` cut at the given positions (taken modulo its length). */
function cut(bytes: Uint8Array, positions: number[]): Uint8Array[] {
  const at = [...new Set(positions.map((p) => p % (bytes.length + 1)))].sort((a, b) => a - b);
  return [0, ...at].map((start, index) => bytes.subarray(start, at[index] ?? bytes.length));
}

function expectFrameError(action: () => unknown, reason: string): void {
  try {
    action();
  } catch (error) {
    expect(error, `expected a FrameError, got ${String(error)}`).toBeInstanceOf(codec.FrameError);
    expect((error as InstanceType<Codec['FrameError']>).reason, String(error)).toBe(reason);
    return;
  }
  throw new Error(`expected a FrameError (${reason}), but nothing was thrown`);
}

/** A frame with `header` as its header bytes, whatever they are. */
function rawFrame(header: string | Uint8Array, content: Uint8Array = Buffer.alloc(0)): Buffer {
  const bytes = typeof header === 'string' ? Buffer.from(header) : Buffer.from(header);
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(bytes.length);
  return Buffer.concat([prefix, bytes, content]);
}

describe('lesson 03: the framing codec', () => {
  // Made by the tutorial's own _create_message (libclient.py) for
  // `search morpheus` on a little-endian machine, and for the binary request
  // `search` + `morpheus` with byteorder "big".
  const PYTHON_SEARCH = Buffer.from(
    'AGd7ImJ5dGVvcmRlciI6ICJsaXR0bGUiLCAiY29udGVudC10eXBlIjogInRleHQvanNvbiIsICJjb250ZW50LWVuY29kaW5nIjogInV0Zi04IiwgImNvbnRlbnQtbGVuZ3RoIjogNDF9eyJhY3Rpb24iOiAic2VhcmNoIiwgInZhbHVlIjogIm1vcnBoZXVzIn0=',
    'base64',
  );
  const PYTHON_BINARY = Buffer.from(
    'AHx7ImJ5dGVvcmRlciI6ICJiaWciLCAiY29udGVudC10eXBlIjogImJpbmFyeS9jdXN0b20tY2xpZW50LWJpbmFyeS10eXBlIiwgImNvbnRlbnQtZW5jb2RpbmciOiAiYmluYXJ5IiwgImNvbnRlbnQtbGVuZ3RoIjogMTR9c2VhcmNobW9ycGhldXM=',
    'base64',
  );

  test("encodeMessage writes exactly the bytes of the tutorial's Python code", () => {
    const search = codec.encodeMessage({
      contentType: 'text/json',
      contentEncoding: 'utf-8',
      content: codec.encodeJson({ action: 'search', value: 'morpheus' }),
      byteorder: 'little',
    });
    expect(search.toString('latin1')).toBe(PYTHON_SEARCH.toString('latin1'));
    const binary = codec.encodeMessage({
      contentType: 'binary/custom-client-binary-type',
      contentEncoding: 'binary',
      content: Buffer.from('searchmorpheus'),
      byteorder: 'big',
    });
    expect(binary.toString('latin1')).toBe(PYTHON_BINARY.toString('latin1'));
  });

  test("the decoder reads frames made by the tutorial's Python code, whole or one byte at a time", () => {
    const stream = Buffer.concat([PYTHON_SEARCH, PYTHON_BINARY]);
    const expected = [
      {
        header: {
          byteorder: 'little',
          'content-type': 'text/json',
          'content-encoding': 'utf-8',
          'content-length': 41,
        },
        content: Buffer.from('{"action": "search", "value": "morpheus"}').toString('hex'),
      },
      {
        header: {
          byteorder: 'big',
          'content-type': 'binary/custom-client-binary-type',
          'content-encoding': 'binary',
          'content-length': 14,
        },
        content: Buffer.from('searchmorpheus').toString('hex'),
      },
    ];
    expect(outcome([stream])).toEqual({ messages: expected, error: undefined });
    expect(outcome([...stream].map((byte) => Uint8Array.of(byte)))).toEqual({
      messages: expected,
      error: undefined,
    });
  });

  test('the 2-byte prefix is big-endian whatever the machine: a 258-byte header starts with 0x01 0x02', () => {
    const base =
      codec.encodeMessage({ contentType: '', contentEncoding: 'binary', content: Buffer.alloc(0) })
        .length - 2;
    const frame = codec.encodeMessage({
      contentType: 'x'.repeat(258 - base),
      contentEncoding: 'binary',
      content: Buffer.alloc(0),
    });
    expect([...frame.subarray(0, 2)]).toEqual([0x01, 0x02]);
    expect(frame.length).toBe(2 + 258);
  });

  test('a header of 65535 bytes, the most a 2-byte prefix can say, is encoded and decoded; one byte more is refused', () => {
    const base =
      codec.encodeMessage({ contentType: '', contentEncoding: 'binary', content: Buffer.alloc(0) })
        .length - 2;
    const withHeader = (length: number) =>
      codec.encodeMessage({
        contentType: 'x'.repeat(length - base),
        contentEncoding: 'binary',
        content: Buffer.from('ok'),
      });
    const frame = withHeader(65535);
    expect([...frame.subarray(0, 2)], 'the prefix of a 65535-byte header').toEqual([0xff, 0xff]);
    const [message] = new codec.MessageDecoder().push(frame);
    expect(message?.content.toString(), 'a 65535-byte header should decode').toBe('ok');
    expect(() => withHeader(65536), 'a 65536-byte header does not fit in 2 bytes').toThrow(
      RangeError,
    );
  });

  test('the decoder moves through its states and keeps partial bytes between chunks', () => {
    const decoder = new codec.MessageDecoder();
    const frame = FRAMES[1]!;
    const headerEnd = frame.length - SENT[1]!.content.length;
    const steps: Array<[number, string, number]> = [
      [1, 'header-length', 1], // half the prefix: kept, not yet a number
      [2, 'header', 0], // the prefix is read: now waiting for the header
      [headerEnd - 1, 'header', headerEnd - 3],
      [headerEnd, 'content', 0], // the header is parsed and checked
      [frame.length - 1, 'content', SENT[1]!.content.length - 1],
    ];
    let sent = 0;
    for (const [upTo, state, buffered] of steps) {
      expect(decoder.push(frame.subarray(sent, upTo)), `after ${upTo} bytes`).toEqual([]);
      sent = upTo;
      expect(decoder.state, `after ${upTo} bytes`).toBe(state);
      expect(decoder.bufferedBytes, `after ${upTo} bytes`).toBe(buffered);
    }
    const [message] = decoder.push(frame.subarray(sent));
    expect(message?.content.toString()).toBe('No gaps in a byte stream. 🐰');
    expect(decoder.state).toBe('header-length');
    expect(decoder.bufferedBytes).toBe(0);
    expect(() => decoder.end()).not.toThrow();
  });

  test('a zero-length content and several messages in one chunk decode in order', () => {
    const empty = codec.encodeMessage({
      contentType: 'text/plain',
      contentEncoding: 'utf-8',
      content: Buffer.alloc(0),
    });
    const messages = new codec.MessageDecoder().push(Buffer.concat([empty, ...FRAMES, empty]));
    expect(messages.map((message) => message.content.length)).toEqual([0, 41, 30, 8, 0]);
    expect(messages[1]!.headerBytes.length).toBe(FRAMES[0]!.readUInt16BE(0));
  });

  test.each([
    ['header-not-utf8', rawFrame(Uint8Array.of(0x7b, 0xff, 0x7d))],
    ['header-not-json', rawFrame('{"byteorder": "little",')],
    // A byte-order mark before the JSON: Python's json refuses it, and so do we.
    [
      'header-not-json',
      rawFrame(`\ufeff${pythonFrame('a', 'b', Buffer.alloc(0)).subarray(2).toString()}`),
    ],
    ['header-not-object', rawFrame('[1, 2]')],
    ['header-not-object', rawFrame('null')],
    [
      'missing-field',
      rawFrame('{"byteorder": "little", "content-type": "a", "content-encoding": "b"}'),
    ],
    [
      'missing-field',
      rawFrame('{"content-type": "a", "content-encoding": "b", "content-length": 0}'),
    ],
    [
      'bad-field',
      rawFrame(
        '{"byteorder": "middle", "content-type": "a", "content-encoding": "b", "content-length": 0}',
      ),
    ],
    [
      'bad-field',
      rawFrame(
        '{"byteorder": "big", "content-type": 5, "content-encoding": "b", "content-length": 0}',
      ),
    ],
    [
      'bad-field',
      rawFrame(
        '{"byteorder": "big", "content-type": "a", "content-encoding": "b", "content-length": -1}',
      ),
    ],
    [
      'bad-field',
      rawFrame(
        '{"byteorder": "big", "content-type": "a", "content-encoding": "b", "content-length": 1.5}',
      ),
    ],
    [
      'bad-field',
      rawFrame(
        '{"byteorder": "big", "content-type": "a", "content-encoding": "b", "content-length": "3"}',
      ),
    ],
    [
      'bad-field',
      rawFrame(
        '{"byteorder": "big", "content-type": "a", "content-encoding": "b", "content-length": 1e300}',
      ),
    ],
    [
      'content-too-long',
      rawFrame(
        '{"byteorder": "big", "content-type": "a", "content-encoding": "b", "content-length": 1048577}',
      ),
    ],
  ])('the decoder rejects a bad header with a FrameError naming it: %s (%#)', (reason, frame) => {
    expectFrameError(() => new codec.MessageDecoder().push(frame), reason);
  });

  test('the decoder says "truncated" when the stream ends mid-message, and nothing when it ends between messages', () => {
    for (const length of [1, 2, 50, FRAMES[0]!.length - 1]) {
      const decoder = new codec.MessageDecoder();
      decoder.push(FRAMES[0]!.subarray(0, length));
      expectFrameError(() => decoder.end(), 'truncated');
    }
    const decoder = new codec.MessageDecoder();
    decoder.push(FRAMES[0]!);
    expect(() => decoder.end()).not.toThrow();
  });

  test('decode() hands out the messages before bad bytes, and after a protocol error the decoder refuses everything', () => {
    const decoder = new codec.MessageDecoder();
    const seen: string[] = [];
    expectFrameError(() => {
      for (const message of decoder.decode(Buffer.concat([FRAMES[2]!, rawFrame('oops')])))
        seen.push(message.header['content-type']);
    }, 'header-not-json');
    expect(seen).toEqual(['image/png']);
    expectFrameError(() => decoder.push(FRAMES[0]!), 'header-not-json');
    expectFrameError(() => decoder.end(), 'header-not-json');
  });

  test('the limits are configurable: maxContentLength and maxHeaderLength', () => {
    const small = new codec.MessageDecoder({ maxContentLength: 40, maxHeaderLength: 200 });
    expectFrameError(() => small.push(FRAMES[0]!), 'content-too-long'); // 41 bytes of content
    const tight = new codec.MessageDecoder({ maxHeaderLength: 100 });
    expectFrameError(() => tight.push(FRAMES[0]!), 'header-too-long'); // a 103-byte header
  });
});

// Property tests: fast-check generates the cases (and shrinks a failing one to
// a small example). The run counts keep the whole block well under a second.
const RUNS = { splits: 300, hostile: 500, headerLength: 200, contentLength: 300 };

const messageArb = fc.record({
  contentType: fc.string({ unit: 'grapheme', maxLength: 20 }),
  contentEncoding: fc.constantFrom('utf-8', 'binary', 'ascii'),
  byteorder: fc.constantFrom('little' as const, 'big' as const),
  content: fc.uint8Array({ maxLength: 200 }),
});
const cutsArb = fc.array(fc.nat(), { maxLength: 30 });

/** A valid stream of up to 6 messages, as bytes. */
const streamArb = fc
  .array(messageArb, { maxLength: 6 })
  .map((messages) => Buffer.concat(messages.map(codec.encodeMessage)));

/** Bytes a hostile or broken peer might send. */
const hostileArb = fc.oneof(
  // noise
  fc.uint8Array({ maxLength: 300 }),
  // a valid stream with some bytes overwritten, then perhaps cut short
  fc
    .tuple(
      streamArb,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 4,
      }),
      fc.nat(),
    )
    .map(([stream, changes, keep]) => {
      const bytes = Buffer.from(stream);
      for (const [at, value] of changes) if (bytes.length > 0) bytes[at % bytes.length] = value;
      return bytes.subarray(0, bytes.length === 0 ? 0 : keep % (bytes.length + 1));
    }),
  // a correctly framed header that is any JSON value at all, then some bytes
  fc
    .tuple(fc.jsonValue({ maxDepth: 2 }), fc.uint8Array({ maxLength: 50 }))
    .map(([value, rest]) => rawFrame(JSON.stringify(value) ?? '', rest)),
  // a header that looks right, with any value in each field
  fc
    .record(
      {
        byteorder: fc.oneof(fc.constantFrom('little', 'big'), fc.jsonValue({ maxDepth: 1 })),
        'content-type': fc.oneof(fc.string(), fc.jsonValue({ maxDepth: 1 })),
        'content-encoding': fc.oneof(fc.string(), fc.jsonValue({ maxDepth: 1 })),
        'content-length': fc.oneof(
          fc.integer({ min: -5, max: 60 }),
          fc.double(),
          fc.jsonValue({ maxDepth: 1 }),
        ),
      },
      { requiredKeys: [] },
    )
    .chain((header) =>
      fc.uint8Array({ maxLength: 80 }).map((rest) => rawFrame(JSON.stringify(header), rest)),
    ),
);

describe('lesson 03: framing properties (fast-check)', () => {
  test(`any split of any valid stream of messages decodes to the same messages (${RUNS.splits} runs)`, () => {
    fc.assert(
      fc.property(fc.array(messageArb, { maxLength: 6 }), cutsArb, (messages, cuts) => {
        const stream = Buffer.concat(messages.map(codec.encodeMessage));
        const expected = messages.map((message) => ({
          header: {
            byteorder: message.byteorder,
            'content-type': message.contentType,
            'content-encoding': message.contentEncoding,
            'content-length': message.content.length,
          },
          content: Buffer.from(message.content).toString('hex'),
        }));
        expect(outcome(cut(stream, cuts))).toEqual({ messages: expected, error: undefined });
      }),
      { numRuns: RUNS.splits },
    );
  });

  test(`random bytes either decode or raise a FrameError, the same however they are split (${RUNS.hostile} runs)`, () => {
    fc.assert(
      fc.property(hostileArb, cutsArb, (bytes, cuts) => {
        // A small cap, so that a random content-length is often over it.
        const options = { maxContentLength: 100 };
        const whole = outcome([bytes], options); // throws, failing the run, on any other exception
        expect(outcome(cut(bytes, cuts), options)).toEqual(whole);
        // Bounded work: every message used at least 4 bytes (prefix and "{}") of the input.
        expect(whole.messages.length).toBeLessThanOrEqual(bytes.length / 4);
      }),
      { numRuns: RUNS.hostile },
    );
  });

  test(`a header length over the maximum is refused as soon as the 2-byte prefix arrives (${RUNS.headerLength} runs)`, () => {
    fc.assert(
      fc.property(
        fc
          .integer({ min: 0, max: 65534 })
          .chain((max) => fc.tuple(fc.constant(max), fc.integer({ min: max + 1, max: 65535 }))),
        ([maxHeaderLength, announced]) => {
          const decoder = new codec.MessageDecoder({ maxHeaderLength });
          const prefix = Buffer.alloc(2);
          prefix.writeUInt16BE(announced);
          expect(decoder.push(prefix.subarray(0, 1))).toEqual([]);
          expectFrameError(() => decoder.push(prefix.subarray(1)), 'header-too-long');
          expect(decoder.bufferedBytes).toBe(0);
        },
      ),
      { numRuns: RUNS.headerLength },
    );
  });

  test(`a content-length over the maximum is refused as soon as the header is complete, before any content (${RUNS.contentLength} runs)`, () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 * 1024 * 1024 }),
        fc.integer({ min: 1, max: 2 ** 40 }),
        messageArb,
        cutsArb,
        (maxContentLength, excess, message, cuts) => {
          const header = codec.encodeJson({
            byteorder: message.byteorder,
            'content-type': message.contentType,
            'content-encoding': message.contentEncoding,
            'content-length': maxContentLength + excess,
          });
          const chunks = cut(rawFrame(header), cuts).filter((chunk) => chunk.length > 0);
          const decoder = new codec.MessageDecoder({ maxContentLength });
          // Every chunk before the header's last byte is accepted quietly...
          for (const chunk of chunks.slice(0, -1)) expect(decoder.push(chunk)).toEqual([]);
          // ...and the one that completes it is refused, with nothing left buffered.
          expectFrameError(() => decoder.push(chunks.at(-1)!), 'content-too-long');
          expect(decoder.bufferedBytes).toBe(0);
        },
      ),
      { numRuns: RUNS.contentLength },
    );
  });
});

/** A stand-in server written here, so a check controls exactly what a client meets. */
async function standIn(onConnection: (socket: net.Socket) => void): Promise<net.Server> {
  // allowHalfOpen: after the client's FIN the stand-in may still send, as any TCP peer may.
  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => {}); // a check fails on what the program printed, not on a stray reset
    onConnection(socket);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return server;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The receiver's stdout after its `Listening on` line, for a receiver that served one connection. */
async function oneConnection(receiver: RunningServer, peer: string): Promise<string[]> {
  await receiver.waitForLine(
    /^(Connection from \S+ closed after |Closing connection to |Lost connection to )/,
  );
  expect(receiver.stdoutLines[1], outputOf(receiver)).toBe(`Accepted connection from ${peer}`);
  return receiver.stdoutLines.slice(1);
}

describe('lesson 03: peers that are not the lesson programs', () => {
  test('the sender stays connected until the receiver closes, even when the receiver reads late and sends bytes back in pieces', async () => {
    let sender: RunningProgram | undefined;
    let printedBeforeClose: string[] = [];
    let done: (bytes: Buffer) => void = () => {};
    const received = new Promise<Buffer>((resolve) => (done = resolve));
    const server = await standIn((socket) => {
      void (async () => {
        // A receiver busy elsewhere: the sender's bytes wait in the kernel meanwhile.
        socket.pause();
        await pause(100);
        const chunks: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => chunks.push(chunk));
        socket.resume();
        await once(socket, 'end');
        // The sender has half-closed (sent its FIN). A peer may still send: bytes
        // that are not UTF-8, and a rabbit cut in two, with pauses between them.
        const rabbit = Buffer.from('🐰');
        for (const piece of [
          Buffer.from([0xff, 0x00]),
          rabbit.subarray(0, 2),
          rabbit.subarray(2),
        ]) {
          socket.write(piece);
          await pause(50);
        }
        printedBeforeClose = [...(sender?.stdoutLines ?? [])];
        socket.end();
        done(Buffer.concat(chunks));
      })();
    });
    try {
      const { port } = server.address() as net.AddressInfo;
      sender = startProgram(senderFile, ['127.0.0.1', String(port)], {
        timeoutMs: LINE_TIMEOUT_MS,
      });
      const result = await sender.finished;
      const output = outputOf(result);
      expect(result.exitCode, output).toBe(0);
      expect((await received).toString('latin1'), `the bytes on the wire differ${output}`).toBe(
        Buffer.concat(FRAMES).toString('latin1'),
      );
      expect(
        printedBeforeClose,
        `the sender said "Closed the connection" before the receiver had closed its side${output}`,
      ).not.toContain('Closed the connection');
      expect(result.stdoutLines.at(-1), output).toBe('Closed the connection');
    } finally {
      server.close();
    }
  });

  test("the receiver names each client by the client's own address and port, from accept to close", async () => {
    const receiver = await startServer(receiverFile);
    const socket = await connectRaw(receiver.port);
    const peer = `127.0.0.1:${socket.localPort}`;
    socket.end(FRAMES[0]!);
    const lines = await oneConnection(receiver, peer);
    expect(lines, outputOf(receiver)).toEqual([
      `Accepted connection from ${peer}`,
      ...decodedLines([0]),
      `Connection from ${peer} closed after 1 message`,
    ]);
  });

  test('a header or text with newlines and control characters is printed on one line each, so a peer cannot forge a log line', async () => {
    const receiver = await startServer(receiverFile);
    const socket = await connectRaw(receiver.port);
    const peer = `127.0.0.1:${socket.localPort}`;
    const forged = 'Accepted connection from 6.6.6.6:666';
    // JSON allows raw newlines and carriage returns between its fields, and the
    // escape \n in a string puts a real newline into the field's value.
    const header =
      `{"byteorder": "little",\r\n"content-type": "text/plain\\n${forged}",\n` +
      ` "content-encoding": "utf-8", "content-length": CONTENT}`;
    const content = Buffer.from(`line one\n${forged}\r\x1b[2J\x1b]0;title\x07 🐰`);
    socket.end(rawFrame(header.replace('CONTENT', String(content.length)), content));
    const lines = await oneConnection(receiver, peer);
    const output = outputOf(receiver);
    expect(lines, `a peer's text broke the log into extra lines${output}`).toHaveLength(4);
    expect(lines[1], output).toMatch(/^Message 1 header: /);
    expect(lines[2], output).toMatch(/^Message 1 content \(/);
    expect(lines[3], output).toBe(`Connection from ${peer} closed after 1 message`);
    for (const line of lines) {
      expect(line, `a control character reached the terminal${output}`).not.toMatch(
        /[\x00-\x1f\x7f]/,
      );
    }
  });

  test('a valid message followed by garbage in the same read is printed before the connection is closed', async () => {
    const receiver = await startServer(receiverFile);
    const socket = await connectRaw(receiver.port);
    socket.on('error', () => {}); // the receiver may reset it; the lines are what count
    const peer = `127.0.0.1:${socket.localPort}`;
    // One write, so one read on the other side: a message with a rabbit, then a header that is not JSON.
    socket.write(Buffer.concat([FRAMES[1]!, rawFrame('nope!')]));
    const lines = await oneConnection(receiver, peer);
    expect(lines, outputOf(receiver)).toEqual([
      `Accepted connection from ${peer}`,
      ...decodedLines([1]),
      `Closing connection to ${peer}: header is not valid JSON: "nope!" (header-not-json)`,
    ]);
  });
});

describe('lesson 03: the minimal decoder', () => {
  type Minimal = typeof import('../lessons/03-framing/minimal-decoder.ts');

  test('the minimal decoder reads the same messages as the complete one, however the stream is cut', async () => {
    const { MinimalDecoder } = (await import(
      pathToFileURL(programPath('03', 'minimal-decoder.ts')).href
    )) as Minimal;
    const stream = Buffer.concat([...FRAMES, rawFrame('{"content-length": 0}')]);
    const expected = SENT.map(({ content }, index) => ({
      header: JSON.parse(
        FRAMES[index]!.subarray(2, FRAMES[index]!.length - content.length).toString(),
      ) as object,
      content: content.toString('hex'),
    }));
    expected.push({ header: { 'content-length': 0 }, content: '' });
    for (const size of [1, 2, 3, 7, 40, stream.length]) {
      const decoder = new MinimalDecoder();
      const messages = [];
      for (let at = 0; at < stream.length; at += size)
        messages.push(...decoder.push(stream.subarray(at, at + size)).map(plain));
      expect(messages, `cut into pieces of ${size} bytes`).toEqual(expected);
      expect(decoder.state, `cut into pieces of ${size} bytes`).toBe('header-length');
    }
  });
});

describe('lesson 03: hostile senders', () => {
  test('a deeply nested header or terminal escapes in a header cost only that connection, and nothing the sender controls reaches the terminal raw', async () => {
    const receiver = await startServer(receiverFile);
    const deep = '['.repeat(30_000) + ']'.repeat(30_000);
    const attack = JSON.stringify(TERMINAL_ATTACK);
    const inputs = [
      // 30,000 nested arrays: JSON.stringify() of that runs out of stack.
      rawFrame(deep),
      rawFrame(
        `{"byteorder": "little", "content-type": ${deep}, "content-encoding": "utf-8", "content-length": 0}`,
      ),
      rawFrame(
        `{"byteorder": ${attack}, "content-type": "x", "content-encoding": "x", "content-length": 0}`,
      ),
      rawFrame(`not json ${TERMINAL_ATTACK}`),
      // A valid message whose content type, extra field and text all carry the attack.
      rawFrame(
        `{"byteorder": "little", "content-type": ${JSON.stringify(`text/${TERMINAL_ATTACK}`)}, "content-encoding": "utf-8", "content-length": ${Buffer.byteLength(TERMINAL_ATTACK)}, "x-note": ${attack}}`,
        Buffer.from(TERMINAL_ATTACK),
      ),
    ];
    for (const input of inputs) {
      const socket = await connectRaw(receiver.port);
      socket.on('error', () => {}); // the receiver may reset it; its lines are what count
      const port = socket.localPort;
      const closed = once(socket, 'close');
      socket.end(input);
      socket.resume();
      await closed;
      await receiver.waitForLine(
        new RegExp(`^(Closing connection to|Connection from) 127\\.0\\.0\\.1:${port}\\b`),
      );
    }
    const output = outputOf(receiver);
    const closing = receiver.stdoutLines.filter((line) => line.startsWith('Closing connection'));
    expect(closing[0], output).toMatch(/: header is JSON but not an object: an array \[\[\[/);
    expect(closing[1], output).toMatch(/: "content-type" must be a string, got an array \[\[\[/);
    expect(closing[2], output).toMatch(/: "byteorder" must be "little" or "big", got "\\u001b/);
    expect(closing[3], output).toMatch(/: header is not valid JSON: "not json \\u001b/);
    expect(
      receiver.stdoutLines.some((line) =>
        line.startsWith('Message 1 content (text/\\x1b]0;owned\\x07'),
      ),
      output,
    ).toBe(true);
    for (const line of [...receiver.stdoutLines, ...receiver.stderrLines])
      expect(line, `a raw terminal control reached the output${output}`).not.toMatch(
        RAW_TERMINAL_CONTROL,
      );
    expect(receiver.stderrLines, output).toEqual([]);
    // Still running, and stopped by SIGTERM as cleanly as by Ctrl-C.
    receiver.signal('SIGTERM');
    const done = await receiver.waitForExit();
    expect(done.exitCode, `SIGTERM did not stop the receiver with exit 0${outputOf(done)}`).toBe(0);
  });

  test('--help prints what each program and each argument is for, and exits 0', async () => {
    const results = await Promise.all(
      [receiverFile, senderFile].map((file) => runProgram(file, ['--help'])),
    );
    for (const result of results) expectHelpText(result);
  });
});

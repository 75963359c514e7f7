// Checks for lesson 09, persistent connections and pipelining. The same checks
// run against a learner's copy with `npm run check -- 09`. Requests and answers
// are built and split here by hand, not with the lesson's code, so a bug there
// cannot hide behind itself. Most checks talk to the server over raw sockets:
// one process for the server, the pipelining done by the test itself.

import net from 'node:net';
import { once } from 'node:events';
import { describe, expect, test } from 'vitest';
import { escapeBytes } from '../shared/bytes.ts';
import { SHUTDOWN_GRACE_MS } from '../shared/shutdown.ts';
import { escapeRegExp, outputOf, programPath, runProgram, startServer } from './harness.ts';
import { connectRaw, readUntilClose, writeInPieces } from './net-helpers.ts';
import {
  ANSWERS,
  ask,
  binaryRequest,
  binaryResponse,
  BYTEORDER,
  firstMessage,
  jsonResponse,
  linesAbout,
  localAddr,
  prefixed,
  searchRequest,
} from './app-wire.ts';

const serverFile = programPath('09', 'persistent-server.ts');
const clientFile = programPath('09', 'persistent-client.ts');
const oldClientFile = programPath('04', 'app-client.ts');

/** A search with "keep-alive": true and a request id, as a persistent client writes it. */
function keepAliveRequest(value: string, id: number): Buffer {
  const content = Buffer.from(`{"action": "search", "value": ${JSON.stringify(value)}}`, 'utf8');
  return prefixed(
    `{"byteorder": "${BYTEORDER}", "content-type": "text/json", "content-encoding": "utf-8", "content-length": ${content.length}, "keep-alive": true, "request-id": ${id}}`,
    content,
  );
}

function answerFor(value: string): string {
  return ANSWERS[value] ?? `No match for "${value}".`;
}

interface Answer {
  header: Record<string, unknown>;
  result: string;
}

/** Splits bytes into answers by hand: 2-byte length, JSON header, content-length bytes. */
function splitAnswers(bytes: Buffer): Answer[] {
  const answers: Answer[] = [];
  let at = 0;
  while (at < bytes.length) {
    const headerLength = bytes.readUInt16BE(at);
    const header = JSON.parse(
      bytes.subarray(at + 2, at + 2 + headerLength).toString('utf8'),
    ) as Record<string, unknown>;
    const start = at + 2 + headerLength;
    const length = Number(header['content-length']);
    if (start + length > bytes.length)
      throw new Error(`the last answer is cut short: ${escapeBytes(bytes.subarray(at))}`);
    const { result } = JSON.parse(bytes.subarray(start, start + length).toString('utf8')) as {
      result: string;
    };
    answers.push({ header, result });
    at = start + length;
  }
  return answers;
}

/** A readable summary of answers: `id: result`, one string per answer. */
function summary(answers: Answer[]): string[] {
  return answers.map(({ header, result }) => `${String(header['request-id'])}: ${result}`);
}

/** Reads answers until `count` of them have arrived; fails if the peer closes first or 20 s pass. */
function readAnswers(socket: net.Socket, count: number): Promise<Answer[]> {
  const answers: Answer[] = [];
  let pending: Buffer = Buffer.alloc(0);
  return new Promise((resolve, reject) => {
    const done = (error?: Error) => {
      clearTimeout(timer);
      socket.off('data', onData).off('end', onEnd).off('error', done);
      socket.pause();
      if (error) reject(error);
      else resolve(answers);
    };
    const timer = setTimeout(
      () => done(new Error(`expected ${count} answers within 20 s, got ${answers.length}`)),
      20_000,
    );
    const onData = (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      // Take every whole answer off the front; keep the rest for the next chunk.
      for (let whole = firstMessage(pending); whole; whole = firstMessage(pending)) {
        answers.push(...splitAnswers(pending.subarray(0, whole.length)));
        pending = pending.subarray(whole.length);
      }
      if (answers.length >= count) done();
    };
    const onEnd = () => done(new Error(`peer closed after ${answers.length} of ${count} answers`));
    socket.on('data', onData).on('end', onEnd).on('error', done);
    socket.resume();
  });
}

const QUERIES = ['morpheus', 'ring', '🐶', 'nobody'];
const queryOf = (id: number) => QUERIES[id % QUERIES.length] ?? 'nobody';
const expectedSummary = (ids: number[]) => ids.map((id) => `${id}: ${answerFor(queryOf(id))}`);
const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('lesson 09: persistent connections and pipelining', () => {
  test('persistent-client gets every answer with its id on one connection, one at a time and pipelined', async () => {
    const server = await startServer(serverFile);
    const port = String(server.port);
    for (const mode of [[], ['--pipeline']]) {
      const result = await runProgram(clientFile, ['127.0.0.1', port, ...QUERIES, ...mode]);
      const output = outputOf(result, server);
      const to = `127.0.0.1:${port}`;
      expect(result.exitCode, output).toBe(0);
      expect(
        result.stdoutLines.map((line) => line.replace(/\(\d+\.\d\d ms\)/, '(T ms)')),
        output,
      ).toEqual([
        `Starting connection to ${to}`,
        `Sending 4 requests ${mode.length > 0 ? 'at once' : 'one at a time'}`,
        ...QUERIES.map((query, index) => `Answer ${index + 1} (T ms): ${answerFor(query)}`),
        `Closing connection to ${to}`,
      ]);
    }
    await server.waitForLine(/^Closing connection to /, { from: 0 });
    const accepted = server.stdoutLines.filter((line) => line.startsWith('Accepted connection'));
    await server.waitForLine(/id 4\) from /);
    expect(accepted, `one connection per run${outputOf(server)}`).toHaveLength(2);
  });

  test('persistent-client reads answers that come in pieces, waits for each before the next request, and one error line with exit 1 for a wrong id or an early close', async () => {
    // A stand-in server, so the check decides how the answers arrive. In the
    // "pieces" run each answer is written in three pieces, a pause between them
    // (the pauses cut the stream; nothing waits on them), cut inside the length
    // prefix and inside a 4-byte character.
    let mode: 'pieces' | 'wrong-id' | 'early-close' = 'pieces';
    /** For each request: its id, and whether it came before the answer to the one before was written. */
    const seen: Array<{ id: unknown; early: boolean }> = [];
    const result = ANSWERS['🐶'] ?? '';
    const answerTo = (id: unknown) => {
      const content = Buffer.from(`{"result": ${JSON.stringify(result)}}`, 'utf8');
      return prefixed(
        `{"byteorder": "${BYTEORDER}", "content-type": "text/json", "content-encoding": "utf-8", "content-length": ${content.length}, "keep-alive": true, "request-id": ${JSON.stringify(id)}}`,
        content,
      );
    };
    const standIn = net.createServer((socket) => {
      socket.on('error', () => {});
      socket.setNoDelay(true);
      let pending = Buffer.alloc(0);
      let answering = false;
      let queue = Promise.resolve();
      socket.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        for (let whole = firstMessage(pending); whole; whole = firstMessage(pending)) {
          pending = pending.subarray(whole.length);
          const id = whole.header['request-id'];
          seen.push({ id, early: answering });
          answering = true;
          queue = queue.then(async () => {
            if (mode === 'early-close' && id === 2) return void socket.end();
            const bytes = answerTo(mode === 'wrong-id' && id === 2 ? 3 : id);
            if (mode === 'pieces') {
              // The result starts at the 🐾 of "🐾 Playing ball!": cut inside it.
              const cut = bytes.indexOf(Buffer.from('🐾', 'utf8')) + 2;
              await writeInPieces(socket, [
                bytes.subarray(0, 1),
                bytes.subarray(1, cut),
                bytes.subarray(cut),
              ]);
            } else socket.write(bytes);
            answering = false;
          });
        }
      });
    });
    standIn.listen(0, '127.0.0.1');
    await once(standIn, 'listening');
    try {
      const { port } = standIn.address() as net.AddressInfo;
      const to = `127.0.0.1:${port}`;
      const good = await runProgram(clientFile, ['127.0.0.1', String(port), '🐶', '🐶', '🐶']);
      expect(good.exitCode, outputOf(good)).toBe(0);
      expect(
        good.stdoutLines.map((line) => line.replace(/\(\d+\.\d\d ms\)/, '(T ms)')),
        outputOf(good),
      ).toEqual([
        `Starting connection to ${to}`,
        'Sending 3 requests one at a time',
        ...[1, 2, 3].map((id) => `Answer ${id} (T ms): ${result}`),
        `Closing connection to ${to}`,
      ]);
      expect(
        seen,
        `without --pipeline each request waits for the answer before it${outputOf(good)}`,
      ).toEqual([1, 2, 3].map((id) => ({ id, early: false })));
      mode = 'wrong-id';
      const wrong = await runProgram(clientFile, [
        '127.0.0.1',
        String(port),
        'a',
        'b',
        'c',
        '--pipeline',
      ]);
      expect(wrong.exitCode, outputOf(wrong)).toBe(1);
      expect(wrong.stderrLines, outputOf(wrong)).toEqual([
        `Error: malformed answer from ${to}: expected the answer to request 2, got id 3`,
      ]);
      mode = 'early-close';
      const cut = await runProgram(clientFile, ['127.0.0.1', String(port), 'a', 'b']);
      expect(cut.exitCode, outputOf(cut)).toBe(1);
      expect(cut.stderrLines, outputOf(cut)).toEqual([
        `Error: ${to} closed the connection after 1 answer of 2`,
      ]);
    } finally {
      standIn.close();
    }
  });

  test('1,000 requests on one connection are all answered in order', async () => {
    const server = await startServer(serverFile, { extraArgs: ['--max-requests', '1000'] });
    const socket = await connectRaw(server.port);
    const answers: Answer[] = [];
    // Ten rounds of 100: each round is written, then its answers read.
    for (let round = 0; round < 10; round++) {
      const ids = range(round * 100 + 1, round * 100 + 100);
      socket.write(Buffer.concat(ids.map((id) => keepAliveRequest(queryOf(id), id))));
      const got = await readAnswers(socket, 100);
      answers.push(...got);
    }
    expect(summary(answers), outputOf(server)).toEqual(expectedSummary(range(1, 1000)));
    // The 1000th answer is the last this connection gets: --max-requests 1000.
    expect(answers.at(-1)?.header['keep-alive'], outputOf(server)).toBe(false);
    expect(answers.slice(0, -1).every((answer) => answer.header['keep-alive'] === true)).toBe(true);
    socket.destroy();
  });

  test('100 pipelined requests written in one write() and written one byte at a time get identical answers', async () => {
    const server = await startServer(serverFile);
    const ids = range(1, 100);
    const requests = Buffer.concat(ids.map((id) => keepAliveRequest(queryOf(id), id)));
    const whole = await connectRaw(server.port);
    const wholeReply = readUntilClose(whole);
    whole.end(requests);
    const slow = await connectRaw(server.port);
    slow.setNoDelay(true);
    const slowReply = readUntilClose(slow, 30_000);
    for (let at = 0; at < requests.length; at++) {
      slow.write(requests.subarray(at, at + 1));
      // Let each byte leave on its own instead of being merged with the next.
      if (at % 8 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    slow.end();
    const [wholeBytes, slowBytes] = await Promise.all([wholeReply, slowReply]);
    expect(summary(splitAnswers(wholeBytes)), outputOf(server)).toEqual(expectedSummary(ids));
    expect(escapeBytes(slowBytes), outputOf(server)).toBe(escapeBytes(wholeBytes));
  });

  test('two clients interleaving requests get only their own answers', async () => {
    const server = await startServer(serverFile);
    const [first, second] = await Promise.all([connectRaw(server.port), connectRaw(server.port)]);
    const firstAnswers: Answer[] = [];
    const secondAnswers: Answer[] = [];
    for (let id = 1; id <= 20; id++) {
      first.write(keepAliveRequest('morpheus', id));
      second.write(keepAliveRequest(`second-${id}`, 100 + id));
      if (id % 5 === 0) {
        firstAnswers.push(...(await readAnswers(first, 5)));
        secondAnswers.push(...(await readAnswers(second, 5)));
      }
    }
    expect(summary(firstAnswers), outputOf(server)).toEqual(
      range(1, 20).map((id) => `${id}: ${ANSWERS.morpheus}`),
    );
    expect(summary(secondAnswers), outputOf(server)).toEqual(
      range(1, 20).map((id) => `${100 + id}: No match for "second-${id}".`),
    );
    first.destroy();
    second.destroy();
  });

  test('a bad frame in the middle of a pipeline gets the earlier answers, then the close with a logged reason, and another connection is unaffected', async () => {
    const server = await startServer(serverFile);
    const other = await connectRaw(server.port);
    other.write(keepAliveRequest('ring', 1));
    expect(summary(await readAnswers(other, 1)), outputOf(server)).toEqual([`1: ${ANSWERS.ring}`]);
    const bad = await connectRaw(server.port);
    const reply = readUntilClose(bad);
    bad.write(
      Buffer.concat([
        keepAliveRequest(queryOf(1), 1),
        keepAliveRequest(queryOf(2), 2),
        keepAliveRequest(queryOf(3), 3),
        prefixed('not json at all'),
        keepAliveRequest('morpheus', 5),
      ]),
    );
    expect(summary(splitAnswers(await reply)), outputOf(server)).toEqual(
      expectedSummary([1, 2, 3]),
    );
    const addr = localAddr(bad);
    await server.waitForLine(
      new RegExp(`^Protocol error from ${escapeRegExp(addr)}: header is not valid JSON`),
    );
    other.write(keepAliveRequest('🐶', 2));
    expect(summary(await readAnswers(other, 1)), outputOf(server)).toEqual([`2: ${ANSWERS['🐶']}`]);
    other.destroy();
  });

  test('an idle connection and one that reaches --max-requests are closed with a logged reason', async () => {
    const server = await startServer(serverFile, {
      extraArgs: ['--idle-timeout', '1', '--max-requests', '3'],
    });
    const quiet = await connectRaw(server.port);
    const quietClosed = readUntilClose(quiet);
    quiet.write(keepAliveRequest('ring', 1));
    const busy = await connectRaw(server.port);
    const busyReply = readUntilClose(busy);
    busy.write(Buffer.concat(range(1, 5).map((id) => keepAliveRequest(queryOf(id), id))));
    const answers = splitAnswers(await busyReply);
    expect(summary(answers), outputOf(server)).toEqual(expectedSummary([1, 2, 3]));
    expect(
      answers.map((answer) => answer.header['keep-alive']),
      outputOf(server),
    ).toEqual([true, true, false]);
    await server.waitForLine(
      new RegExp(`^Request limit: answered 3 requests from ${escapeRegExp(localAddr(busy))}$`),
    );
    expect(summary(splitAnswers(await quietClosed)), outputOf(server)).toEqual([
      `1: ${ANSWERS.ring}`,
    ]);
    await server.waitForLine(
      new RegExp(`^Idle timeout: no request from ${escapeRegExp(localAddr(quiet))} for 1 s$`),
    );
  });

  test("lesson 04's client and one-shot requests get lesson 04's answer, then the close", async () => {
    const server = await startServer(serverFile);
    const result = await runProgram(oldClientFile, [
      '127.0.0.1',
      String(server.port),
      'search',
      'morpheus',
    ]);
    expect(result.exitCode, outputOf(result, server)).toBe(0);
    expect(result.stdoutLines, outputOf(result, server)).toContain(
      `Got result: ${ANSWERS.morpheus}`,
    );
    // A request without "keep-alive": answered byte for byte as lesson 04 does, and
    // the connection closed; a second request in the same write is not answered.
    const socket = await connectRaw(server.port);
    const reply = readUntilClose(socket);
    socket.write(Buffer.concat([searchRequest('ring'), searchRequest('morpheus')]));
    expect(escapeBytes(await reply), outputOf(server)).toBe(
      escapeBytes(jsonResponse(ANSWERS.ring ?? '')),
    );
    // A binary request gets lesson 04's binary answer: its first 10 bytes, not
    // characters (the tenth byte is the first of a 4-byte character).
    const binary = Buffer.from('a🐶🐶🐶 binary', 'utf8');
    expect(escapeBytes(await ask(server.port, binaryRequest(binary))), outputOf(server)).toBe(
      escapeBytes(binaryResponse(binary)),
    );
  });

  test('a client that pipelines and never reads makes the server stop reading, so its memory stays bounded', async () => {
    const server = await startServer(serverFile);
    const socket = await connectRaw(server.port);
    // Long queries make long answers ("No match for ..."), 256 KiB each: 40 of
    // them, 10 MiB, are more than the kernel buffers between the two sides hold.
    const count = 40;
    const ids = range(1, count);
    socket.pause();
    socket.write(
      Buffer.concat(ids.map((id) => keepAliveRequest(`${id}-${'x'.repeat(256 * 1024)}`, id))),
    );
    const pausing = new RegExp(
      `^Pausing reads from ${escapeRegExp(localAddr(socket))}: it is not reading its answers$`,
    );
    await server.waitForLine(pausing);
    const answeredBefore = server.stdoutLines.filter((line) =>
      line.startsWith('Received request'),
    ).length;
    expect(
      answeredBefore,
      `the server read every request without waiting for the client${outputOf(server)}`,
    ).toBeLessThan(count);
    socket.resume();
    const answers = await readAnswers(socket, count);
    expect(
      answers.map((answer) => answer.header['request-id']),
      outputOf(server),
    ).toEqual(ids);
    socket.destroy();
  });

  test("the server's log names each client by its own address: each request, a request cut short by the client's close, a reset, and each close", async () => {
    const server = await startServer(serverFile);
    // One request, then the client closes: no reason to log, only the close.
    const ann = await connectRaw(server.port);
    // Its address, while it is connected (a closed socket has none).
    const annAddr = localAddr(ann);
    const annReply = readUntilClose(ann);
    ann.end(keepAliveRequest('ring', 7));
    expect(summary(splitAnswers(await annReply)), outputOf(server)).toEqual([`7: ${ANSWERS.ring}`]);
    expect(await linesAbout(server, annAddr), outputOf(server)).toEqual([
      `Accepted connection from ${annAddr}`,
      `Received request {"action": "search", "value": "ring"} (id 7) from ${annAddr}`,
      `Closing connection to ${annAddr}`,
    ]);
    // A whole request, then the client closes in the middle of the next one:
    // the first is answered, and the cut-off one is a protocol error.
    const bob = await connectRaw(server.port);
    const bobAddr = localAddr(bob);
    const bobReply = readUntilClose(bob);
    bob.end(Buffer.concat([keepAliveRequest('🐶', 1), keepAliveRequest('ring', 2).subarray(0, 5)]));
    expect(summary(splitAnswers(await bobReply)), outputOf(server)).toEqual([
      `1: ${ANSWERS['🐶']}`,
    ]);
    expect(await linesAbout(server, bobAddr), outputOf(server)).toEqual([
      `Accepted connection from ${bobAddr}`,
      `Received request {"action": "search", "value": "🐶"} (id 1) from ${bobAddr}`,
      expect.stringMatching(
        new RegExp(
          `^Protocol error from ${escapeRegExp(bobAddr)}: stream ended in the middle of a message`,
        ),
      ),
      `Closing connection to ${bobAddr}`,
    ]);
    // A reset (the client's program crashed): logged with its reason, and the
    // server goes on.
    const cat = await connectRaw(server.port);
    const catAddr = localAddr(cat);
    cat.write(keepAliveRequest('morpheus', 1));
    expect(summary(await readAnswers(cat, 1)), outputOf(server)).toEqual([
      `1: ${ANSWERS.morpheus}`,
    ]);
    cat.resetAndDestroy();
    expect(await linesAbout(server, catAddr), outputOf(server)).toEqual([
      `Accepted connection from ${catAddr}`,
      `Received request {"action": "search", "value": "morpheus"} (id 1) from ${catAddr}`,
      expect.stringMatching(
        new RegExp(`^Connection reset by ${escapeRegExp(catAddr)} \\(ECONNRESET\\)`),
      ),
      `Closing connection to ${catAddr}`,
    ]);
    const dan = await connectRaw(server.port);
    dan.write(keepAliveRequest('ring', 1));
    expect(summary(await readAnswers(dan, 1)), outputOf(server)).toEqual([`1: ${ANSWERS.ring}`]);
    dan.destroy();
  });

  test('bad arguments print the usage line and exit 1; --help explains every argument and exits 0', async () => {
    const [noArgs, noQuery, help] = await Promise.all([
      runProgram(serverFile, ['127.0.0.1']),
      runProgram(clientFile, ['127.0.0.1', '65432']),
      runProgram(serverFile, ['--help']),
    ]);
    expect(noArgs.exitCode, outputOf(noArgs)).toBe(1);
    expect(noArgs.stderrLines[0], outputOf(noArgs)).toBe(
      'Usage: persistent-server.ts <host> <port> [--max-content-length BYTES] [--idle-timeout SECONDS] [--max-requests N]',
    );
    expect(noQuery.exitCode, outputOf(noQuery)).toBe(1);
    expect(noQuery.stderrLines[0], outputOf(noQuery)).toBe(
      'Usage: persistent-client.ts <host> <port> <query...> [--pipeline]',
    );
    expect(help.exitCode, outputOf(help)).toBe(0);
    expect(help.stdoutLines.join('\n'), outputOf(help)).toMatch(/--max-requests N/);
  });

  test('SIGTERM closes the open connections after their answers, cuts off one that does not close within the grace period, and exits 0', async () => {
    const server = await startServer(serverFile);
    const socket = await connectRaw(server.port);
    const closed = readUntilClose(socket);
    socket.write(keepAliveRequest('ring', 1));
    // A client that reads the server's close but never closes its own side.
    const stubborn = net.createConnection({
      host: '127.0.0.1',
      port: server.port,
      allowHalfOpen: true,
    });
    await once(stubborn, 'connect');
    const stubbornClosed = readUntilClose(stubborn);
    stubborn.write(keepAliveRequest('morpheus', 1));
    await server.waitForLine(new RegExp(`id 1\\) from ${escapeRegExp(localAddr(socket))}$`));
    await server.waitForLine(new RegExp(`id 1\\) from ${escapeRegExp(localAddr(stubborn))}$`));
    server.signal('SIGTERM');
    const done = await server.waitForExit();
    expect(done.exitCode, outputOf(done)).toBe(0);
    expect(done.stdoutLines, outputOf(done)).toContain(
      'SIGTERM: closing the server and 2 open connections',
    );
    expect(summary(splitAnswers(await closed)), outputOf(done)).toEqual([`1: ${ANSWERS.ring}`]);
    expect(summary(splitAnswers(await stubbornClosed)), outputOf(done)).toEqual([
      `1: ${ANSWERS.morpheus}`,
    ]);
    expect(
      done.stdoutLines.filter((line) => line.startsWith('Cutting off ')),
      `only the client that never closed is cut off${outputOf(done)}`,
    ).toEqual([
      `Cutting off ${localAddr(stubborn)}: it did not close within ${SHUTDOWN_GRACE_MS} ms`,
    ]);
    stubborn.destroy();
  });
});

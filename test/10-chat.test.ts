// Checks for lesson 10, the chat. The same checks run against a learner's copy
// with `npm run check -- 10`. The lesson's client is driven through its stdin,
// a stream the check writes to while the client runs; most other checks talk to
// the server over raw sockets, one process for the server and the clients
// played by the test itself, which is cheap and lets a client misbehave.

import net from 'node:net';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, expect, test } from 'vitest';
import { SHUTDOWN_GRACE_MS } from '../shared/shutdown.ts';
import {
  escapeRegExp,
  outputOf,
  programPath,
  runProgram,
  startProgram,
  startServer,
  type RunningProgram,
  type RunningServer,
} from './harness.ts';
import { connectRaw, readBytes, readUntilClose } from './net-helpers.ts';
import { expectHelpText, expectNothingRaw, HOSTILE, TERMINAL_ATTACK } from './output-checks.ts';

const serverFile = programPath('10', 'chat-server.ts');
const clientFile = programPath('10', 'chat-client.ts');

/** How long a raw member waits for a line before the check fails. */
const WAIT_MS = 10_000;

/** A chat member played by the test: a raw socket that collects every line it receives. */
class RawMember {
  readonly socket: net.Socket;
  readonly name: string;
  readonly lines: string[] = [];
  ended = false;
  private partial = '';
  private readonly listeners = new Set<() => void>();

  constructor(socket: net.Socket, name: string) {
    this.socket = socket;
    this.name = name;
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => {
      const parts = (this.partial + text).split('\n');
      this.partial = parts.pop() ?? '';
      this.lines.push(...parts);
      this.notify();
    });
    socket.on('end', () => {
      this.ended = true;
      this.notify();
    });
    socket.on('error', () => {
      this.ended = true;
      this.notify();
    });
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }

  /**
   * Waits until `done(lines)` holds; fails, naming `what` and showing the lines
   * it got and the server's output, after `timeoutMs` or if the server closes first.
   */
  waitFor(
    what: string,
    done: (lines: string[]) => boolean,
    server: RunningProgram,
    timeoutMs = WAIT_MS,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (done(this.lines)) return finish();
        if (this.ended) return finish(`the server closed ${this.name}'s connection first`);
      };
      const timer = setTimeout(() => finish(`not within ${timeoutMs} ms`), timeoutMs);
      const finish = (problem?: string) => {
        clearTimeout(timer);
        this.listeners.delete(check);
        if (problem === undefined) return resolve();
        const last = this.lines.slice(-8).map((line) => `  ${line.slice(0, 120)}`);
        reject(
          new Error(
            `${this.name} waited for ${what}: ${problem}. It received ${this.lines.length} lines, the last ones:\n${last.join('\n')}${outputOf(server)}`,
          ),
        );
      };
      this.listeners.add(check);
      check();
    });
  }

  /** Waits until the server has closed this connection (and every line before the close is in). */
  waitForClose(server: RunningProgram, timeoutMs?: number): Promise<void> {
    return this.waitFor('the server to close the connection', () => this.ended, server, timeoutMs);
  }

  /** Waits for a line equal to `line`. */
  waitForLine(line: string, server: RunningProgram, timeoutMs?: number): Promise<void> {
    return this.waitFor(JSON.stringify(line), (lines) => lines.includes(line), server, timeoutMs);
  }
}

/** Connects, sends `name` as the first line, and waits for the welcome. */
async function joinRaw(server: RunningServer, name: string): Promise<RawMember> {
  const member = new RawMember(await connectRaw(server.port), name);
  member.socket.write(`${name}\n`);
  await member.waitFor(
    'its welcome',
    (lines) => lines.some((line) => line.startsWith(`* Welcome, ${name}.`)),
    server,
  );
  return member;
}

interface ChatClient {
  program: RunningProgram;
  /** The client's stdin: write lines to it; end() is end of input. */
  keyboard: PassThrough;
}

/** Starts the lesson's client with a stdin the check types into. */
function startChatClient(server: RunningServer, name: string): ChatClient {
  const keyboard = new PassThrough();
  const program = startProgram(clientFile, ['127.0.0.1', String(server.port), name], {
    input: keyboard,
  });
  return { program, keyboard };
}

/** The chat lines from `sender` that a client printed, in order. */
function linesFrom(program: RunningProgram, sender: string): string[] {
  return program.stdoutLines.filter((line) => line.startsWith(`${sender}: `));
}

describe('lesson 10: the chat server and client', () => {
  test("three clients driven through stdin see each other's lines with names, in the order each sent them, and the joins and leaves", async () => {
    const server = await startServer(serverFile);
    const clients = {
      ann: startChatClient(server, 'ann'),
      bob: startChatClient(server, 'bob'),
      cat: startChatClient(server, 'cat'),
    };
    const { ann, bob, cat } = clients;
    const names = ['ann', 'bob', 'cat'] as const;
    // They start together, so they join in any order: the server's log says which.
    await Promise.all(names.map((name) => server.waitForLine(new RegExp(`^${name} joined from `))));
    const order = [...names].sort(
      (a, b) =>
        server.stdoutLines.findIndex((line) => line.startsWith(`${a} joined`)) -
        server.stdoutLines.findIndex((line) => line.startsWith(`${b} joined`)),
    );
    // Each is welcomed with who was there before it, and told of each who came after.
    await Promise.all(
      order.map(async (name, index) => {
        const { program } = clients[name];
        await program.waitForLine(
          new RegExp(`^\\* Welcome, ${name}\\. Here now: ${order.slice(0, index + 1).join(', ')}$`),
        );
        for (const later of order.slice(index + 1))
          await program.waitForLine(new RegExp(`^\\* ${later} joined$`));
      }),
    );

    const said = (name: string) => [1, 2, 3, 4, 5].map((n) => `${name} says ${n}`);
    // All three type at once: ann all lines in one go, bob line by line, cat
    // with each line cut in two.
    ann.keyboard.write(
      said('ann')
        .map((line) => `${line}\n`)
        .join(''),
    );
    for (const line of said('bob')) bob.keyboard.write(`${line}\n`);
    for (const line of said('cat')) {
      cat.keyboard.write(line.slice(0, 4));
      cat.keyboard.write(`${line.slice(4)}\n`);
    }
    await Promise.all(
      Object.entries(clients).flatMap(([name, client]) =>
        Object.keys(clients)
          .filter((other) => other !== name)
          .map((other) => client.program.waitForLine(new RegExp(`^${other}: ${other} says 5$`))),
      ),
    );
    for (const [name, client] of Object.entries(clients)) {
      for (const sender of Object.keys(clients)) {
        expect(
          linesFrom(client.program, sender),
          sender === name
            ? `${name} must not get its own lines back${outputOf(client.program, server)}`
            : `${name} should see ${sender}'s lines in the order ${sender} sent them${outputOf(client.program, server)}`,
        ).toEqual(sender === name ? [] : said(sender).map((line) => `${sender}: ${line}`));
      }
    }

    // ann's input ends: the others are told she left.
    ann.keyboard.end();
    const annDone = await ann.program.waitForExit();
    expect(annDone.exitCode, outputOf(annDone, server)).toBe(0);
    await Promise.all([
      bob.program.waitForLine(/^\* ann left$/),
      cat.program.waitForLine(/^\* ann left$/),
    ]);
    // bob types /quit: he gets his goodbye, cat is told.
    bob.keyboard.write('/quit\n');
    const bobDone = await bob.program.waitForExit();
    expect(bobDone.exitCode, outputOf(bobDone, server)).toBe(0);
    expect(bobDone.stdoutLines, outputOf(bobDone, server)).toContain('* Goodbye, bob');
    await cat.program.waitForLine(/^\* bob left$/);
    await server.waitForLine(/^bob left: \/quit$/);
    expect(
      server.stdoutLines
        .filter((line) => / joined from | left: /.test(line))
        .map((line) => line.replace(/ from 127\.0\.0\.1:\d+$/, ' from <peer>')),
      outputOf(server),
    ).toEqual([
      ...order.map((name) => `${name} joined from <peer>`),
      'ann left: end of input',
      'bob left: /quit',
    ]);
  });

  test('at the end of its input the client half-closes, and still prints what arrives until the server closes', async () => {
    const server = await startServer(serverFile);
    const eve = await joinRaw(server, 'eve');
    const result = await runProgram(clientFile, ['127.0.0.1', String(server.port), 'dan'], {
      input: 'hello\n/who\n',
    });
    const output = outputOf(result, server);
    expect(result.exitCode, output).toBe(0);
    const lines = result.stdoutLines;
    expect(lines[0], output).toBe(`Connected to 127.0.0.1:${server.port} as dan`);
    expect(lines, output).toContain('> hello');
    expect(lines, output).toContain('> /who');
    // The answer to the last line and the goodbye come after the client's FIN.
    expect(lines, output).toContain('* Here now: eve, dan');
    const endOfInput = lines.indexOf('End of input: leaving the chat');
    const goodbye = lines.indexOf('* Goodbye, dan');
    expect(endOfInput, output).toBeGreaterThan(0);
    expect(goodbye, `the goodbye must be printed after the end of input${output}`).toBeGreaterThan(
      endOfInput,
    );
    expect(lines.at(-1), output).toBe(
      `Disconnected: 127.0.0.1:${server.port} closed the connection`,
    );
    expect(result.stderrLines, output).toEqual([]);
    await server.waitForLine(/^dan left: end of input$/);
    await eve.waitForLine('dan: hello', server);
    await eve.waitForLine('* dan left', server);
  });

  test('when the server goes away the client says so in one line and exits 0; a reset is one error line and exit 1', async () => {
    // A server that resets the connection as soon as the name arrives.
    const resetting = net.createServer((socket) => {
      socket.once('data', () => socket.resetAndDestroy());
    });
    resetting.listen(0, '127.0.0.1');
    await once(resetting, 'listening');
    try {
      const { port } = resetting.address() as net.AddressInfo;
      // Its stdin stays open: only the reset can end it.
      const gus = startProgram(clientFile, ['127.0.0.1', String(port), 'gus'], {
        input: new PassThrough(),
      });
      const server = await startServer(serverFile);
      const fay = startChatClient(server, 'fay');
      await fay.program.waitForLine(/^\* Welcome, fay\./);
      // Ctrl-C on the server: it tells every client, waits for them, exits 0.
      server.signal('SIGINT');
      const serverDone = await server.waitForExit();
      expect(serverDone.exitCode, outputOf(serverDone)).toBe(0);
      expect(serverDone.stdoutLines, outputOf(serverDone)).toContain(
        'SIGINT: closing the server and 1 open connection',
      );
      const fayDone = await fay.program.waitForExit();
      expect(fayDone.exitCode, outputOf(fayDone, serverDone)).toBe(0);
      expect(fayDone.stdoutLines.slice(-2), outputOf(fayDone, serverDone)).toEqual([
        '* The server is shutting down',
        `Disconnected: 127.0.0.1:${server.port} closed the connection`,
      ]);
      expect(fayDone.stderrLines, outputOf(fayDone)).toEqual([]);

      const gusDone = await gus.waitForExit();
      expect(gusDone.exitCode, outputOf(gusDone)).toBe(1);
      expect(gusDone.stderrLines, outputOf(gusDone)).toEqual([
        expect.stringMatching(
          new RegExp(`^Error: connection reset by 127\\.0\\.0\\.1:${port} \\(ECONNRESET\\): `),
        ),
      ]);
    } finally {
      resetting.close();
    }
  });

  test('the client shows each line from the server as soon as it is whole, however the server cuts it, and a line that never ends in pieces', async () => {
    // A stand-in server, so the check decides where each piece of the stream ends.
    const standIn = net.createServer();
    standIn.listen(0, '127.0.0.1');
    await once(standIn, 'listening');
    let socket: net.Socket | undefined;
    try {
      const { port } = standIn.address() as net.AddressInfo;
      const joe = startProgram(clientFile, ['127.0.0.1', String(port), 'joe'], {
        input: new PassThrough(),
      });
      // If the client fails before it connects, say so with its output, not a test timeout.
      [socket] = (await Promise.race([
        once(standIn, 'connection'),
        joe.waitForExit().then((done) => {
          throw new Error(`the client exited before it connected${outputOf(done)}`);
        }),
      ])) as [net.Socket];
      // A client that fails resets the connection: its output says why, not this socket.
      socket.on('error', () => {});
      socket.setNoDelay(true);
      const name = await readBytes(socket, 4);
      expect(name.toString('utf8'), `the client's first line is its name${outputOf(joe)}`).toBe(
        'joe\n',
      );
      // Each piece ends inside a character (ï is 2 bytes, 🐶 is 4), and the next
      // piece goes only once the client has shown the line before: so they
      // reach it as separate chunks.
      const naive = Buffer.from('naïve', 'utf8');
      const dog = Buffer.from('🐶', 'utf8');
      const pieces: Array<[Buffer, RegExp]> = [
        [
          Buffer.concat([
            Buffer.from('* Welcome, joe. Here now: hal, joe\nhal: '),
            naive.subarray(0, 3),
          ]),
          /^\* Welcome, joe\. Here now: hal, joe$/,
        ],
        [
          Buffer.concat([naive.subarray(3), Buffer.from('\nhal: a dog '), dog.subarray(0, 2)]),
          /^hal: naïve$/,
        ],
        // More than the client's 64 KiB cap and no newline: shown without waiting for one.
        [
          Buffer.concat([dog.subarray(2), Buffer.from(`\n${'z'.repeat(70_000)}`)]),
          /^hal: a dog 🐶$/,
        ],
      ];
      for (const [bytes, shown] of pieces) {
        socket.write(bytes);
        await joe.waitForLine(shown);
      }
      await joe.waitForLine(/^z{1000}/);
      socket.end();
      const joeDone = await joe.waitForExit();
      expect(joeDone.exitCode, outputOf(joeDone)).toBe(0);
      expect(joeDone.stdoutLines.at(-1), outputOf(joeDone)).toBe(
        `Disconnected: 127.0.0.1:${port} closed the connection`,
      );
      expect(joeDone.stderrLines, outputOf(joeDone)).toEqual([]);
    } finally {
      socket?.destroy();
      standIn.close();
    }
  });

  test('a line split across many writes and several lines in one write are relayed as the same lines', async () => {
    const server = await startServer(serverFile);
    const ann = await joinRaw(server, 'ann');
    const bob = new RawMember(await connectRaw(server.port), 'bob');
    bob.socket.setNoDelay(true);
    const oneByteAtATime = async (bytes: Buffer) => {
      for (const byte of bytes) {
        bob.socket.write(Buffer.of(byte));
        // Let each byte leave on its own instead of being merged with the next.
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    // The name itself arrives one byte at a time.
    await oneByteAtATime(Buffer.from('bob\n'));
    await ann.waitForLine('* bob joined', server);
    bob.socket.write('one\ntwo\nthree\n');
    // A two-byte and a four-byte character, cut inside each; and a CRLF line.
    await oneByteAtATime(Buffer.from('naïve 🐶\n', 'utf8'));
    bob.socket.write('crlf\r\nlast');
    bob.socket.write(' one\n');
    await ann.waitForLine('bob: last one', server);
    expect(ann.lines, outputOf(server)).toEqual([
      '* Welcome, ann. Here now: ann',
      '* bob joined',
      'bob: one',
      'bob: two',
      'bob: three',
      'bob: naïve 🐶',
      'bob: crlf',
      'bob: last one',
    ]);
    ann.socket.destroy();
    bob.socket.destroy();
  });

  test('/who lists who is here in the order they joined; a name that is taken or not a plain word is refused', async () => {
    const server = await startServer(serverFile);
    const ann = await joinRaw(server, 'ann');
    const bob = await joinRaw(server, 'bob');
    bob.socket.write('/who\n/dance\n');
    await bob.waitForLine('* Here now: ann, bob', server);
    await bob.waitForLine('* Unknown command /dance: try /who or /quit', server);
    const refused = async (name: string) => {
      const socket = await connectRaw(server.port);
      const reply = readUntilClose(socket);
      socket.write(`${name}\n`);
      return (await reply).toString('utf8');
    };
    expect(await refused('ann'), outputOf(server)).toBe(
      '* Refused: the name ann is taken; pick another\n',
    );
    expect(await refused('two words'), outputOf(server)).toBe(
      "* Refused: a name is 1 to 24 letters, digits, '_', '.' or '-'\n",
    );
    expect(await refused('*'), outputOf(server)).toMatch(/^\* Refused: a name is /);
    await server.waitForLine(/^Refused the name "ann" from 127\.0\.0\.1:\d+$/);
    ann.socket.write('/quit\n');
    await bob.waitForLine('* ann left', server);
    bob.socket.write('/who\n');
    await bob.waitForLine('* Here now: bob', server);
    expect(
      ann.lines.filter((line) => line.startsWith('bob')),
      `nobody else sees a command${outputOf(server)}`,
    ).toEqual([]);
    bob.socket.destroy();
  });

  test('a line longer than --max-line bytes closes only that client, with a reason', async () => {
    const server = await startServer(serverFile, { extraArgs: ['--max-line', '100'] });
    const ann = await joinRaw(server, 'ann');
    const bob = await joinRaw(server, 'bob');
    // Exactly at the limit is fine.
    bob.socket.write(`${'x'.repeat(100)}\n`);
    await ann.waitForLine(`bob: ${'x'.repeat(100)}`, server);
    // One byte over, and no newline in sight.
    bob.socket.write('y'.repeat(101));
    await bob.waitForClose(server, 5_000);
    expect(bob.lines.at(-1), outputOf(server)).toBe(
      '* Line too long: the limit is 100 bytes; closing the connection',
    );
    await ann.waitForLine('* bob left (line too long)', server);
    await server.waitForLine(
      new RegExp(
        `^Line too long from bob \\(${escapeRegExp(`127.0.0.1:${bob.socket.localPort}`)}\\): more than 100 bytes$`,
      ),
    );
    // A "name" that never ends is cut off the same way.
    const nameless = await connectRaw(server.port);
    const namelessClosed = readUntilClose(nameless);
    nameless.write('z'.repeat(5000));
    expect((await namelessClosed).toString('utf8'), outputOf(server)).toBe(
      '* Line too long: the limit is 100 bytes; closing the connection\n',
    );
    // The others go on talking.
    const cat = await joinRaw(server, 'cat');
    cat.socket.write('still here\n');
    await ann.waitForLine('cat: still here', server);
    ann.socket.destroy();
    cat.socket.destroy();
  });

  test('a client that stops reading holds nobody up, and is disconnected once --max-queue bytes wait for it', async () => {
    // The default --max-queue: 64 KiB, four times Node's 16 KiB high-water mark.
    const maxQueue = 65_536;
    // The bound the lesson text states: while the slow client reads nothing,
    // each batch of 50 lines reaches the reading clients within 5 s. It takes
    // milliseconds; the slack is for a busy machine. A server that waits for
    // the slow reader never delivers, so any bound catches it.
    const boundMs = 5_000;
    const server = await startServer(serverFile);
    const slow = await joinRaw(server, 'slow');
    const ann = await joinRaw(server, 'ann');
    const bob = await joinRaw(server, 'bob');
    await slow.waitForLine('* bob joined', server);
    // From here the slow client reads nothing: Node stops reading its socket,
    // its kernel buffers fill, then the server's, then the server's queue.
    slow.socket.pause();
    const disconnected =
      /^Disconnecting slow \(127\.0\.0\.1:\d+\): it is not reading; (\d+) bytes wait for it, the limit is 65536$/;
    const batch = 50;
    const pad = '.'.repeat(980);
    let sent = 0;
    let disconnectedInRound: number | undefined;
    // At most 16 MiB, a bound on the check itself: the kernel buffers between
    // the server and the slow client hold a few MiB (about 4 on Linux).
    for (let round = 0; round < 320; round++) {
      const lines = Array.from({ length: batch }, (_, i) => `${sent + i} ${pad}`);
      bob.socket.write(lines.map((line) => `${line}\n`).join(''));
      sent += batch;
      const last = `bob: ${sent - 1} ${pad}`;
      await ann.waitFor(
        `bob's line ${sent - 1} while slow reads nothing (the stated bound: ${boundMs} ms)`,
        (got) => got.at(-1) === last,
        server,
        boundMs,
      );
      // Two more rounds after the disconnection: the others go on as before.
      if (
        disconnectedInRound === undefined &&
        server.stdoutLines.some((line) => disconnected.test(line))
      )
        disconnectedInRound = round;
      if (disconnectedInRound !== undefined && round >= disconnectedInRound + 2) break;
    }
    // The server logs the disconnection before it writes that line to ann.
    const [, waiting] = await server.waitForLine(disconnected, { timeoutMs: 3_000 });
    expect(
      Number(waiting),
      `the server held more than --max-queue for the slow client${outputOf(server)}`,
    ).toBeLessThanOrEqual(maxQueue);
    await ann.waitForLine('* slow left (not reading)', server);
    const fromBob = ann.lines.filter((line) => line.startsWith('bob: '));
    expect(fromBob.length, outputOf(server)).toBe(sent);
    expect(
      fromBob.every((line, index) => line.startsWith(`bob: ${index} `)),
      `ann got bob's lines out of order${outputOf(server)}`,
    ).toBe(true);
    // What the slow client did get is the start of the same conversation.
    slow.socket.resume();
    await slow.waitForClose(server);
    const slowFromBob = slow.lines.filter((line) => line.startsWith('bob: '));
    expect(slowFromBob.length, outputOf(server)).toBeLessThan(sent);
    expect(
      slowFromBob.every((line, index) => line.startsWith(`bob: ${index} `)),
      `the slow client got bob's lines out of order${outputOf(server)}`,
    ).toBe(true);
    ann.socket.destroy();
    bob.socket.destroy();
  });

  test("30 clients talking at once each get every other client's lines, in order, and none of their own", async () => {
    const server = await startServer(serverFile);
    const names = Array.from({ length: 30 }, (_, i) => `m${i}`);
    const members: RawMember[] = [];
    for (const name of names) members.push(await joinRaw(server, name));
    const last = names.at(-1) ?? '';
    await Promise.all(
      members.slice(0, -1).map((member) => member.waitForLine(`* ${last} joined`, server)),
    );
    const count = 10;
    for (const member of members) {
      member.socket.write(
        Array.from({ length: count }, (_, i) => `${member.name} line ${i}\n`).join(''),
      );
    }
    await Promise.all(
      members.map((member) =>
        member.waitFor(
          `${(names.length - 1) * count} lines from the others`,
          (lines) =>
            lines.filter((line) => /^m\d+: /.test(line)).length >= (names.length - 1) * count,
          server,
        ),
      ),
    );
    for (const member of members) {
      for (const sender of names) {
        const got = member.lines.filter((line) => line.startsWith(`${sender}: `));
        const expected =
          sender === member.name
            ? []
            : Array.from({ length: count }, (_, i) => `${sender}: ${sender} line ${i}`);
        expect(got, `${member.name}'s lines from ${sender}${outputOf(server)}`).toEqual(expected);
      }
    }
    for (const member of members) member.socket.destroy();
  });

  test("the server logs each client's own address, a client whose connection breaks is removed and the others are told, and Ctrl-C cuts off a client that never closes", async () => {
    const server = await startServer(serverFile);
    const ann = await joinRaw(server, 'ann');
    const zed = await joinRaw(server, 'zed');
    // A client that reads the server's goodbye but never closes its own side.
    const stubbornSocket = net.createConnection({
      host: '127.0.0.1',
      port: server.port,
      allowHalfOpen: true,
    });
    await once(stubbornSocket, 'connect');
    const stubborn = new RawMember(stubbornSocket, 'sam');
    stubborn.socket.write('sam\n');
    await stubborn.waitForLine('* Welcome, sam. Here now: ann, zed, sam', server);
    for (const member of [ann, zed, stubborn]) {
      await server.waitForLine(
        new RegExp(
          `^Accepted connection from ${escapeRegExp(`127.0.0.1:${member.socket.localPort}`)}$`,
        ),
      );
      await server.waitForLine(
        new RegExp(
          `^${member.name} joined from ${escapeRegExp(`127.0.0.1:${member.socket.localPort}`)}$`,
        ),
      );
    }
    // zed's connection breaks (a reset, as when its program crashes): the server
    // must go on, without zed, and tell the others why zed left.
    const zedPort = zed.socket.localPort;
    zed.socket.resetAndDestroy();
    await ann.waitForLine('* zed left (connection lost)', server);
    await stubborn.waitForLine('* zed left (connection lost)', server);
    await server.waitForLine(
      new RegExp(
        `^zed left: connection reset by ${escapeRegExp(`127.0.0.1:${zedPort}`)} \\(ECONNRESET\\)`,
      ),
    );
    ann.socket.write('/who\n');
    await ann.waitForLine('* Here now: ann, sam', server);
    // Ctrl-C: ann closes when the server does, sam does not and is cut off.
    server.signal('SIGINT');
    const serverDone = await server.waitForExit();
    expect(serverDone.exitCode, outputOf(serverDone)).toBe(0);
    expect(serverDone.stdoutLines, outputOf(serverDone)).toContain(
      'SIGINT: closing the server and 2 open connections',
    );
    expect(
      serverDone.stdoutLines.filter((line) => line.startsWith('Cutting off ')),
      `only the client that never closed is cut off${outputOf(serverDone)}`,
    ).toEqual([
      `Cutting off 127.0.0.1:${stubborn.socket.localPort}: it did not close within ${SHUTDOWN_GRACE_MS} ms`,
    ]);
    expect(stubborn.lines.at(-1), outputOf(serverDone)).toBe('* The server is shutting down');
    stubborn.socket.destroy();
  });

  test('hostile names and lines reach no terminal raw: the server log and every client escape them', async () => {
    const server = await startServer(serverFile);
    const ann = startChatClient(server, 'ann');
    await ann.program.waitForLine(/^\* Welcome, ann\./);
    // A name made of terminal controls is refused, and logged escaped.
    const attacker = await connectRaw(server.port);
    const refusedReply = readUntilClose(attacker);
    attacker.write(`${TERMINAL_ATTACK}\n`);
    await refusedReply;
    await server.waitForLine(/^Refused the name /);
    // A member who sends controls in its lines: ann prints them escaped.
    const mal = await joinRaw(server, 'mal');
    mal.socket.write(
      Buffer.concat([Buffer.from(`${TERMINAL_ATTACK}\n`), HOSTILE, Buffer.from('\nbye\n')]),
    );
    await ann.program.waitForLine(/^mal: bye$/);
    // ann types controls too: her own echo is escaped, and mal gets the bytes as sent.
    ann.keyboard.write(`${TERMINAL_ATTACK}\n`);
    await mal.waitForLine(`ann: ${TERMINAL_ATTACK}`, server);
    ann.keyboard.end();
    const annDone = await ann.program.waitForExit();
    expect(annDone.exitCode, outputOf(annDone, server)).toBe(0);
    expect(
      annDone.stdoutLines.filter((line) => line.startsWith('mal: ')).length,
      outputOf(annDone, server),
    ).toBe(3);
    expect(annDone.stdoutLines, outputOf(annDone)).toContain(
      'mal: \\x1b]0;owned\\x07\\x1b[2J\\x9b31m\\u202eevil\\u2066x\\u2069',
    );
    mal.socket.destroy();
    server.signal('SIGTERM');
    const serverDone = await server.waitForExit();
    expectNothingRaw(annDone, serverDone);
  });

  test('bad arguments print the usage line and exit 1; --help explains every argument and exits 0', async () => {
    const [noName, badName, badLimit, serverHelp, clientHelp] = await Promise.all([
      runProgram(clientFile, ['127.0.0.1', '65432']),
      runProgram(clientFile, ['127.0.0.1', '65432', 'two\nlines']),
      runProgram(serverFile, ['127.0.0.1', '0', '--max-line', '0']),
      runProgram(serverFile, ['--help']),
      runProgram(clientFile, ['--help']),
    ]);
    for (const result of [noName, badName, badLimit]) {
      expect(result.exitCode, outputOf(result)).toBe(1);
      expect(result.stderrLines[0], outputOf(result)).toMatch(/^Usage: chat-(client|server)\.ts /);
    }
    expect(noName.stderrLines[0], outputOf(noName)).toBe(
      'Usage: chat-client.ts <host> <port> <name>',
    );
    expect(badName.stderrLines[1], outputOf(badName)).toBe(
      `chat-client.ts: name must be 1 to 24 letters, digits, '_', '.' or '-', got "two\\nlines"`,
    );
    expect(badLimit.stderrLines[0], outputOf(badLimit)).toBe(
      'Usage: chat-server.ts <host> <port> [--max-line BYTES] [--max-queue BYTES]',
    );
    expectHelpText(serverHelp, {
      names: ['host', 'port', '--max-line BYTES', '--max-queue BYTES'],
    });
    expectHelpText(clientHelp, { names: ['host', 'port', 'name'] });
  });
});

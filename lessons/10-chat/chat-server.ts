// Lesson 10: a chat server. A client sends its name as its first line, then
// lines of text; the server sends each line to every other client as
// `<name>: <line>`. The seed's threaded server, which answers every line, in Node
// terms: one event loop, one Member per connection, and no wait on a slow reader.
// Run: npx tsx lessons/10-chat/chat-server.ts <host> <port> [--max-line BYTES] [--max-queue BYTES]

import net from 'node:net';
import { once } from 'node:events';
import { parseArgsOrExit } from '../../shared/args.ts';
import { formatAddress, peerAddress, serverAddress } from '../../shared/address.ts';
import { escapeText, plural, shortenText } from '../../shared/bytes.ts';
import { onShutdownSignal, SHUTDOWN_GRACE_MS } from '../../shared/shutdown.ts';
import { exitWithSocketError, explainSocketError } from '../../shared/socket-errors.ts';

const args = parseArgsOrExit({
  program: 'chat-server.ts',
  summary:
    'Relays each line a client sends to every other client, with its name, until stopped with Ctrl-C.',
  positionals: [
    { name: 'host', kind: 'host', help: 'the address to listen on, e.g. 127.0.0.1' },
    { name: 'port', kind: 'port', help: 'the port to listen on (0: any free port)' },
  ],
  options: {
    // Newline framing has no length prefix: without a cap, a client that never
    // sends a newline makes the server buffer its "line" for ever.
    'max-line': {
      kind: 'count',
      valueName: 'BYTES',
      default: '1024',
      help: 'close a client that sends a longer line',
    },
    // What the server may hold for one client that does not read.
    'max-queue': {
      kind: 'count',
      valueName: 'BYTES',
      default: '65536',
      help: 'disconnect a client once this much waits unsent for it',
    },
  },
});
const { host, port } = args;
const maxLine = args['max-line'];
const maxQueue = args['max-queue'];

/** Names are shown to everyone: no spaces, no `*` or `:`, so no one can pose as the server or as another. */
const NAME_PATTERN = /^[\p{L}\p{N}_.-]{1,24}$/u;
const NEWLINE = 0x0a;
/** How long a closed connection may go on sending before it is cut off, in ms. */
const CLOSE_TIMEOUT_MS = 5_000;
/** How much of a refused name a log line shows. */
const LOG_LIMIT = 40;

/** The members who have joined, by name, in the order they joined. */
const members = new Map<string, Member>();
/** Every open connection, joined or not: what Ctrl-C closes. */
const connections = new Set<Member>();

/** Sends `line` to every member but `sender`. Never waits: see Member.send(). */
function broadcast(line: string, sender?: Member): void {
  // exercise(broadcast): Send the line to every member except the one who sent it.
  for (const member of members.values()) {
    if (member !== sender) member.send(line);
  }
  // end exercise
}

/** One client connection: its name once it has sent one, and its unfinished line. */
class Member {
  readonly socket: net.Socket;
  readonly peer: string;
  name: string | undefined;
  /** Bytes received after the last newline: the start of the next line. */
  private pending = Buffer.alloc(0);
  private closed = false;

  constructor(socket: net.Socket, peer: string) {
    this.socket = socket;
    this.peer = peer;
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('end', () => this.finish());
    socket.on('error', (error) =>
      this.lost(explainSocketError(error, { address: peer })),
    );
    // 'close' follows 'end', 'error' or our own destroy(), so close() has run
    // already and this does nothing: a safety net, so no member is left behind.
    socket.on('close', () => this.lost('connection closed'));
  }

  /** Who this is in a log line: `alice (127.0.0.1:50001)`, or the address alone before a name. */
  get label(): string {
    return this.name === undefined ? this.peer : `${this.name} (${this.peer})`;
  }

  /**
   * TCP is a byte stream: one chunk may hold half a line or several. Each
   * newline ends a line; the bytes after the last one wait for the next chunk.
   */
  receive(chunk: Buffer): void {
    // After close() we still read, and drop, what arrives: closing with unread
    // bytes makes the kernel send a reset, which can destroy our last words.
    if (this.closed) return;
    this.pending = Buffer.concat([this.pending, chunk]);
    // exercise(split-lines): Take every whole line off the front of this.pending and
    //   hand it to handleLine(); close a client whose line grows past --max-line bytes.
    for (;;) {
      const newline = this.pending.indexOf(NEWLINE);
      const lineLength = newline === -1 ? this.pending.length : newline;
      if (lineLength > maxLine) {
        this.close({
          log: `Line too long from ${this.label}: more than ${maxLine} bytes`,
          lastWords: `* Line too long: the limit is ${maxLine} bytes; closing the connection`,
          why: 'line too long',
        });
        return;
      }
      if (newline === -1) return;
      // `\r\n` from telnet and Windows tools ends a line too. Split bytes, then
      // decode: a newline byte never occurs inside a UTF-8 character.
      const line = this.pending
        .subarray(0, newline)
        .toString('utf8')
        .replace(/\r$/, '');
      this.pending = this.pending.subarray(newline + 1);
      this.handleLine(line);
      if (this.closed) return;
    }
    // end exercise
  }

  /** The first line is the name; later ones are commands or chat. */
  private handleLine(line: string): void {
    if (this.name === undefined) {
      this.join(line.trim());
    } else if (line === '/quit') {
      this.close({
        log: `${this.name} left: /quit`,
        lastWords: `* Goodbye, ${this.name}`,
      });
    } else if (line === '/who') {
      this.send(`* Here now: ${[...members.keys()].join(', ')}`);
    } else if (line.startsWith('/')) {
      this.send(`* Unknown command ${line.split(' ')[0] ?? ''}: try /who or /quit`);
    } else if (line.trim() !== '') {
      broadcast(`${this.name}: ${line}`, this);
    }
  }

  private join(name: string): void {
    if (!NAME_PATTERN.test(name) || members.has(name)) {
      const problem = members.has(name)
        ? `the name ${name} is taken; pick another`
        : `a name is 1 to 24 letters, digits, '_', '.' or '-'`;
      this.close({
        log: `Refused the name "${escapeText(shortenText(name, LOG_LIMIT))}" from ${this.peer}`,
        lastWords: `* Refused: ${problem}`,
      });
      return;
    }
    this.name = name;
    members.set(name, this);
    console.log(`${name} joined from ${this.peer}`);
    this.send(`* Welcome, ${name}. Here now: ${[...members.keys()].join(', ')}`);
    broadcast(`* ${name} joined`, this);
  }

  /**
   * Queues a line for this client. socket.write() never blocks: when the kernel's
   * send buffer is full, Node keeps the bytes in memory (writableLength). A client
   * that does not read would make that grow without end, so past --max-queue
   * bytes it is disconnected instead of slowing everyone else down.
   */
  send(line: string): void {
    if (this.closed) return;
    const bytes = Buffer.from(`${line}\n`, 'utf8');
    // exercise(slow-consumer): Write the line, unless that would leave more than
    //   --max-queue bytes waiting for this client: then disconnect it at once.
    if (this.socket.writableLength + bytes.length > maxQueue) {
      const waiting = this.socket.writableLength;
      this.close({
        log: `Disconnecting ${this.label}: it is not reading; ${waiting} bytes wait for it, the limit is ${maxQueue}`,
        why: 'not reading',
      });
      return;
    }
    this.socket.write(bytes);
    // end exercise
  }

  /** The client half-closed: its last line may lack a newline; then it has left. */
  finish(): void {
    if (this.closed) return;
    if (this.pending.length > 0) this.handleLine(this.pending.toString('utf8'));
    if (this.name === undefined) this.close({});
    else
      this.close({
        log: `${this.name} left: end of input`,
        lastWords: `* Goodbye, ${this.name}`,
      });
  }

  /** The connection broke (a reset, an error): tell the others. */
  lost(reason: string): void {
    this.close({
      log: `${this.name ?? this.peer} left: ${reason}`,
      why: 'connection lost',
    });
  }

  /**
   * Closes once: logs `log`, tells the others that this member left (and `why`,
   * if it did not leave by itself), sends `lastWords` to it, then ends the connection.
   */
  close({
    log,
    lastWords,
    why,
  }: {
    log?: string;
    lastWords?: string;
    why?: string;
  }): void {
    if (this.closed) return;
    this.closed = true;
    if (log !== undefined) console.log(log);
    console.log(`Closing connection to ${this.peer}`);
    if (this.name !== undefined && members.get(this.name) === this) {
      members.delete(this.name);
      broadcast(`* ${this.name} left${why === undefined ? '' : ` (${why})`}`);
    }
    // One line more than --max-queue at most: this client gets nothing after it.
    if (lastWords !== undefined) this.socket.write(`${lastWords}\n`);
    if (why === 'not reading') {
      // Its queue is full; end() would wait behind it. destroy() drops the queue.
      this.socket.destroy();
      return;
    }
    // end(): send what is queued, then FIN. Reading goes on (and drops the
    // bytes) until the client closes too, or CLOSE_TIMEOUT_MS pass.
    this.socket.setTimeout(CLOSE_TIMEOUT_MS, () => this.socket.destroy());
    this.socket.resume();
    this.socket.end();
  }
}

// allowHalfOpen: a client that half-closes (end of its input) still reads its
// goodbye; without it Node would close our side the moment its FIN arrives.
const server = net.createServer({ allowHalfOpen: true });

server.on('connection', (socket) => {
  const peer = peerAddress(socket);
  console.log(`Accepted connection from ${peer}`);
  // Lines are small and should show at once: no waiting to merge them (Nagle).
  socket.setNoDelay(true);
  // A member whose machine vanished never sends FIN; TCP keep-alive probes
  // find out after a minute or so, and the 'error' listener then removes it.
  socket.setKeepAlive(true, 60_000);
  const member = new Member(socket, peer);
  connections.add(member);
  socket.once('close', () => connections.delete(member));
});

server.listen(port, host);
try {
  await once(server, 'listening');
} catch (error) {
  exitWithSocketError(error, { address: formatAddress(host, port) });
}
// From here an error on the listening socket (accept() failing when the process
// is out of file descriptors) is logged, and the server goes on.
server.on('error', (error) =>
  console.log(`Could not accept a connection: ${explainSocketError(error)}`),
);

// Ctrl-C or SIGTERM: stop accepting, tell every client, let each read that and
// close, and cut off whoever is still connected after the grace period.
onShutdownSignal((signal) => {
  console.log(
    `${signal}: closing the server and ${plural(connections.size, 'open connection')}`,
  );
  server.close();
  // Everyone is told the same, so no one needs to hear that the others left.
  members.clear();
  for (const member of connections)
    member.close({ lastWords: '* The server is shutting down' });
  const exitWhenDone = setInterval(() => {
    if (connections.size === 0) process.exit(0);
  }, 50);
  setTimeout(() => {
    clearInterval(exitWhenDone);
    for (const member of connections) {
      console.log(
        `Cutting off ${member.peer}: it did not close within ${SHUTDOWN_GRACE_MS} ms`,
      );
      member.socket.destroy();
    }
    process.exit(0);
  }, SHUTDOWN_GRACE_MS).unref();
});
console.log(`Listening on ${serverAddress(server)}`);

// Lesson 09: lesson 04's search server, but one connection carries many requests.
// Where lesson 04's Message read one request, answered it and closed, each
// Connection here loops: decode every whole request that has arrived, answer
// them in order, and wait for more, until the client closes, goes quiet, or
// reaches --max-requests. A request without "keep-alive": true (lesson 04's
// client, the tutorial's app-client.py) is answered as before, then closed.
// Run: npx tsx lessons/09-persistent/persistent-server.ts <host> <port> [--max-content-length BYTES] [--idle-timeout SECONDS] [--max-requests N]

import net from 'node:net';
import { once } from 'node:events';
import { parseArgsOrExit } from '../../shared/args.ts';
import { formatAddress, peerAddress, serverAddress } from '../../shared/address.ts';
import { escapeBytes, escapeText, plural, shortenText } from '../../shared/bytes.ts';
import { onShutdownSignal, SHUTDOWN_GRACE_MS } from '../../shared/shutdown.ts';
import { exitWithSocketError, explainSocketError } from '../../shared/socket-errors.ts';
import {
  DEFAULT_MAX_CONTENT_LENGTH,
  encodeJson,
  FrameError,
  MessageDecoder,
  type DecodedFrame,
} from '../03-framing/frame.ts';
import {
  connectionFields,
  encodeWithFields,
  JSON_CONTENT_TYPE,
  jsonContent,
  type ConnectionFields,
} from './protocol.ts';

const args = parseArgsOrExit({
  program: 'persistent-server.ts',
  summary:
    'Answers searches like lesson 04, many per connection for clients that ask for keep-alive.',
  positionals: [
    { name: 'host', kind: 'host', help: 'the address to listen on, e.g. 127.0.0.1' },
    { name: 'port', kind: 'port', help: 'the port to listen on (0: any free port)' },
  ],
  options: {
    // A request announces its own content-length: without a cap, one client
    // could make the server set aside any amount of memory for it.
    'max-content-length': {
      kind: 'count',
      valueName: 'BYTES',
      default: String(DEFAULT_MAX_CONTENT_LENGTH),
      help: 'refuse a request whose content is longer than this',
    },
    // A kept-alive connection costs a socket and buffers while it sits idle.
    'idle-timeout': {
      kind: 'seconds',
      valueName: 'SECONDS',
      default: '30',
      help: 'close a connection that sends no request for this long',
    },
    // One client should not hold a connection (and its place in line) forever.
    'max-requests': {
      kind: 'count',
      valueName: 'N',
      default: '1000',
      help: 'close a kept-alive connection after answering this many requests',
    },
  },
});
const { host, port } = args;
const maxContentLength = args['max-content-length'];
const idleTimeoutSeconds = args['idle-timeout'];
const maxRequests = args['max-requests'];

/** The search table of lesson 04. A Map, so a query such as "constructor" is only ever a key. */
const SEARCH_ANSWERS = new Map([
  ['morpheus', 'Follow the white rabbit. 🐰'],
  ['ring', 'In the caves beneath the Misty Mountains. 💍'],
  ['🐶', '🐾 Playing ball! 🏐'],
]);
const BINARY_RESPONSE_TYPE = 'binary/custom-server-binary-type';
const BINARY_RESPONSE_PREFIX = Buffer.from('First 10 bytes of request: ', 'utf8');
/** How much of a request one log line shows. */
const LOG_LIMIT = 80;

/** The answer's content type and bytes, as lesson 04 gives them; the request is checked here. */
function createAnswer(request: DecodedFrame): {
  type: string;
  encoding: string;
  content: Buffer;
  shown: string;
} {
  const type = request.header['content-type'];
  if (type !== JSON_CONTENT_TYPE) {
    return {
      type: BINARY_RESPONSE_TYPE,
      encoding: 'binary',
      content: Buffer.concat([BINARY_RESPONSE_PREFIX, request.content.subarray(0, 10)]),
      shown: `${escapeBytes(Buffer.from(type))} request`,
    };
  }
  const json = jsonContent(request);
  const { action, value } = json;
  if (typeof action !== 'string')
    throw new FrameError('bad-field', '"action" must be a string');
  let result: string;
  if (action !== 'search') result = `Error: invalid action "${action}".`;
  else if (typeof value !== 'string')
    throw new FrameError('bad-field', '"value" of a search must be a string');
  else result = SEARCH_ANSWERS.get(value) ?? `No match for "${value}".`;
  return {
    type: JSON_CONTENT_TYPE,
    encoding: 'utf-8',
    content: encodeJson({ result }),
    shown: `request ${escapeText(shortenText(encodeJson(json).toString('utf8'), LOG_LIMIT))}`,
  };
}

/**
 * One client connection and all the requests on it. Socket events call in:
 * receive() for each chunk, finish() when the client closes its side.
 */
class Connection {
  readonly socket: net.Socket;
  readonly peer: string;
  /** Lesson 03's decoder: it keeps a partial request between chunks, for as long as the connection lives. */
  private readonly decoder = new MessageDecoder({ maxContentLength });
  /** Requests answered so far on this connection. */
  private served = 0;
  private closed = false;
  private pausedOnce = false;

  constructor(socket: net.Socket, peer: string) {
    this.socket = socket;
    this.peer = peer;
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('end', () => this.finish());
    socket.on('error', (error) => {
      const problem = explainSocketError(error, { address: peer });
      this.close(problem.charAt(0).toUpperCase() + problem.slice(1));
    });
    socket.on('close', () => this.close());
    // Answers are small and complete when written. Nagle's algorithm would hold
    // the second of two answers until the first is acknowledged, and the
    // client's kernel delays that acknowledgement by up to 40 ms.
    socket.setNoDelay(true);
    // Between requests a kept-alive connection waits; this bounds how long.
    socket.setTimeout(idleTimeoutSeconds * 1000, () =>
      this.close(`Idle timeout: no request from ${peer} for ${idleTimeoutSeconds} s`),
    );
  }

  receive(chunk: Buffer): void {
    // After close() we still read, and drop, what arrives: closing a socket with
    // unread bytes makes the system send a reset, which can destroy our answers.
    if (this.closed) return;
    this.serviceRequests(this.decoder.decode(chunk));
  }

  /**
   * The loop that replaces lesson 04's one request: every whole request the
   * decoder has, in the order it came, each answered before the next is read.
   * One chunk may hold many requests (pipelining) or part of one.
   */
  private serviceRequests(requests: IterableIterator<DecodedFrame>): void {
    // cork(): the answers to one chunk of requests collect in Node and leave
    // in one write when uncork() runs, instead of one system call per answer.
    this.socket.cork();
    try {
      // exercise(request-loop): Answer every whole request the decoder hands out, in
      //   order; stop after a one-shot request or the --max-requests-th, and stop
      //   reading while the client is not reading its answers.
      for (const request of requests) {
        const keepAlive = this.answer(request);
        if (!keepAlive) return;
        // Backpressure: the client is sending requests faster than it reads the
        // answers. Stop reading until the answers drain; the unread requests
        // wait in the kernel, and TCP makes the client wait.
        if (this.socket.writableNeedDrain) {
          this.pauseUntilDrained();
          return;
        }
      }
      // end exercise
    } catch (error) {
      // A bad frame after good ones: those were answered above, in order; the
      // answers still queued go out before the close (end() sends them first).
      const reason =
        error instanceof FrameError
          ? `Protocol error from ${this.peer}: ${escapeText(error.message)}`
          : `Internal error while serving ${this.peer}: ${error instanceof Error ? error.stack : String(error)}`;
      this.close(reason);
    } finally {
      this.socket.uncork();
    }
  }

  /** Answers one request; returns whether the connection stays open for the next. */
  private answer(request: DecodedFrame): boolean {
    const fields = connectionFields(request.header);
    const answer = createAnswer(request);
    this.served += 1;
    const id = fields['request-id'];
    const idText = id === undefined ? '' : ` (id ${escapeText(JSON.stringify(id))})`;
    console.log(`Received ${answer.shown}${idText} from ${this.peer}`);
    // Only a client that asked for keep-alive gets it: lesson 04's client does
    // not send the field and waits for the close after its one answer.
    const limitReached = this.served >= maxRequests;
    const keepAlive = fields['keep-alive'] === true && !limitReached;
    const reply: ConnectionFields = {};
    if (fields['keep-alive'] !== undefined) reply['keep-alive'] = keepAlive;
    if (id !== undefined) reply['request-id'] = id;
    // With neither field the answer is byte for byte lesson 04's.
    this.socket.write(
      encodeWithFields(answer.type, answer.encoding, answer.content, reply),
    );
    if (keepAlive) return true;
    this.close(
      fields['keep-alive'] === true
        ? `Request limit: answered ${plural(this.served, 'request')} from ${this.peer}`
        : undefined,
    );
    return false;
  }

  private pauseUntilDrained(): void {
    if (!this.pausedOnce) {
      this.pausedOnce = true;
      console.log(`Pausing reads from ${this.peer}: it is not reading its answers`);
    }
    this.socket.pause();
    this.socket.once('drain', () => {
      if (this.closed) return;
      this.socket.resume();
      // An empty chunk: the decoder goes on with the requests it already holds.
      this.serviceRequests(this.decoder.decode(Buffer.alloc(0)));
    });
  }

  /** The client closed its sending side: answer nothing more, close ours. */
  finish(): void {
    if (this.closed) return;
    try {
      this.decoder.end();
      this.close();
    } catch (error) {
      this.close(
        `Protocol error from ${this.peer}: ${error instanceof Error ? escapeText(error.message) : String(error)}`,
      );
    }
  }

  /** Closes once, after the answers already queued; later calls do nothing. */
  close(reason?: string): void {
    if (this.closed) return;
    this.closed = true;
    if (reason !== undefined) console.log(reason);
    console.log(`Closing connection to ${this.peer}`);
    // end(): send what is queued, then FIN. Reading goes on (and drops the
    // bytes) until the client closes too. A client that never reads would keep
    // the socket forever: the idle timer, still running, destroys it.
    this.socket.setTimeout(idleTimeoutSeconds * 1000, () => this.socket.destroy());
    this.socket.resume();
    this.socket.end();
  }
}

// allowHalfOpen: a client may close its sending side once its requests are
// out and still read the answers; without it, Node would close our side at once.
const server = net.createServer({ allowHalfOpen: true });
const open = new Set<Connection>();

server.on('connection', (socket) => {
  const peer = peerAddress(socket);
  console.log(`Accepted connection from ${peer}`);
  const connection = new Connection(socket, peer);
  open.add(connection);
  socket.once('close', () => open.delete(connection));
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

// Ctrl-C or SIGTERM: stop accepting, let every connection send the answers it
// owes and close, and cut off whatever is still open after the grace period.
onShutdownSignal((signal) => {
  console.log(
    `${signal}: closing the server and ${plural(open.size, 'open connection')}`,
  );
  server.close();
  for (const connection of open) connection.close();
  const exitWhenDone = setInterval(() => {
    if (open.size === 0) process.exit(0);
  }, 50);
  setTimeout(() => {
    clearInterval(exitWhenDone);
    for (const connection of open) {
      console.log(
        `Cutting off ${connection.peer}: it did not close within ${SHUTDOWN_GRACE_MS} ms`,
      );
      connection.socket.destroy();
    }
    process.exit(0);
  }, SHUTDOWN_GRACE_MS).unref();
});
console.log(`Listening on ${serverAddress(server)}`);

// Lesson 04: the server's Message class, one per connection, like the tutorial's
// libserver.py. It reads one request, builds the response, writes it and closes.
// Its states, in order: 'header-length', 'header', 'content' (all three read the
// request), 'response' (writing the answer), 'closed'.

import type net from 'node:net';
import {
  escapeBytes,
  escapeText,
  formatBytes,
  plural,
  shortenText,
} from '../../shared/bytes.ts';
import { describeValue, type MessageHeader } from '../03-framing/frame.ts';
import {
  binaryMessage,
  ContentError,
  decodeContent,
  isProtocolError,
  jsonMessage,
  jsonText,
  Message,
  type Content,
  type JsonObject,
  type MessageOptions,
} from './message.ts';

/** The search table. A Map, so a query such as "constructor" is looked up as a key, never as a property. */
const SEARCH_ANSWERS = new Map([
  ['morpheus', 'Follow the white rabbit. 🐰'],
  ['ring', 'In the caves beneath the Misty Mountains. 💍'],
  ['🐶', '🐾 Playing ball! 🏐'],
]);

const BINARY_RESPONSE_TYPE = 'binary/custom-server-binary-type';
const BINARY_RESPONSE_PREFIX = Buffer.from('First 10 bytes of request: ', 'utf8');

/** How much of a request or response one log line shows: a 1 MiB query stays one readable line. */
const LOG_LIMIT = 1024;

export type ServerState =
  'header-length' | 'header' | 'content' | 'response' | 'closed';

/** A request that passed every check, so building its answer cannot fail. */
type Request =
  | { kind: 'search'; json: JsonObject; value: string }
  | { kind: 'other-action'; json: JsonObject; action: string }
  | { kind: 'binary'; contentType: string; bytes: Buffer };

/**
 * Request content all connections may hold at once. The content cap bounds one
 * request; without this, 200 clients each announcing just under the cap would
 * still make the server set aside 200 times as much. A request's announced
 * content-length is reserved when its header arrives, before any content is
 * kept, and given back when its connection closes.
 */
export class RequestBudget {
  readonly limit: number;
  private reserved = 0;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Reserves `bytes`, or throws a BusyError if that would go above the limit. */
  reserve(bytes: number, peer: string): void {
    if (this.reserved + bytes > this.limit) {
      throw new BusyError(
        `server busy: the ${plural(bytes, 'byte')} ${peer} announced would take the requests being read above ${this.limit} bytes (--max-buffered)`,
      );
    }
    this.reserved += bytes;
  }

  release(bytes: number): void {
    this.reserved -= bytes;
  }
}

/** The server has no room for a request right now: not the client's fault, but it still costs its connection. */
export class BusyError extends Error {
  override name = 'BusyError';
}

export interface ServerOptions extends MessageOptions {
  budget: RequestBudget;
}

/** Checks what a JSON request holds; the tutorial would answer `invalid action "None"` instead. */
function parseRequest(content: Content): Request {
  if (content.kind === 'binary') return content;
  const json = content.value;
  const { action, value } = json;
  if (action === undefined) throw new ContentError('"action" is missing');
  if (typeof action !== 'string')
    throw new ContentError(`"action" must be a string, got ${describeValue(action)}`);
  if (action !== 'search') return { kind: 'other-action', json, action };
  if (value === undefined) throw new ContentError('"value" of a search is missing');
  if (typeof value !== 'string')
    throw new ContentError(
      `"value" of a search must be a string, got ${describeValue(value)}`,
    );
  return { kind: 'search', json, value };
}

function answerJson(request: Exclude<Request, { kind: 'binary' }>): JsonObject {
  // exercise(search-answer): Answer a search from SEARCH_ANSWERS, or say there is no
  //   match, and answer any other action with the invalid-action error.
  if (request.kind === 'search') {
    return {
      result: SEARCH_ANSWERS.get(request.value) ?? `No match for "${request.value}".`,
    };
  }
  return { result: `Error: invalid action "${request.action}".` };
  // end exercise
}

function createResponse(request: Request): Buffer {
  if (request.kind === 'binary') {
    return binaryMessage(
      BINARY_RESPONSE_TYPE,
      Buffer.concat([BINARY_RESPONSE_PREFIX, request.bytes.subarray(0, 10)]),
    );
  }
  return jsonMessage(answerJson(request));
}

/** Why a connection is closed, in one line: a peer's mistake, no room, or (never from peer input) a bug here. */
function closeReason(error: unknown, peer: string): string {
  if (isProtocolError(error)) return `protocol error from ${peer}: ${error.message}`;
  if (error instanceof BusyError) return error.message;
  const what =
    error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return `internal error while serving ${peer}: ${escapeText(shortenText(what, 200))}`;
}

export class ServerMessage extends Message {
  private request: Request | undefined;
  /** The answer, once it is being written: its presence is what the 'response' state means. */
  private response: Buffer | undefined;
  private ignoredExtra = false;
  private readonly budget: RequestBudget;
  private reservedBytes = 0;

  constructor(socket: net.Socket, peer: string, options: ServerOptions) {
    super(socket, peer, {
      ...options,
      // Room for the content is reserved as soon as the header says how much is coming.
      onHeader: (header: MessageHeader) => {
        options.budget.reserve(header['content-length'], peer);
        this.reservedBytes = header['content-length'];
      },
    });
    this.budget = options.budget;
  }

  get state(): ServerState {
    if (this.closed) return 'closed';
    if (this.response !== undefined) return 'response';
    return this.decoder.state;
  }

  read(chunk: Buffer | null): void {
    // One request per connection: once it is whole, later bytes are read and
    // dropped. Reading them (rather than leaving them in the kernel, as the
    // tutorial does) matters at close: closing a socket with unread bytes makes
    // the system send a reset, which can destroy our response on its way.
    if (this.state === 'response' || this.state === 'closed') {
      if (chunk !== null && this.state === 'response') this.ignoreExtra(chunk.length);
      return;
    }
    try {
      if (chunk === null) {
        // Throws if the peer stopped in the middle of a request.
        this.decoder.end();
        this.close(`${this.peer} closed the connection without sending a request`);
        return;
      }
      // exercise(read-request): Give the chunk to the decoder; once it hands back the
      //   first whole message, decode and check it (decodeContent, parseRequest) and
      //   keep it in this.request.
      // The decoder keeps partial bytes between calls and hands out a message only
      // when all its content is in: no request is answered before that. One
      // request per connection: take the first, and leave any bytes after it unread.
      const next = this.decoder.decode(chunk).next();
      if (next.done) return;
      this.request = parseRequest(decodeContent(next.value));
      // end exercise
      this.logRequest(this.request);
      this.respond(this.request);
      // Bytes that came in the same chunk after the request are not a second request.
      if (this.decoder.bufferedBytes > 0) this.ignoreExtra(this.decoder.bufferedBytes);
    } catch (error) {
      // Whatever this client sent, it costs this client its connection, never
      // the server, and the log gets one line saying why.
      const reason = closeReason(error, this.peer);
      this.close(reason);
      return;
    }
    this.write();
  }

  /** Builds the answer and queues it: from here on the state is 'response'. */
  private respond(request: Request): void {
    const response = createResponse(request);
    this.response = response;
    console.log(`Sending ${formatBytes(response, LOG_LIMIT)} to ${this.peer}`);
    this.send(response);
  }

  write(): void {
    // The response is out: nothing is left to do on this connection.
    if (this.state === 'response' && this.allSent) this.close();
  }

  override close(problem?: string, how: 'linger' | 'now' = 'linger'): void {
    super.close(problem, how);
    // The request's reserved room is given back once, whichever way the connection ends.
    this.budget.release(this.reservedBytes);
    this.reservedBytes = 0;
  }

  /** Says once that bytes after the request are being dropped, so a chatty client cannot flood the log. */
  private ignoreExtra(length: number): void {
    if (this.ignoredExtra) return;
    this.ignoredExtra = true;
    console.log(
      `Ignoring ${plural(length, 'byte')} that ${this.peer} sent after its request, and anything after them`,
    );
  }

  private logRequest(request: Request): void {
    if (request.kind === 'binary') {
      // The content type came from the client: escaped, it cannot break the log line.
      console.log(
        `Received ${shortenText(escapeBytes(Buffer.from(request.contentType)), LOG_LIMIT)} request from ${this.peer}`,
      );
    } else {
      console.log(
        `Received request ${jsonText(request.json, LOG_LIMIT)} from ${this.peer}`,
      );
    }
  }

  protected report(problem: string): void {
    console.log(problem.charAt(0).toUpperCase() + problem.slice(1));
  }
}

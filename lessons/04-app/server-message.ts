// Lesson 04: the server's Message class, one per connection, like the tutorial's
// libserver.py. It reads one request, builds the response, writes it and closes.
// Its states, in order: 'header-length', 'header', 'content' (all three read the
// request), 'response' (writing the answer), 'closed'.

import { escapeBytes, formatBytes, plural, shortenText } from '../../shared/bytes.ts';
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

/** Checks what a JSON request holds; the tutorial would answer `invalid action "None"` instead. */
function parseRequest(content: Content): Request {
  if (content.kind === 'binary') return content;
  const json = content.value;
  const { action, value } = json;
  if (action === undefined) throw new ContentError('"action" is missing');
  if (typeof action !== 'string')
    throw new ContentError(`"action" must be a string, got ${JSON.stringify(action)}`);
  if (action !== 'search') return { kind: 'other-action', json, action };
  if (value === undefined) throw new ContentError('"value" of a search is missing');
  if (typeof value !== 'string')
    throw new ContentError(
      `"value" of a search must be a string, got ${JSON.stringify(value)}`,
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

export class ServerMessage extends Message {
  private request: Request | undefined;
  private response: Buffer | undefined;
  private ignoredExtra = false;

  get state(): ServerState {
    if (this.closed) return 'closed';
    if (this.request !== undefined) return 'response';
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
        this.close(`${this.addr} closed the connection without sending a request`);
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
      // Bytes that came in the same chunk after the request are not a second request.
      if (this.decoder.bufferedBytes > 0) this.ignoreExtra(this.decoder.bufferedBytes);
    } catch (error) {
      // Whatever this client sent, it costs this client its connection, never the server.
      // A bug in our own code is logged with its stack, so it can be found; it still costs only this connection.
      const reason = isProtocolError(error)
        ? `protocol error from ${this.addr}: ${error.message}`
        : `internal error while serving ${this.addr}: ${error instanceof Error ? error.stack : String(error)}`;
      this.close(reason);
      return;
    }
    this.write();
  }

  write(): void {
    if (this.state !== 'response') return;
    if (this.response === undefined) {
      this.response = createResponse(this.request!);
      console.log(`Sending ${formatBytes(this.response, LOG_LIMIT)} to ${this.addr}`);
      this.send(this.response);
    } else if (this.allSent) {
      // The response is out: nothing is left to do on this connection.
      this.close();
    }
  }

  /** Says once that bytes after the request are being dropped, so a chatty client cannot flood the log. */
  private ignoreExtra(length: number): void {
    if (this.ignoredExtra) return;
    this.ignoredExtra = true;
    console.log(
      `Ignoring ${plural(length, 'byte')} that ${this.addr} sent after its request, and anything after them`,
    );
  }

  private logRequest(request: Request): void {
    if (request.kind === 'binary') {
      // The content type came from the client: escaped, it cannot break the log line.
      console.log(
        `Received ${shortenText(escapeBytes(Buffer.from(request.contentType)), LOG_LIMIT)} request from ${this.addr}`,
      );
    } else {
      console.log(
        `Received request ${shortenText(jsonText(request.json), LOG_LIMIT)} from ${this.addr}`,
      );
    }
  }

  protected report(problem: string): void {
    console.log(problem.charAt(0).toUpperCase() + problem.slice(1));
  }
}

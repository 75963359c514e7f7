// Lesson 04: what the server's and the client's Message classes have in common.
// The tutorial's libserver.py and libclient.py repeat most of their code: both
// read one framed message, write one, and close. Here that part lives once, in
// the Message base class; server-message.ts and client-message.ts keep what differs.

import type net from 'node:net';
import {
  describeValue,
  encodeJson,
  encodeMessage,
  FrameError,
  jsonExcerpt,
  MessageDecoder,
  type Frame,
  type MessageHeader,
} from '../03-framing/frame.ts';
import { explainSocketError } from '../../shared/socket-errors.ts';

/** The content type of JSON messages; any other type is treated as binary. */
export const JSON_CONTENT_TYPE = 'text/json';
/** JSON content is read as UTF-8 only: see decodeContent. */
export const JSON_CONTENT_ENCODING = 'utf-8';

/** A protocol error in the content, where lesson 03's FrameError covers the framing. */
export class ContentError extends Error {
  override name = 'ContentError';
}

/** The peer sent bytes that break the protocol: in the framing or in the content. */
export function isProtocolError(error: unknown): error is FrameError | ContentError {
  return error instanceof FrameError || error instanceof ContentError;
}

export type JsonObject = Record<string, unknown>;

/** A message's content, decoded as its header says: a JSON object, or plain bytes. */
export type Content =
  | { kind: 'json'; value: JsonObject }
  | { kind: 'binary'; contentType: string; bytes: Buffer };

// Throws on invalid UTF-8 instead of quietly turning it into U+FFFD.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * `text/json` content is decoded as JSON. The tutorial decodes it with whatever
 * content-encoding the header names; we accept only UTF-8 (spelled `utf-8` or
 * `utf8`, any case), because that is all the protocol ever sends, and an
 * encoding we cannot check is a protocol error, not a guess.
 * Any other content type is binary, passed on as bytes.
 */
export function decodeContent({ header, content }: Frame): Content {
  const contentType = header['content-type'];
  if (contentType !== JSON_CONTENT_TYPE)
    return { kind: 'binary', contentType, bytes: content };
  const encoding = header['content-encoding'];
  if (!/^utf-?8$/i.test(encoding)) {
    throw new ContentError(
      `content-encoding ${describeValue(encoding)} is not supported for text/json (only "utf-8" is)`,
    );
  }
  let text: string;
  try {
    text = strictUtf8.decode(content);
  } catch {
    throw new ContentError('content is not valid UTF-8');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ContentError(`content is not valid JSON: ${describeValue(text)}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new ContentError(
      `content is JSON but not an object: ${describeValue(value)}`,
    );
  }
  return { kind: 'json', value: value as JsonObject };
}

/** A whole `text/json` message, JSON spaced the way Python writes it. */
export function jsonMessage(value: JsonObject): Buffer {
  return encodeMessage({
    contentType: JSON_CONTENT_TYPE,
    contentEncoding: JSON_CONTENT_ENCODING,
    content: encodeJson(value),
  });
}

/** A whole binary message of the given content type. */
export function binaryMessage(contentType: string, bytes: Uint8Array): Buffer {
  return encodeMessage({ contentType, contentEncoding: 'binary', content: bytes });
}

/**
 * A peer's JSON as one log line, in the same spacing as on the wire: cut to
 * `limit` characters and escaped, so a huge or hostile value stays one safe line.
 */
export function jsonText(value: unknown, limit = 1024): string {
  return jsonExcerpt(value, limit);
}

export interface MessageOptions {
  /** The largest content-length accepted; a bigger one is refused before its content is read. */
  maxContentLength: number;
  /** Close the connection when no data has moved either way for this long. */
  idleTimeoutSeconds: number;
  /** Close the connection when the whole exchange has taken this long, however steadily bytes move. */
  deadlineSeconds: number;
  /** Called once a request's header is whole, before its content is buffered; throw to refuse it. */
  onHeader?: (header: MessageHeader) => void;
}

/**
 * After our side is done, how long we keep reading (and dropping) what the
 * peer still sends before we let the socket go. Closing a socket while bytes
 * arrive makes the system answer them with a reset, and a reset can destroy
 * the answer we just sent before the peer has read it: see close().
 */
export const LINGER_MS = 2_000;

/**
 * One connection and the one message exchange on it. The event loop calls in:
 * each chunk that arrives goes to read(), the end of the peer's stream to
 * read(null), and every completed write to write(). Only read() and write()
 * look at the state; close() is the one way out, whatever the reason.
 */
export abstract class Message {
  readonly socket: net.Socket;
  /** The peer's address, `127.0.0.1:53122`, as the log prints it. */
  readonly peer: string;
  /** Lesson 03's decoder: the header-length, header and content states live in it. */
  protected readonly decoder: MessageDecoder;
  protected closed = false;
  private readonly idleTimeoutMs: number;
  private readonly deadline: NodeJS.Timeout;

  constructor(socket: net.Socket, peer: string, options: MessageOptions) {
    this.socket = socket;
    this.peer = peer;
    this.idleTimeoutMs = options.idleTimeoutSeconds * 1000;
    this.decoder = new MessageDecoder({
      maxContentLength: options.maxContentLength,
      onHeader: options.onHeader,
    });
    // The Python classes wait in select() and call read() or write() for each
    // event. There is no select() here: Node's event loop calls these listeners.
    socket.on('data', (chunk: Buffer) => this.read(chunk));
    // recv() returning b'': the peer has closed its side.
    socket.on('end', () => this.read(null));
    // A reset or another socket error ends this connection, and only this one.
    socket.on('error', (error) =>
      this.close(explainSocketError(error, { address: peer }), 'now'),
    );
    socket.on('close', () => {
      clearTimeout(this.deadline);
      this.close();
    });
    // A peer that connects and then goes quiet would hold its socket and buffers
    // forever. 'timeout' fires when nothing was sent or received for that long.
    // It is an idle timer: every byte restarts it, so a peer sending one byte
    // just before it fires is never caught by it.
    socket.setTimeout(this.idleTimeoutMs, () => {
      this.close(
        `idle timeout: no data to or from ${peer} for ${options.idleTimeoutSeconds} s`,
      );
    });
    // The deadline catches what the idle timer cannot: a peer that trickles.
    // It counts from the start of the exchange and nothing restarts it.
    this.deadline = setTimeout(() => {
      this.close(
        `deadline: the exchange with ${peer} did not finish within ${options.deadlineSeconds} s`,
        'now',
      );
    }, options.deadlineSeconds * 1000);
  }

  /** Takes the next chunk from the peer, or null when the peer has closed its side. */
  abstract read(chunk: Buffer | null): void;

  /** Moves the sending side on: queues the message, or notes that it is out. */
  abstract write(): void;

  /** Tells the user why the connection is being closed early. */
  protected abstract report(problem: string): void;

  /**
   * sendall(): Node queues whatever the operating system cannot take yet and
   * sends it later. The callback runs once every byte is handed over, and brings
   * us back to write(), the way the tutorial's select() reports "writable".
   */
  protected send(bytes: Buffer): void {
    this.socket.write(bytes, (error) => {
      if (!error) this.write();
    });
  }

  /** True once every queued byte has been handed to the operating system. */
  protected get allSent(): boolean {
    return this.socket.writableLength === 0;
  }

  /**
   * Closes the connection, once: later calls, from any event, do nothing.
   * 'linger' (the usual way) sends what is queued, then FIN, and goes on reading
   * until the peer closes too; 'now' drops the connection at once.
   */
  close(problem?: string, how: 'linger' | 'now' = 'linger'): void {
    if (this.closed) {
      if (how === 'now') this.socket.destroy();
      return;
    }
    this.closed = true;
    clearTimeout(this.deadline);
    if (problem !== undefined) this.report(problem);
    console.log(`Closing connection to ${this.peer}`);
    if (how === 'now' || this.socket.destroyed) {
      this.socket.destroy();
      return;
    }
    // A lingering close. Python's sock.close() would drop the socket at once,
    // and bytes still arriving would be answered with a reset (RST), which can
    // throw away our answer in the peer's receive buffer before it is read.
    // end() is shutdown(SHUT_WR): the queued bytes, then FIN. We keep reading
    // (read() drops the bytes) until the peer's FIN, when Node closes the
    // socket by itself, or for LINGER_MS after our FIN at most.
    this.socket.end(() => {
      setTimeout(() => this.socket.destroy(), LINGER_MS).unref();
    });
    // A peer that never reads would keep our queued bytes, and the socket,
    // forever: the idle timer, still running, destroys it if the queue does not move.
    this.socket.setTimeout(this.idleTimeoutMs, () => this.socket.destroy());
  }
}

// Lesson 03: the framing codec, the lower half of the tutorial's protocol.
// A message on the wire is
//   2 bytes    the length of the JSON header, unsigned, big-endian
//   N bytes    the JSON header, UTF-8: byteorder, content-length, content-type, content-encoding
//   M bytes    the content, exactly content-length bytes
// encodeMessage() builds one; MessageDecoder takes bytes in chunks of any size
// and hands back whole messages. Lesson 04 imports this file.

import os from 'node:os';

/** The 2-byte prefix: an unsigned 16-bit integer in network (big-endian) order. */
export const HEADER_LENGTH_BYTES = 2;
/** The largest header a 16-bit length can announce. */
export const MAX_HEADER_LENGTH = 0xffff;
/** The default cap on content-length: a peer cannot make us buffer more than this. */
export const DEFAULT_MAX_CONTENT_LENGTH = 1024 * 1024;

/** The header fields every message must carry, in the order the tutorial writes them. */
export const REQUIRED_HEADER_FIELDS = ['byteorder', 'content-type', 'content-encoding', 'content-length'] as const;

export interface MessageHeader {
  /** The sender's native byte order; informational, since the header is JSON text. */
  byteorder: 'little' | 'big';
  'content-type': string;
  'content-encoding': string;
  'content-length': number;
  [field: string]: unknown;
}

export interface Message {
  header: MessageHeader;
  content: Buffer;
}

/** This machine's byte order, as the header spells it (Python's `sys.byteorder`). */
export const NATIVE_BYTEORDER: MessageHeader['byteorder'] = os.endianness() === 'LE' ? 'little' : 'big';

/**
 * JSON written the way Python's `json.dumps(obj, ensure_ascii=False)` writes it:
 * `{"key": "value", "n": 1}`, with a space after each colon and comma, and
 * non-ASCII characters kept as themselves. Any JSON parser reads either spacing;
 * matching Python's lets you compare our bytes with the tutorial's, one for one.
 */
export function encodeJson(value: unknown): Buffer {
  return Buffer.from(pythonStyleJson(value), 'utf8');
}

function pythonStyleJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonStyleJson).join(', ')}]`;
  if (value !== null && typeof value === 'object') {
    const fields = Object.entries(value).filter(([, field]) => field !== undefined);
    return `{${fields.map(([key, field]) => `${JSON.stringify(key)}: ${pythonStyleJson(field)}`).join(', ')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export interface EncodeOptions {
  contentType: string;
  contentEncoding: string;
  content: Uint8Array;
  byteorder?: MessageHeader['byteorder'];
}

/** Builds one message: the 2-byte header length, the JSON header, the content. */
export function encodeMessage(options: EncodeOptions): Buffer {
  const header = encodeJson({
    byteorder: options.byteorder ?? NATIVE_BYTEORDER,
    'content-type': options.contentType,
    'content-encoding': options.contentEncoding,
    'content-length': options.content.length,
  });
  if (header.length > MAX_HEADER_LENGTH) throw new RangeError(`header of ${header.length} bytes does not fit in 2 bytes`);
  const prefix = Buffer.alloc(HEADER_LENGTH_BYTES);
  prefix.writeUInt16BE(header.length); // network byte order, whatever this machine's order is
  return Buffer.concat([prefix, header, options.content]);
}

export type FrameErrorReason =
  | 'header-too-long'
  | 'header-not-utf8'
  | 'header-not-json'
  | 'header-not-object'
  | 'missing-field'
  | 'bad-field'
  | 'content-too-long'
  | 'truncated';

/** A protocol error: the peer sent bytes that are not a valid message. */
export class FrameError extends Error {
  override name = 'FrameError';
  readonly reason: FrameErrorReason;
  constructor(reason: FrameErrorReason, message: string) {
    super(message);
    this.reason = reason;
  }
}

export interface DecoderOptions {
  /** Reject a header longer than this many bytes (at most 65535). */
  maxHeaderLength?: number;
  /** Reject a content-length above this, before any content is buffered. */
  maxContentLength?: number;
}

/** What the decoder waits for next. */
export type DecoderState = 'header-length' | 'header' | 'content';

// A TextDecoder that throws on invalid UTF-8 instead of inventing U+FFFD.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** Checks a parsed JSON header; throws FrameError naming the first problem. */
export function validateHeader(parsed: unknown, maxContentLength = DEFAULT_MAX_CONTENT_LENGTH): MessageHeader {
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new FrameError('header-not-object', `header is JSON but not an object: ${JSON.stringify(parsed)}`);
  }
  const header = parsed as Record<string, unknown>;
  for (const field of REQUIRED_HEADER_FIELDS) {
    if (!(field in header)) throw new FrameError('missing-field', `header is missing "${field}"`);
  }
  if (header.byteorder !== 'little' && header.byteorder !== 'big') {
    throw new FrameError('bad-field', `"byteorder" must be "little" or "big", got ${JSON.stringify(header.byteorder)}`);
  }
  for (const field of ['content-type', 'content-encoding'] as const) {
    if (typeof header[field] !== 'string') {
      throw new FrameError('bad-field', `"${field}" must be a string, got ${JSON.stringify(header[field])}`);
    }
  }
  const length = header['content-length'];
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) {
    throw new FrameError('bad-field', `"content-length" must be a whole number of bytes, got ${JSON.stringify(length)}`);
  }
  if (length > maxContentLength) {
    throw new FrameError('content-too-long', `"content-length" is ${length} bytes, above the limit of ${maxContentLength}`);
  }
  return header as MessageHeader;
}

/**
 * Turns a byte stream back into messages. Feed it each chunk as it arrives with
 * push(); it returns the messages that chunk completed (none, one or several) and
 * keeps the rest in `recvBuffer` until more bytes come. Errors are FrameErrors.
 */
export class MessageDecoder {
  readonly maxHeaderLength: number;
  readonly maxContentLength: number;
  /** Bytes received but not yet part of a whole message. */
  private recvBuffer: Buffer = Buffer.alloc(0);
  private headerLength: number | undefined;
  /** The header of the message being read, once it has arrived whole. */
  header: MessageHeader | undefined;

  constructor(options: DecoderOptions = {}) {
    this.maxHeaderLength = Math.min(options.maxHeaderLength ?? MAX_HEADER_LENGTH, MAX_HEADER_LENGTH);
    this.maxContentLength = options.maxContentLength ?? DEFAULT_MAX_CONTENT_LENGTH;
  }

  get state(): DecoderState {
    if (this.headerLength === undefined) return 'header-length';
    return this.header === undefined ? 'header' : 'content';
  }

  /** How many received bytes are waiting for the rest of their message. */
  get bufferedBytes(): number {
    return this.recvBuffer.length;
  }

  push(chunk: Uint8Array): Message[] {
    this.recvBuffer = this.recvBuffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.recvBuffer, chunk]);
    const messages: Message[] = [];
    // Each step consumes bytes only when all it needs is there; otherwise we
    // stop and wait for the next chunk. One chunk may finish several messages.
    for (;;) {
      if (this.headerLength === undefined && !this.readHeaderLength()) break;
      if (this.header === undefined && !this.readHeader()) break;
      const message = this.readContent();
      if (message === undefined) break;
      messages.push(message);
    }
    return messages;
  }

  /** Call when the stream ends: bytes left over mean the peer stopped mid-message. */
  end(): void {
    if (this.recvBuffer.length > 0 || this.headerLength !== undefined) {
      throw new FrameError(
        'truncated',
        `stream ended in the middle of a message (waiting for the ${this.state}, ${this.recvBuffer.length} bytes buffered)`,
      );
    }
  }

  private take(length: number): Buffer {
    const bytes = this.recvBuffer.subarray(0, length);
    this.recvBuffer = this.recvBuffer.subarray(length);
    return bytes;
  }

  private readHeaderLength(): boolean {
    if (this.recvBuffer.length < HEADER_LENGTH_BYTES) return false;
    const length = this.take(HEADER_LENGTH_BYTES).readUInt16BE(0);
    if (length > this.maxHeaderLength) {
      throw new FrameError('header-too-long', `header length ${length} is above the limit of ${this.maxHeaderLength}`);
    }
    this.headerLength = length;
    return true;
  }

  private readHeader(): boolean {
    if (this.headerLength === undefined || this.recvBuffer.length < this.headerLength) return false;
    const bytes = this.take(this.headerLength);
    let text: string;
    try {
      text = strictUtf8.decode(bytes);
    } catch {
      throw new FrameError('header-not-utf8', 'header is not valid UTF-8');
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new FrameError('header-not-json', `header is not valid JSON: ${JSON.stringify(text.slice(0, 40))}`);
    }
    // content-length is checked here, before a single byte of content is kept.
    this.header = validateHeader(parsed, this.maxContentLength);
    return true;
  }

  private readContent(): Message | undefined {
    const header = this.header!;
    if (this.recvBuffer.length < header['content-length']) return undefined;
    // Copy the content out, so it does not pin the (possibly larger) receive buffer.
    const content = Buffer.from(this.take(header['content-length']));
    this.headerLength = undefined;
    this.header = undefined;
    return { header, content };
  }
}

// Lesson 03: the framing codec, the lower half of the tutorial's protocol
// (the _create_message, process_protoheader and process_jsonheader parts of
// libclient.py and libserver.py). encodeMessage() builds one message;
// MessageDecoder takes bytes in chunks of any size and hands back whole messages.
// Lesson 04 imports this file. A message on the wire is:
//   2 bytes    the length of the JSON header, an unsigned 16-bit number, big-endian
//   N bytes    the JSON header, UTF-8: byteorder, content-type, content-encoding, content-length
//   M bytes    the content, exactly content-length bytes

import os from 'node:os';
import { escapeText, shortenText } from '../../shared/bytes.ts';

/** The prefix is 2 bytes: an unsigned 16-bit integer in network (big-endian) order. */
export const HEADER_LENGTH_BYTES = 2;
/** The largest header those 2 bytes can announce: 2^16 - 1. */
export const MAX_HEADER_LENGTH = 0xffff;
/** The default cap on content-length, so a peer cannot make us buffer more than 1 MiB. */
export const DEFAULT_MAX_CONTENT_LENGTH = 1024 * 1024;

/** The header fields every message must carry, in the order the tutorial writes them. */
export const REQUIRED_HEADER_FIELDS = [
  'byteorder',
  'content-type',
  'content-encoding',
  'content-length',
] as const;

export interface MessageHeader {
  /** The sender's native byte order, for numbers inside binary content; the framing never needs it. */
  byteorder: 'little' | 'big';
  /** What the content is, e.g. `text/json`, `text/plain`, `image/png`. */
  'content-type': string;
  /** How to turn the content into text, e.g. `utf-8`, or `binary` for bytes that are not text. */
  'content-encoding': string;
  /** How many bytes of content follow the header. */
  'content-length': number;
  /** A sender may add fields of its own; they are kept as they came. */
  [field: string]: unknown;
}

/** One message as the codec sees it: its header and its content (a "frame"). */
export interface Frame {
  header: MessageHeader;
  content: Buffer;
}

/** A frame as the decoder found it on the wire: also the header's own bytes. */
export interface DecodedFrame extends Frame {
  /** The JSON header exactly as it arrived (its length is what the 2-byte prefix said). */
  headerBytes: Buffer;
}

/** This machine's byte order, spelled as the header spells it (Python's `sys.byteorder`). */
export const NATIVE_BYTEORDER: MessageHeader['byteorder'] =
  os.endianness() === 'LE' ? 'little' : 'big';

/**
 * JSON written the way Python's `json.dumps(obj, ensure_ascii=False)` writes it:
 * `{"key": "value", "n": 1}`, with a space after each colon and comma, and
 * non-ASCII characters kept as themselves. Any JSON parser reads either spacing;
 * matching Python's makes our messages byte-for-byte the tutorial's messages.
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
  /** Defaults to this machine's order, as the tutorial's programs send it. */
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
  if (header.length > MAX_HEADER_LENGTH)
    throw new RangeError(`header of ${header.length} bytes does not fit in 2 bytes`);
  // Python: struct.pack(">H", len(jsonheader_bytes)). ">" is big-endian, "H" an
  // unsigned 16-bit number. writeUInt16BE writes the same two bytes on any machine.
  const prefix = Buffer.alloc(HEADER_LENGTH_BYTES);
  prefix.writeUInt16BE(header.length);
  return Buffer.concat([prefix, header, options.content]);
}

/** What went wrong, as a name a program can test for. */
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
  /**
   * Called once a header is whole and valid, before any of its content is
   * buffered; an error it throws refuses the message and comes out of decode().
   * A server uses it to decide whether it has room for the announced content.
   */
  onHeader?: (header: MessageHeader) => void;
}

/** What the decoder waits for next. */
export type DecoderState = 'header-length' | 'header' | 'content';

/**
 * Where the decoder is, with what it knows at that point: the header length
 * once the prefix is in, the header once it is whole. Each state carries its
 * own facts, so no code can reach for a header that has not arrived yet.
 */
type Step =
  | { state: 'header-length' }
  | { state: 'header'; headerLength: number }
  | { state: 'content'; header: MessageHeader; headerBytes: Buffer };

// A TextDecoder that throws on invalid UTF-8 instead of inventing U+FFFD, and
// keeps a leading byte-order mark (then JSON.parse rejects it, as Python does).
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** How many characters of a peer's value an error message quotes. */
const EXCERPT_CHARS = 40;
/** Nesting shown in an excerpt; deeper arrays and objects print as `[...]` and `{...}`. */
const EXCERPT_DEPTH = 8;

/**
 * A peer's JSON value as a short, safe excerpt for a log line: spaced the way
 * encodeJson() writes it, nesting cut at EXCERPT_DEPTH, cut to `limit`
 * characters, and escaped (escapeText), so it can neither flood the log nor
 * rewrite the terminal. JSON.stringify() would be neither: on a header of
 * 30,000 nested arrays it runs out of stack and throws a RangeError.
 */
export function jsonExcerpt(value: unknown, limit = EXCERPT_CHARS): string {
  let text = '';
  // Each part is added only while the excerpt is still short: a 1 MiB value costs no more than a small one.
  const add = (part: string): boolean => {
    text += part;
    return text.length <= limit;
  };
  const visit = (item: unknown, depth: number): boolean => {
    if (Array.isArray(item)) {
      if (depth >= EXCERPT_DEPTH) return add('[...]');
      if (!add('[')) return false;
      for (const [index, element] of item.entries()) {
        if ((index > 0 && !add(', ')) || !visit(element, depth + 1)) return false;
      }
      return add(']');
    }
    if (item !== null && typeof item === 'object') {
      if (depth >= EXCERPT_DEPTH) return add('{...}');
      if (!add('{')) return false;
      for (const [index, [key, field]] of Object.entries(item).entries()) {
        if (index > 0 && !add(', ')) return false;
        if (!add(`${JSON.stringify(key.slice(0, limit))}: `)) return false;
        if (!visit(field, depth + 1)) return false;
      }
      return add('}');
    }
    if (typeof item === 'string') return add(JSON.stringify(item.slice(0, limit + 1)));
    return add(JSON.stringify(item) ?? 'null');
  };
  visit(value, 0);
  return escapeText(shortenText(text, limit));
}

/**
 * A bad value for an error message, by its type and a short escaped excerpt:
 * `"abc"` for a string, `7` for a number, `an array [1, 2]`, `an object {...}`.
 * An error message never prints a peer's data whole.
 */
export function describeValue(value: unknown): string {
  if (Array.isArray(value)) return `an array ${jsonExcerpt(value)}`;
  if (value !== null && typeof value === 'object')
    return `an object ${jsonExcerpt(value)}`;
  return jsonExcerpt(value);
}

/** Checks a parsed JSON header; throws FrameError naming the first problem. */
export function validateHeader(
  parsed: unknown,
  maxContentLength = DEFAULT_MAX_CONTENT_LENGTH,
): MessageHeader {
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new FrameError(
      'header-not-object',
      `header is JSON but not an object: ${describeValue(parsed)}`,
    );
  }
  const header = parsed as Record<string, unknown>;
  for (const field of REQUIRED_HEADER_FIELDS) {
    if (!Object.hasOwn(header, field))
      throw new FrameError('missing-field', `header is missing "${field}"`);
  }
  if (header.byteorder !== 'little' && header.byteorder !== 'big') {
    throw new FrameError(
      'bad-field',
      `"byteorder" must be "little" or "big", got ${describeValue(header.byteorder)}`,
    );
  }
  for (const field of ['content-type', 'content-encoding'] as const) {
    if (typeof header[field] !== 'string') {
      throw new FrameError(
        'bad-field',
        `"${field}" must be a string, got ${describeValue(header[field])}`,
      );
    }
  }
  const length = header['content-length'];
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) {
    throw new FrameError(
      'bad-field',
      `"content-length" must be a whole number of bytes, got ${describeValue(length)}`,
    );
  }
  if (length > maxContentLength) {
    throw new FrameError(
      'content-too-long',
      `"content-length" is ${length} bytes, above the limit of ${maxContentLength}`,
    );
  }
  return header as MessageHeader;
}

const EMPTY = Buffer.alloc(0);

/**
 * Turns a byte stream back into messages. TCP hands us chunks: one chunk may
 * hold half a message, or the end of one and the start of the next, so the
 * decoder keeps what it cannot use yet and goes through three states:
 *
 *   'header-length'  waiting for the 2-byte prefix
 *   'header'         knows the header's length, waiting for that many bytes
 *   'content'        has the header, waiting for content-length bytes
 *
 * and back to 'header-length' for the next message. Between chunks it keeps
 * only the bytes not yet used (`bufferedBytes`) and what the state knows.
 * Invalid bytes throw a FrameError; after one, the stream is out of step for
 * good, so every later call throws that same error.
 */
export class MessageDecoder {
  readonly maxHeaderLength: number;
  readonly maxContentLength: number;
  private readonly onHeader: ((header: MessageHeader) => void) | undefined;
  /**
   * Bytes received but not yet used (Python's `_recv_buffer`): the bytes from
   * `used` to `filled`. One buffer, not a list of chunks: a peer sending one byte
   * per segment would otherwise cost about a hundred bytes of memory per byte,
   * one small Buffer object each. It grows once to the size the current step
   * needs (the announced header or content length), so what a connection holds
   * is about the length it announced plus one chunk.
   */
  private recvBuffer: Buffer = EMPTY;
  private used = 0;
  private filled = 0;
  private step: Step = { state: 'header-length' };
  /** The first protocol error; once set, the decoder refuses everything. */
  private failure: FrameError | undefined;

  constructor(options: DecoderOptions = {}) {
    this.maxHeaderLength = Math.min(
      options.maxHeaderLength ?? MAX_HEADER_LENGTH,
      MAX_HEADER_LENGTH,
    );
    this.maxContentLength = options.maxContentLength ?? DEFAULT_MAX_CONTENT_LENGTH;
    this.onHeader = options.onHeader;
  }

  get state(): DecoderState {
    return this.step.state;
  }

  /** The header of the message being read, once it has arrived whole (Python's `jsonheader`). */
  get header(): MessageHeader | undefined {
    return this.step.state === 'content' ? this.step.header : undefined;
  }

  /** How many received bytes are waiting for the rest of their message. */
  get bufferedBytes(): number {
    return this.filled - this.used;
  }

  /**
   * Adds a chunk and returns the messages it completed: none, one or several.
   * If the chunk also holds invalid bytes, push() throws, and the messages that
   * came before them in the same chunk are lost with it; decode() hands those out first.
   */
  push(chunk: Uint8Array): DecodedFrame[] {
    return [...this.decode(chunk)];
  }

  /**
   * Adds a chunk and yields each message it completes, in order. A FrameError is
   * thrown where the invalid bytes are, after the whole messages before them,
   * so what comes out never depends on how the stream was cut into chunks:
   *   for (const message of decoder.decode(chunk)) show(message);
   */
  decode(chunk: Uint8Array): IterableIterator<DecodedFrame> {
    if (this.failure) throw this.failure;
    // Python: self._recv_buffer += data. Done here, not in the generator below,
    // so the chunk is kept even if the caller never looks at the messages.
    // Copied, because the caller may reuse its buffer once we return.
    this.append(chunk);
    return this.completeMessages();
  }

  /** Call when the stream ends: bytes left over mean the peer stopped mid-message. */
  end(): void {
    if (this.failure) throw this.failure;
    if (this.bufferedBytes > 0 || this.step.state !== 'header-length') {
      throw new FrameError(
        'truncated',
        `stream ended in the middle of a message (waiting for the ${this.state}, ${this.bufferedBytes} bytes buffered)`,
      );
    }
  }

  /** How many bytes the current step needs in all, so the buffer grows once to that size. */
  private wanted(): number {
    switch (this.step.state) {
      case 'header-length':
        return HEADER_LENGTH_BYTES;
      case 'header':
        return this.step.headerLength;
      case 'content':
        return this.step.header['content-length'];
    }
  }

  private append(chunk: Uint8Array): void {
    if (this.filled + chunk.length > this.recvBuffer.length) {
      const kept = this.bufferedBytes;
      const bigger = Buffer.allocUnsafe(Math.max(kept + chunk.length, this.wanted()));
      this.recvBuffer.copy(bigger, 0, this.used, this.filled);
      this.recvBuffer = bigger;
      this.used = 0;
      this.filled = kept;
    }
    this.recvBuffer.set(chunk, this.filled);
    this.filled += chunk.length;
  }

  // Each step uses bytes only once all it needs has arrived; otherwise the loop
  // stops and the bytes wait in `recvBuffer` for the next chunk.
  private *completeMessages(): Generator<DecodedFrame, void, undefined> {
    try {
      for (;;) {
        if (this.step.state === 'header-length' && !this.readHeaderLength()) return;
        if (this.step.state === 'header' && !this.readHeader(this.step.headerLength))
          return;
        if (this.step.state !== 'content') return;
        const message = this.readContent(this.step.header, this.step.headerBytes);
        if (message === undefined) return;
        yield message;
      }
    } catch (error) {
      if (error instanceof FrameError) this.failure = error;
      throw error;
    }
  }

  /**
   * Removes the first `length` buffered bytes and returns them. They are a view
   * into `recvBuffer`, valid until the next chunk: copy what must be kept.
   */
  private take(length: number): Buffer {
    const bytes = this.recvBuffer.subarray(this.used, this.used + length);
    this.used += length;
    if (this.used === this.filled) {
      // Everything is used: fill from the front again. A buffer grown for a big
      // message is let go, so an idle connection does not keep it.
      this.used = 0;
      this.filled = 0;
      if (this.recvBuffer.length > MAX_HEADER_LENGTH) this.recvBuffer = EMPTY;
    }
    return bytes;
  }

  private readHeaderLength(): boolean {
    if (this.bufferedBytes < HEADER_LENGTH_BYTES) return false;
    // exercise(read-header-length): Take the 2-byte prefix, read it as an unsigned
    //   big-endian number, reject it if it is above maxHeaderLength, and move on to the
    //   'header' step with it as headerLength.
    // Python: struct.unpack(">H", ...)[0]. The prefix is checked at once: a peer
    // announcing a header we will not accept is stopped before it sends it.
    const length = this.take(HEADER_LENGTH_BYTES).readUInt16BE(0);
    if (length > this.maxHeaderLength) {
      throw new FrameError(
        'header-too-long',
        `header length ${length} is above the limit of ${this.maxHeaderLength}`,
      );
    }
    this.step = { state: 'header', headerLength: length };
    // end exercise
    return true;
  }

  private readHeader(headerLength: number): boolean {
    if (this.bufferedBytes < headerLength) return false;
    // Copied: take() hands out a view that the next chunk may overwrite.
    const bytes = Buffer.from(this.take(headerLength));
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
      throw new FrameError(
        'header-not-json',
        `header is not valid JSON: ${describeValue(text)}`,
      );
    }
    // content-length is checked here, as soon as the header is whole and before
    // a single byte of content is kept: an oversized message is refused unread.
    const header = validateHeader(parsed, this.maxContentLength);
    this.onHeader?.(header);
    this.step = { state: 'content', header, headerBytes: bytes };
    return true;
  }

  private readContent(
    header: MessageHeader,
    headerBytes: Buffer,
  ): DecodedFrame | undefined {
    const length = header['content-length'];
    if (this.bufferedBytes < length) return undefined;
    // The buffer was grown to exactly this message: hand it over whole, no copy.
    const exact =
      this.used === 0 && this.filled === length && this.recvBuffer.length === length;
    const content = exact ? this.recvBuffer : Buffer.from(this.take(length));
    if (exact) {
      this.recvBuffer = EMPTY;
      this.used = 0;
      this.filled = 0;
    }
    this.step = { state: 'header-length' };
    return { header, headerBytes, content };
  }
}

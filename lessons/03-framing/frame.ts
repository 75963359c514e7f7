// Lesson 03: the framing codec, the lower half of the tutorial's protocol
// (the _create_message, process_protoheader and process_jsonheader parts of
// libclient.py and libserver.py). encodeMessage() builds one message;
// MessageDecoder takes bytes in chunks of any size and hands back whole messages.
// Lesson 04 imports this file. A message on the wire is:
//   2 bytes    the length of the JSON header, an unsigned 16-bit number, big-endian
//   N bytes    the JSON header, UTF-8: byteorder, content-type, content-encoding, content-length
//   M bytes    the content, exactly content-length bytes

import os from 'node:os';

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
}

/** What the decoder waits for next. */
export type DecoderState = 'header-length' | 'header' | 'content';

// A TextDecoder that throws on invalid UTF-8 instead of inventing U+FFFD, and
// keeps a leading byte-order mark (then JSON.parse rejects it, as Python does).
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Checks a parsed JSON header; throws FrameError naming the first problem. */
export function validateHeader(
  parsed: unknown,
  maxContentLength = DEFAULT_MAX_CONTENT_LENGTH,
): MessageHeader {
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new FrameError(
      'header-not-object',
      `header is JSON but not an object: ${JSON.stringify(parsed)}`,
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
      `"byteorder" must be "little" or "big", got ${JSON.stringify(header.byteorder)}`,
    );
  }
  for (const field of ['content-type', 'content-encoding'] as const) {
    if (typeof header[field] !== 'string') {
      throw new FrameError(
        'bad-field',
        `"${field}" must be a string, got ${JSON.stringify(header[field])}`,
      );
    }
  }
  const length = header['content-length'];
  if (typeof length !== 'number' || !Number.isSafeInteger(length) || length < 0) {
    throw new FrameError(
      'bad-field',
      `"content-length" must be a whole number of bytes, got ${JSON.stringify(length)}`,
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
 * only the bytes not yet used (`bufferedBytes`), the header length, and the
 * header. Invalid bytes throw a FrameError; after one, the stream is out of
 * step for good, so every later call throws that same error.
 */
export class MessageDecoder {
  readonly maxHeaderLength: number;
  readonly maxContentLength: number;
  /**
   * Bytes received but not yet used, chunk by chunk (Python's `_recv_buffer`).
   * They are joined only when a step has all the bytes it needs: joining on
   * every chunk would copy a large message again and again as it trickles in.
   */
  private chunks: Buffer[] = [];
  private buffered = 0;
  /** What the prefix said, once it has arrived (Python's `_jsonheader_len`). */
  private headerLength: number | undefined;
  /** The header of the message being read, once it has arrived whole (Python's `jsonheader`). */
  header: MessageHeader | undefined;
  private headerBytes: Buffer | undefined;
  /** The first protocol error; once set, the decoder refuses everything. */
  private failure: FrameError | undefined;

  constructor(options: DecoderOptions = {}) {
    this.maxHeaderLength = Math.min(
      options.maxHeaderLength ?? MAX_HEADER_LENGTH,
      MAX_HEADER_LENGTH,
    );
    this.maxContentLength = options.maxContentLength ?? DEFAULT_MAX_CONTENT_LENGTH;
  }

  get state(): DecoderState {
    if (this.headerLength === undefined) return 'header-length';
    return this.header === undefined ? 'header' : 'content';
  }

  /** How many received bytes are waiting for the rest of their message. */
  get bufferedBytes(): number {
    return this.buffered;
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
    this.chunks.push(Buffer.from(chunk));
    this.buffered += chunk.length;
    return this.completeMessages();
  }

  /** Call when the stream ends: bytes left over mean the peer stopped mid-message. */
  end(): void {
    if (this.failure) throw this.failure;
    if (this.buffered > 0 || this.headerLength !== undefined) {
      throw new FrameError(
        'truncated',
        `stream ended in the middle of a message (waiting for the ${this.state}, ${this.buffered} bytes buffered)`,
      );
    }
  }

  // Each step uses bytes only once all it needs has arrived; otherwise the loop
  // stops and the bytes wait in `chunks` for the next chunk.
  private *completeMessages(): Generator<DecodedFrame, void, undefined> {
    try {
      for (;;) {
        if (this.headerLength === undefined && !this.readHeaderLength()) return;
        if (this.header === undefined && !this.readHeader()) return;
        const message = this.readContent();
        if (message === undefined) return;
        yield message;
      }
    } catch (error) {
      if (error instanceof FrameError) this.failure = error;
      throw error;
    }
  }

  /** Removes the first `length` buffered bytes and returns them. */
  private take(length: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    this.chunks = all.length > length ? [all.subarray(length)] : [];
    this.buffered -= length;
    return all.subarray(0, length);
  }

  private readHeaderLength(): boolean {
    if (this.buffered < HEADER_LENGTH_BYTES) return false;
    // exercise(read-header-length): Take the 2-byte prefix, read it as an unsigned
    //   big-endian number, reject it if it is above maxHeaderLength, and keep it in
    //   headerLength.
    // Python: struct.unpack(">H", ...)[0]. The prefix is checked at once: a peer
    // announcing a header we will not accept is stopped before it sends it.
    const length = this.take(HEADER_LENGTH_BYTES).readUInt16BE(0);
    if (length > this.maxHeaderLength) {
      throw new FrameError(
        'header-too-long',
        `header length ${length} is above the limit of ${this.maxHeaderLength}`,
      );
    }
    this.headerLength = length;
    // end exercise
    return true;
  }

  private readHeader(): boolean {
    if (this.headerLength === undefined || this.buffered < this.headerLength)
      return false;
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
      throw new FrameError(
        'header-not-json',
        `header is not valid JSON: ${JSON.stringify(text.slice(0, 40))}`,
      );
    }
    // content-length is checked here, as soon as the header is whole and before
    // a single byte of content is kept: an oversized message is refused unread.
    this.header = validateHeader(parsed, this.maxContentLength);
    this.headerBytes = Buffer.from(bytes);
    return true;
  }

  private readContent(): DecodedFrame | undefined {
    const header = this.header!;
    if (this.buffered < header['content-length']) return undefined;
    // Copy the content out, so it does not pin the (possibly larger) receive buffer.
    const content = Buffer.from(this.take(header['content-length']));
    const headerBytes = this.headerBytes!;
    this.headerLength = undefined;
    this.headerBytes = undefined;
    this.header = undefined;
    return { header, headerBytes, content };
  }
}

// Lesson 09: lesson 04's protocol with two optional header fields, shared by
// persistent-server.ts and persistent-client.ts. The framing is lesson 03's
// codec, unchanged; only the JSON header gains fields, which lesson 03's
// decoder already keeps ("a sender may add fields of its own").
//   "keep-alive": true   the sender wants the connection kept open for more requests
//   "request-id": 7      a number or short string the server copies into the answer

import {
  encodeJson,
  FrameError,
  HEADER_LENGTH_BYTES,
  MAX_HEADER_LENGTH,
  NATIVE_BYTEORDER,
  type Frame,
} from '../03-framing/frame.ts';

export const JSON_CONTENT_TYPE = 'text/json';
/** A request id longer than this is refused: it is copied into every log line and answer. */
export const MAX_REQUEST_ID_LENGTH = 64;

/** The two fields this lesson adds to the header; both optional. */
export interface ConnectionFields {
  'keep-alive'?: boolean;
  'request-id'?: number | string;
}

/**
 * Lesson 03's encodeMessage() writes the four required fields only, so this
 * builds the same bytes with extra fields after them: with no extra fields,
 * the message is byte for byte what lesson 04 sends.
 */
export function encodeWithFields(
  contentType: string,
  contentEncoding: string,
  content: Uint8Array,
  fields: ConnectionFields,
): Buffer {
  const header = encodeJson({
    byteorder: NATIVE_BYTEORDER,
    'content-type': contentType,
    'content-encoding': contentEncoding,
    'content-length': content.length,
    ...fields,
  });
  if (header.length > MAX_HEADER_LENGTH)
    throw new RangeError(`header of ${header.length} bytes does not fit in 2 bytes`);
  const prefix = Buffer.alloc(HEADER_LENGTH_BYTES);
  prefix.writeUInt16BE(header.length);
  return Buffer.concat([prefix, header, content]);
}

/** A search request as the persistent client sends it. */
export function searchRequest(value: string, fields: ConnectionFields): Buffer {
  const content = encodeJson({ action: 'search', value });
  return encodeWithFields(JSON_CONTENT_TYPE, 'utf-8', content, fields);
}

/** Reads and checks the two optional fields of a header; a wrong type is a protocol error. */
export function connectionFields(header: Frame['header']): ConnectionFields {
  const fields: ConnectionFields = {};
  const keepAlive = header['keep-alive'];
  if (keepAlive !== undefined) {
    if (typeof keepAlive !== 'boolean')
      throw new FrameError(
        'bad-field',
        `"keep-alive" must be true or false, got ${JSON.stringify(keepAlive)}`,
      );
    fields['keep-alive'] = keepAlive;
  }
  const id = header['request-id'];
  if (id !== undefined) {
    const valid =
      (typeof id === 'number' && Number.isSafeInteger(id)) ||
      (typeof id === 'string' && id.length <= MAX_REQUEST_ID_LENGTH);
    if (!valid)
      throw new FrameError(
        'bad-field',
        `"request-id" must be a whole number or a string of at most ${MAX_REQUEST_ID_LENGTH} characters`,
      );
    fields['request-id'] = id;
  }
  return fields;
}

// Throws on invalid UTF-8 instead of quietly turning it into U+FFFD.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The content of a text/json message as a JSON object, or a protocol error naming the problem. */
export function jsonContent(frame: Frame): Record<string, unknown> {
  if (!/^utf-?8$/i.test(frame.header['content-encoding']))
    throw new FrameError('bad-field', 'text/json content must be utf-8');
  let value: unknown;
  try {
    value = JSON.parse(strictUtf8.decode(frame.content));
  } catch {
    throw new FrameError('bad-field', 'content is not valid UTF-8 JSON');
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new FrameError('bad-field', 'content is JSON but not an object');
  return value as Record<string, unknown>;
}

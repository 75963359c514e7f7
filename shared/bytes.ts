// Bytes as a transcript shows them: printable ASCII as itself, everything else
// escaped, inside single quotes (so JSON's double quotes stay readable), followed
// by the count. A learner sees exactly what crossed the wire, including the
// 2-byte length prefix of the later lessons, much as Python prints bytes:
//   '\x00g{"byteorder": "little", ...}' (146 bytes)

const ESCAPES: Record<number, string> = {
  0x09: '\\t',
  0x0a: '\\n',
  0x0d: '\\r',
  0x27: "\\'",
  0x5c: '\\\\',
};

/** Escapes every byte that is not printable ASCII, e.g. `\x00`, `\n`, `\xf0`. */
export function escapeBytes(bytes: Uint8Array): string {
  let text = '';
  for (const byte of bytes) {
    const escape = ESCAPES[byte];
    if (escape !== undefined) text += escape;
    else if (byte >= 0x20 && byte < 0x7f) text += String.fromCharCode(byte);
    else text += `\\x${byte.toString(16).padStart(2, '0')}`;
  }
  return text;
}

// Characters that change what a terminal shows instead of showing themselves:
// C0 controls (ESC starts colour, cursor and title sequences; CR and BS overwrite
// a line), DEL, C1 controls (U+009B is a one-character CSI on many terminals),
// bidi embeddings, overrides and isolates (they reorder what is shown, so text
// can read differently from what it is), and the Unicode line separators.
const UNSAFE_IN_TEXT =
  /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * Text that came from a peer, made safe to print on one terminal line: every
 * character in UNSAFE_IN_TEXT becomes a visible escape (`\n`, `\x1b`, `\u202e`);
 * other text, accents and emoji included, is unchanged. Every lesson prints
 * peer-controlled text through this function and no other.
 */
export function escapeText(text: string): string {
  return text.replace(UNSAFE_IN_TEXT, (character) => {
    const code = character.charCodeAt(0);
    const escape = ESCAPES[code];
    if (escape !== undefined && code !== 0x27 && code !== 0x5c) return escape;
    return code <= 0xff
      ? `\\x${code.toString(16).padStart(2, '0')}`
      : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Text cut to its first `limit` characters (whole characters: an emoji is never split), then `...`. */
export function shortenText(text: string, limit: number): string {
  const characters = [...text];
  return characters.length <= limit
    ? text
    : `${characters.slice(0, limit).join('')}...`;
}

export function plural(count: number, noun: string): string {
  const suffix = /(s|sh|ch|x)$/.test(noun) ? 'es' : 's';
  return `${count} ${noun}${count === 1 ? '' : suffix}`;
}

/**
 * `'Hello, world' (12 bytes)`. Long payloads are cut to their first `limit`
 * bytes so a log line stays readable and cheap: `'abc...' (1048576 bytes)`.
 */
export function formatBytes(bytes: Uint8Array | string, limit = 64): string {
  const buffer = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  const shown = buffer.length > limit ? buffer.subarray(0, limit) : buffer;
  const ellipsis = buffer.length > limit ? '...' : '';
  return `'${escapeBytes(shown)}${ellipsis}' (${plural(buffer.length, 'byte')})`;
}

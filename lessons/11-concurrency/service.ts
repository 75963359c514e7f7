// Lesson 11: the one small service all four servers of this lesson offer, and
// its protocol. A request is one line of text ending in "\n", and so is its answer:
//   ping          ->  pong                         (instant)
//   work <rounds> ->  work <rounds>: <digest>      (CPU-bound: <rounds> SHA-256 rounds)
// Anything else gets `error: ...`. One line per message is the simplest framing
// that works here; lesson 03 explains why a read is not a message.

import { createHash } from 'node:crypto';

/** About 100 ms of CPU on the machine the lesson was written on (1.3 µs a round). */
export const DEFAULT_ROUNDS = 75_000;
/** About 13 s: a bound, so that one request cannot hold a thread or a process for ever. */
export const MAX_ROUNDS = 10_000_000;
/** A request is a few bytes; a client that sends this many without "\n" is not speaking our protocol. */
export const MAX_LINE_BYTES = 1024;

export type Request =
  | { kind: 'ping' }
  | { kind: 'work'; argument: string }
  | { kind: 'unknown'; line: string };

export function parseRequest(line: string): Request {
  if (line === 'ping') return { kind: 'ping' };
  const [verb, ...rest] = line.split(' ');
  if (verb === 'work') return { kind: 'work', argument: rest.join(' ') };
  return { kind: 'unknown', line };
}

/**
 * The CPU-bound job: hashes its own output `rounds` times and answers with the
 * last digest. Nothing in it waits for anything, so whichever thread calls it
 * does nothing else until it returns. It checks its own argument and throws a
 * RangeError for one that is not a whole number from 1 to MAX_ROUNDS
 * (`work lots`, `work 0`): the servers show what happens when a job throws.
 */
export function work(argument: string): string {
  const rounds = Number(argument);
  if (!/^\d+$/.test(argument) || rounds < 1 || rounds > MAX_ROUNDS) {
    throw new RangeError(
      `rounds must be a whole number from 1 to ${MAX_ROUNDS}, got "${argument.slice(0, 40)}"`,
    );
  }
  let digest = Buffer.from('work', 'utf8');
  for (let round = 0; round < rounds; round++) {
    digest = createHash('sha256').update(digest).digest();
  }
  return `work ${rounds}: ${digest.toString('hex')}`;
}

/** A line longer than MAX_LINE_BYTES arrived. */
export class LineTooLong extends Error {
  override name = 'LineTooLong';
}

/**
 * Cuts a byte stream into lines. TCP delivers bytes, not lines: one chunk may
 * hold half a request or three, so the unfinished end is kept for the next chunk.
 */
export class LineSplitter {
  private partial: Buffer = Buffer.alloc(0);

  /** The whole lines in `chunk` (with what came before it), without their "\n" or "\r\n". */
  push(chunk: Buffer): string[] {
    const bytes =
      this.partial.length === 0 ? chunk : Buffer.concat([this.partial, chunk]);
    const lines: string[] = [];
    let start = 0;
    for (let end = bytes.indexOf(0x0a); end !== -1; end = bytes.indexOf(0x0a, start)) {
      lines.push(bytes.subarray(start, end).toString('utf8').replace(/\r$/, ''));
      start = end + 1;
    }
    this.partial = bytes.subarray(start);
    if (this.partial.length > MAX_LINE_BYTES)
      throw new LineTooLong(`more than ${MAX_LINE_BYTES} bytes without a newline`);
    return lines;
  }

  /** What is left when the stream ends: a last line without "\n", or nothing. */
  end(): string[] {
    const rest = this.partial.toString('utf8').replace(/\r$/, '');
    this.partial = Buffer.alloc(0);
    return rest === '' ? [] : [rest];
  }
}

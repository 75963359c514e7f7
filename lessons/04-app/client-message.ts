// Lesson 04: the client's Message class, like the tutorial's libclient.py.
// It writes one request, reads the response, prints the result and closes.
// Its states, in order: 'request' (writing it), then 'header-length', 'header'
// and 'content' (reading the response), then 'closed'.

import type net from 'node:net';
import { escapeText, formatBytes } from '../../shared/bytes.ts';
import { describeValue } from '../03-framing/frame.ts';
import {
  ContentError,
  decodeContent,
  isProtocolError,
  jsonText,
  Message,
  type Content,
  type MessageOptions,
} from './message.ts';

export type ClientState = 'request' | 'header-length' | 'header' | 'content' | 'closed';

/** Prints what a response says: a JSON `result`, or the bytes of a binary answer. */
function showResponse(response: Content): void {
  // exercise(show-result): Print "Got result: <result>" for a JSON response whose
  //   result is a string (anything else is a malformed response), or "Got response:
  //   <escaped bytes>" for a binary one.
  if (response.kind === 'binary') {
    console.log(
      `Got response: ${formatBytes(response.bytes, Number.POSITIVE_INFINITY)}`,
    );
    return;
  }
  const { result } = response.value;
  if (typeof result !== 'string')
    throw new ContentError(`"result" must be a string, got ${describeValue(result)}`);
  // The text comes from the server: escaped, so control characters, C1 codes and
  // bidi overrides in it show as visible escapes and cannot rewrite our terminal.
  console.log(`Got result: ${escapeText(result)}`);
  // end exercise
}

export class ClientMessage extends Message {
  /** The whole request, prefix and header included, ready to send. */
  private readonly request: Buffer;
  private requestQueued = false;

  constructor(
    socket: net.Socket,
    peer: string,
    request: Buffer,
    options: MessageOptions,
  ) {
    super(socket, peer, options);
    this.request = request;
  }

  get state(): ClientState {
    if (this.closed) return 'closed';
    if (!this.requestQueued) return 'request';
    return this.decoder.state;
  }

  write(): void {
    if (this.state !== 'request') return;
    console.log(
      `Sending ${formatBytes(this.request, Number.POSITIVE_INFINITY)} to ${this.peer}`,
    );
    this.send(this.request);
    // The tutorial now tells select() to stop watching for "writable". Node reads
    // all along and sends the queued request by itself, so the state moves on.
    this.requestQueued = true;
  }

  read(chunk: Buffer | null): void {
    if (this.state === 'closed') return;
    try {
      if (chunk === null) {
        // Bytes left in the decoder mean the server stopped in the middle of its response.
        const partial =
          this.decoder.bufferedBytes > 0 || this.decoder.state !== 'header-length';
        this.close(
          `${this.peer} closed the connection ${partial ? 'in the middle of' : 'without sending'} a response`,
        );
        return;
      }
      // One response per connection: take the first whole message, and leave any bytes after it unread.
      const next = this.decoder.decode(chunk).next();
      if (next.done) return;
      const message = next.value;
      console.log(
        `Received response header ${jsonText(message.header)} from ${this.peer}`,
      );
      showResponse(decodeContent(message));
    } catch (error) {
      this.close(
        isProtocolError(error)
          ? `malformed response from ${this.peer}: ${error.message}`
          : `internal error: ${escapeText(String(error))}`,
      );
      return;
    }
    // One response per connection: once it is shown, we are done.
    this.close();
  }

  protected report(problem: string): void {
    console.error(`Error: ${problem}`);
    process.exitCode = 1;
  }
}

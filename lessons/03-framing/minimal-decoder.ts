// Lesson 03: the smallest decoder that works, to read before frame.ts's complete
// MessageDecoder. Three states and the bytes it keeps between chunks, nothing
// else: no limits and no checks, so a peer that sends garbage makes it wait
// forever or throw. It plays the part of the tutorial's process_protoheader,
// process_jsonheader and process_request.

export interface MinimalMessage {
  header: Record<string, unknown>;
  content: Buffer;
}

export class MinimalDecoder {
  /** What it waits for next: the 2-byte prefix, the JSON header, or the content. */
  state: 'header-length' | 'header' | 'content' = 'header-length';
  /** Bytes received but not used yet (the tutorial's _recv_buffer). */
  private buffer = Buffer.alloc(0);
  /** What the prefix said (_jsonheader_len), then the parsed header (jsonheader). */
  private headerLength = 0;
  private header: Record<string, unknown> = {};

  /** Takes one chunk as it came off the socket; returns the messages it completed. */
  push(chunk: Buffer): MinimalMessage[] {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    const messages: MinimalMessage[] = [];
    // Each step runs only when all of its bytes are here; otherwise wait for the next chunk.
    for (;;) {
      if (this.state === 'header-length') {
        if (this.buffer.length < 2) return messages;
        this.headerLength = this.buffer.readUInt16BE(0);
        this.buffer = this.buffer.subarray(2);
        this.state = 'header';
      } else if (this.state === 'header') {
        if (this.buffer.length < this.headerLength) return messages;
        const text = this.buffer.subarray(0, this.headerLength).toString('utf8');
        this.header = JSON.parse(text) as Record<string, unknown>;
        this.buffer = this.buffer.subarray(this.headerLength);
        this.state = 'content';
      } else {
        const length = Number(this.header['content-length']);
        if (this.buffer.length < length) return messages;
        messages.push({
          header: this.header,
          content: this.buffer.subarray(0, length),
        });
        this.buffer = this.buffer.subarray(length);
        this.state = 'header-length';
      }
    }
  }
}

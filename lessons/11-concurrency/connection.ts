// Lesson 11: one client connection, the same in all four servers. It cuts the
// bytes into lines and answers each request in the order it came, one at a
// time, as lesson 09's server does. The servers differ only in the RunWork they
// pass in: where a `work` request runs, on this thread or somewhere else.

import type net from 'node:net';
import { escapeText, shortenText } from '../../shared/bytes.ts';
import { SHUTDOWN_GRACE_MS } from '../../shared/shutdown.ts';
import { explainSocketError } from '../../shared/socket-errors.ts';
import { LineSplitter, LineTooLong, parseRequest } from './service.ts';

/** Runs a `work` request (its argument, as the client sent it) and gives its answer line; it may throw. */
export type RunWork = (argument: string, peer: string) => string | Promise<string>;
/** Where a process writes its log lines (the cluster's and the children's add who they are). */
export type Log = (line: string) => void;

/** How much of an unknown request an error answer repeats. */
const ECHO_LIMIT = 60;

export class Connection {
  readonly socket: net.Socket;
  readonly peer: string;
  /** Resolves once the socket is closed in both directions. */
  readonly closed: Promise<void>;
  private readonly runWork: RunWork;
  private readonly log: Log;
  private readonly splitter = new LineSplitter();
  /** Requests received and not answered yet, in the order they came. */
  private readonly waiting: string[] = [];
  private busy = false;
  /** No more requests are taken: the client closed its side, or the server is stopping. */
  private ending = false;
  private closeLogged = false;
  private ended = false;

  constructor(socket: net.Socket, peer: string, runWork: RunWork, log: Log) {
    this.socket = socket;
    this.peer = peer;
    this.runWork = runWork;
    this.log = log;
    // Answers are short lines, each complete when written: Nagle's algorithm
    // would hold one back while the one before is unacknowledged (lesson 09).
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('end', () => this.finish());
    socket.on('error', (error) => {
      log(
        `Connection to ${peer} failed: ${explainSocketError(error, { address: peer })}`,
      );
      socket.destroy();
    });
    this.closed = new Promise((resolve) => {
      socket.once('close', () => {
        this.logClose();
        resolve();
      });
    });
  }

  private receive(chunk: Buffer): void {
    if (this.ending) return;
    try {
      this.waiting.push(...this.splitter.push(chunk));
    } catch (error) {
      if (!(error instanceof LineTooLong)) throw error;
      this.log(`Protocol error from ${this.peer}: ${error.message}`);
      this.stop();
      return;
    }
    void this.serviceRequests();
  }

  /** The client closed its sending side: answer what it sent, then close ours. */
  private finish(): void {
    if (this.ending) return;
    this.waiting.push(...this.splitter.end());
    this.ending = true;
    void this.serviceRequests();
  }

  /** Takes no more requests; the connection closes once the answer being worked on is written. */
  stop(): void {
    this.ending = true;
    this.waiting.length = 0;
    void this.serviceRequests();
  }

  /** Answers the waiting requests one after the other, each before the next is looked at. */
  private async serviceRequests(): Promise<void> {
    if (this.busy || this.ended || this.socket.destroyed) return;
    this.busy = true;
    // Stop reading while answering: a client that sends faster than we answer
    // then waits in TCP's buffers, not in this process's memory.
    this.socket.pause();
    for (
      let line = this.waiting.shift();
      line !== undefined;
      line = this.waiting.shift()
    ) {
      const answer = await this.answer(line);
      if (this.socket.destroyed) return;
      this.socket.write(`${answer}\n`);
    }
    this.busy = false;
    if (!this.ending) {
      this.socket.resume();
      return;
    }
    this.ended = true;
    this.logClose();
    // end() sends the answers still queued, then FIN. Reading goes on, and drops
    // what comes, until the client closes too; one that never does is cut off.
    this.socket.resume();
    this.socket.end();
    this.socket.setTimeout(SHUTDOWN_GRACE_MS, () => this.socket.destroy());
  }

  private async answer(line: string): Promise<string> {
    const request = parseRequest(line);
    switch (request.kind) {
      case 'ping':
        return 'pong';
      case 'unknown':
        return `error: unknown request "${escapeText(shortenText(request.line, ECHO_LIMIT))}"`;
      case 'work':
        try {
          return await this.runWork(request.argument, this.peer);
        } catch (error) {
          const reason = escapeText(
            error instanceof Error ? error.message : String(error),
          );
          this.log(`${workLabel(request.argument, this.peer)}: failed: ${reason}`);
          return `error: work failed: ${reason}`;
        }
    }
  }

  private logClose(): void {
    if (this.closeLogged) return;
    this.closeLogged = true;
    this.log(`Closing connection to ${this.peer}`);
  }
}

/**
 * What every server does on Ctrl-C or SIGTERM: accept nothing more, let each
 * connection write the answer it is working on and close, and cut off whatever
 * is still open after SHUTDOWN_GRACE_MS. Resolves once every connection is closed.
 */
export async function stopServing(
  server: net.Server | undefined,
  open: ReadonlySet<Connection>,
  log: Log,
): Promise<void> {
  server?.close();
  for (const connection of open) connection.stop();
  const cutOff = setTimeout(() => {
    for (const connection of open) {
      log(
        `Cutting off ${connection.peer}: it did not close within ${SHUTDOWN_GRACE_MS} ms`,
      );
      connection.socket.destroy();
    }
  }, SHUTDOWN_GRACE_MS);
  await Promise.all([...open].map((connection) => connection.closed));
  clearTimeout(cutOff);
}

/** How a `work` request shows in a log line: its argument is the client's text. */
export function workLabel(argument: string, peer: string): string {
  return `Work ${escapeText(shortenText(argument, 20))} for ${peer}`;
}

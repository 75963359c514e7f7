// What every scenario shares: how it prints (one line per event, labelled with
// the side that saw it, and an error as the fields node:net puts on it), what it
// returns, and two small waits. The socket calls themselves stay in the scenarios.

import type { Socket } from 'node:net';
import { inspect } from 'node:util';

/** One event, as the side that saw it: `client: connected to 127.0.0.1:40123`. */
export function say(side: string, text: string): void {
  console.log(`${side}: ${text}`);
}

/**
 * The fields a node:net error carries, in the order worth reading them:
 * `code` (the errno name, what a program tests), `errno` (the same as a
 * negative number), `syscall` (the call that failed), then `address`, `port`
 * or `hostname` when the call had one. Node's own errors (ERR_...) have only a code.
 */
export function errorFields(error: unknown): string {
  const source = (typeof error === 'object' && error !== null ? error : {}) as Record<
    string,
    unknown
  >;
  const fields: Record<string, unknown> = {};
  for (const name of ['code', 'errno', 'syscall', 'address', 'port', 'hostname']) {
    if (source[name] !== undefined) fields[name] = source[name];
  }
  return inspect(fields, { breakLength: Infinity, colors: false });
}

/** Prints an error the way the scenarios show it: where it surfaced, its fields, its message. */
export function showError(side: string, where: string, error: unknown): void {
  say(side, `${where}: ${errorFields(error)}`);
  const message = error instanceof Error ? error.message : String(error);
  say(side, `  message: ${JSON.stringify(message)}`);
}

/** What a scenario ends with: the error it caught, or why it cannot run here. */
export interface Outcome {
  /** The error the scenario provoked; undefined if none appeared. */
  error?: unknown;
  /** The address involved, for the one-line explanation. */
  address?: string;
  /** Set when this system cannot run the scenario, saying why. */
  skipped?: string;
}

/** Writes `bytes` and resolves once the kernel has taken them, or rejects with the write's error. */
export function write(socket: Socket, bytes: string | Uint8Array): Promise<void> {
  return new Promise((resolve, reject) =>
    socket.write(bytes, (error) => (error ? reject(error) : resolve())),
  );
}

/**
 * Resolves at the socket's 'close' with the error that closed it, or undefined
 * for a clean close. It reads (and drops) whatever arrives: a FIN or a reset
 * reaches a program only through a read.
 */
export function closed(socket: Socket): Promise<unknown> {
  socket.resume();
  return new Promise((resolve) => {
    let failure: unknown;
    socket.once('error', (error) => (failure = error));
    socket.once('close', () => resolve(failure));
  });
}

/** Resolves at the socket's 'close' event with its `hadError` flag; reads nothing. */
export function closeEvent(socket: Socket): Promise<boolean> {
  return new Promise((resolve) => socket.once('close', resolve));
}

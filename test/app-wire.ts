// The lesson 04 protocol as the checks write it: request and response bytes
// built by hand, not with the lesson's codec, so a codec bug cannot hide behind
// itself; plus small helpers to read the server's log about one connection.
// Used by test/04-app.test.ts and test/hostile.test.ts.

import type net from 'node:net';
import os from 'node:os';
import { escapeBytes } from '../shared/bytes.ts';
import { escapeRegExp, type RunningServer } from './harness.ts';
import { connectRaw, readUntilClose } from './net-helpers.ts';

export const BYTEORDER = os.endianness() === 'LE' ? 'little' : 'big';
export const ANSWERS: Record<string, string> = {
  morpheus: 'Follow the white rabbit. 🐰',
  ring: 'In the caves beneath the Misty Mountains. 💍',
  '🐶': '🐾 Playing ball! 🏐',
};

/** The 2-byte big-endian length, then the header and content bytes. */
export function prefixed(header: string | Buffer, content: Buffer = Buffer.alloc(0)): Buffer {
  const headerBytes = Buffer.isBuffer(header) ? header : Buffer.from(header, 'utf8');
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16BE(headerBytes.length);
  return Buffer.concat([prefix, headerBytes, content]);
}

/** The header the tutorial's programs write, spaced the way Python's json.dumps spaces it. */
export function headerText(
  type: string,
  encoding: string,
  length: number,
  byteorder = BYTEORDER,
): string {
  return `{"byteorder": "${byteorder}", "content-type": "${type}", "content-encoding": "${encoding}", "content-length": ${length}}`;
}

export function frame(type: string, encoding: string, content: Buffer): Buffer {
  return prefixed(headerText(type, encoding, content.length), content);
}

export const jsonFrame = (json: string) => frame('text/json', 'utf-8', Buffer.from(json, 'utf8'));
export const searchRequest = (value: string) =>
  jsonFrame(`{"action": "search", "value": ${JSON.stringify(value)}}`);
export const jsonResponse = (result: string) => jsonFrame(`{"result": ${JSON.stringify(result)}}`);
export const binaryRequest = (bytes: Buffer) =>
  frame('binary/custom-client-binary-type', 'binary', bytes);
export const binaryResponse = (request: Buffer) =>
  frame(
    'binary/custom-server-binary-type',
    'binary',
    Buffer.concat([Buffer.from('First 10 bytes of request: '), request.subarray(0, 10)]),
  );

/**
 * The first whole message at the front of `bytes` (2-byte length, JSON header,
 * then content-length bytes): its header and its length in bytes; undefined
 * while it has not all arrived. For checks that read a stream of messages.
 */
export function firstMessage(
  bytes: Buffer,
): { header: Record<string, unknown>; length: number } | undefined {
  if (bytes.length < 2) return undefined;
  const headerEnd = 2 + bytes.readUInt16BE(0);
  if (bytes.length < headerEnd) return undefined;
  const header = JSON.parse(bytes.subarray(2, headerEnd).toString('utf8')) as Record<
    string,
    unknown
  >;
  const length = headerEnd + Number(header['content-length']);
  return bytes.length < length ? undefined : { header, length };
}

/** The transcript line for bytes: `'\x00g{...}' (146 bytes)`. */
export function shown(bytes: Buffer): string {
  return `'${escapeBytes(bytes)}' (${bytes.length} bytes)`;
}

/** The server's lines about one client, once it has closed that connection. */
export async function linesAbout(server: RunningServer, addr: string): Promise<string[]> {
  await server.waitForLine(new RegExp(`^Closing connection to ${escapeRegExp(addr)}$`));
  const mentions = new RegExp(`${escapeRegExp(addr)}(?!\\d)`);
  return server.stdoutLines.filter((line) => mentions.test(line));
}

export function localAddr(socket: net.Socket): string {
  return `127.0.0.1:${socket.localPort}`;
}

/** Sends a request the way the tutorial's client does (no half-close) and reads until the server closes. */
export async function ask(port: number, request: Buffer): Promise<Buffer> {
  const socket = await connectRaw(port);
  const reply = readUntilClose(socket);
  socket.write(request);
  return reply;
}

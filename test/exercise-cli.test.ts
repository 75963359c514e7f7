// The exercise-mode commands as a learner types them, minus npm: creating a
// copy, refusing to overwrite it, starting over, and the progress listing.
// (The failing and passing runs of `npm run check -- 01` are shown in README.md;
// running them here would cost a whole spec run.)
// They work in a scratch workspace and progress file, never the learner's own.

import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, test } from 'vitest';
import { ROOT } from './paths.ts';

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

describe('npm run check with bad input', () => {
  test('--dir naming a file says so in one line and exits 1', async () => {
    const file = path.join(scratch, 'not-a-folder.ts');
    writeFileSync(file, '// a file\n');
    const result = await run('check', ['01', '--dir', file]);
    expect(result.exitCode).toBe(1);
    expect(result.stderr.split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('is a file: --dir takes the folder of your copy of lesson 01');
  });

  test('a progress file with fields of the wrong type is set aside as a backup, with one line', async () => {
    writeFileSync(
      env.WORKBOOK_PROGRESS_FILE,
      JSON.stringify({ lessons: { '01': { state: 'passed', total: 'oops', dir: 42 } } }),
    );
    const result = await run('check', []);
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(
      /^Note: progress\.json could not be read \(lesson 01: "total" is not a count\); it was kept as progress\.json\.broken-/,
    );
    expect(result.stdout).toMatch(/01 {2}The echo server and client +(not started|started in)/);
    const backups = readdirSync(scratch).filter((name) => name.startsWith('progress.json.broken-'));
    expect(backups).toHaveLength(1);
    rmSync(path.join(scratch, backups[0] ?? ''));

    writeFileSync(env.WORKBOOK_PROGRESS_FILE, JSON.stringify({ lessons: 'oops' }));
    const again = await run('check', []);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.stderr).toContain('"lessons" is not an object');
  });

  test('exercise --force starts the lesson over: its progress and hint counters are gone', async () => {
    await run('exercise', ['01', '--force']);
    writeFileSync(
      env.WORKBOOK_PROGRESS_FILE,
      JSON.stringify({
        lessons: {
          '01': { state: 'passed', passed: 12, total: 12, regionHints: { 'echo-loop': 3 } },
          '02': { state: 'failing', passed: 1, total: 9 },
        },
      }),
    );
    const forced = await run('exercise', ['01', '--force']);
    expect(forced.exitCode, forced.stderr).toBe(0);
    const progress = JSON.parse(readFileSync(env.WORKBOOK_PROGRESS_FILE, 'utf8')) as {
      lessons: Record<string, unknown>;
    };
    expect(Object.keys(progress.lessons)).toEqual(['02']);
  });
});

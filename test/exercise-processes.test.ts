// The harness and the checker against a learner's program gone wrong: one that
// starts children (one sharing its stdout, one detached), one that ignores
// SIGINT and SIGTERM, one that prints megabytes. Nothing may be left running,
// no check may hang, and no amount of output may crash the checker.

import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, describe, expect, test } from 'vitest';
import { findLesson } from '../lessons/manifest.ts';
import { copyLesson } from './exercise/lesson-data.ts';
import { HEAD_LINES, runProgram, startServer, TAIL_LINES, waitUntil } from './harness.ts';
import { ROOT } from './paths.ts';

const fixtures = path.join(ROOT, 'test', 'exercise', 'fixtures');
const forkingServer = path.join(fixtures, 'forking-server.ts');
const scratch = path.join(ROOT, 'workspace', `.test-processes-${process.pid}`);
mkdirSync(scratch, { recursive: true });
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The pids the forking server wrote: its own, the child sharing stdout, the detached one. */
function pidsIn(file: string): number[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split(/\s+/)
    .filter((word) => word !== '')
    .map(Number);
}

async function allGone(pids: number[]): Promise<boolean> {
  return waitUntil(() => pids.every((pid) => !alive(pid)), 5_000);
}

describe('the harness stops everything a program started', () => {
  test('stopping a server that ignores SIGTERM ends it and both its children, within seconds', async () => {
    const pidFile = path.join(scratch, 'stop.pids');
    process.env.WORKBOOK_FIXTURE_PIDS = pidFile;
    try {
      const server = await startServer(forkingServer, { extraArgs: ['--stubborn'] });
      expect(await waitUntil(() => pidsIn(pidFile).length === 3, 5_000)).toBe(true);
      const started = Date.now();
      const result = await server.stop();
      expect(Date.now() - started).toBeLessThan(8_000);
      expect(result.transcript.status).toMatch(/^stopped by the check: killed by SIGKILL/);
      expect(
        await allGone(pidsIn(pidFile)),
        `still running: ${pidsIn(pidFile).filter(alive).join(' ')}`,
      ).toBe(true);
    } finally {
      delete process.env.WORKBOOK_FIXTURE_PIDS;
    }
  });

  test('a program that exits leaving children is finished when it exits, not when they close its output', async () => {
    const script = path.join(scratch, 'leaves-children.ts');
    writeFileSync(
      script,
      [
        "import { spawn } from 'node:child_process';",
        "const forever = ['-e', 'setInterval(() => {}, 1000)'];",
        "const a = spawn(process.execPath, forever, { stdio: 'inherit' });",
        "const b = spawn(process.execPath, forever, { stdio: 'inherit', detached: true });",
        'console.log(`children ${a.pid} ${b.pid}`);',
        'process.exit(0);',
        '',
      ].join('\n'),
    );
    const started = Date.now();
    const result = await runProgram(script);
    expect(Date.now() - started).toBeLessThan(8_000);
    expect(result.exitCode).toBe(0);
    const pids = (result.stdoutLines[0] ?? '').split(' ').slice(1).map(Number);
    expect(pids).toHaveLength(2);
    expect(await allGone(pids), `still running: ${pids.filter(alive).join(' ')}`).toBe(true);
  });
});

describe('the harness keeps the start and end of huge output', () => {
  test('10 MB of lines keeps the first and last lines and says how many were cut', async () => {
    const result = await runProgram(path.join(fixtures, 'noisy.ts'), ['10']);
    expect(result.exitCode).toBe(0);
    expect(result.stdoutLines).toHaveLength(HEAD_LINES + TAIL_LINES);
    expect(result.stdoutLines[0]).toMatch(/^1 x+$/);
    expect(result.transcript.cut?.stdout?.after).toBe(HEAD_LINES);
    expect(result.transcript.cut?.stdout?.lines).toBeGreaterThan(90_000);
    expect(result.stderrLines).toEqual(['done']);
  });

  test('one 5 MB line is clipped, saying how many characters were left out', async () => {
    const result = await runProgram(path.join(fixtures, 'noisy.ts'), ['5', '--one-line']);
    expect(result.stdoutLines).toHaveLength(1);
    expect(result.stdoutLines[0]).toMatch(/… \(\d+ more characters\)$/);
    expect(result.stdoutLines[0]?.length).toBeLessThan(3_000);
  });
});

describe('npm run check against a copy whose server forks and ignores signals', () => {
  const lesson = findLesson('01');
  const copy = path.join(scratch, 'forking-copy');
  if (lesson !== undefined) {
    copyLesson(lesson, copy, {
      transform: (file, text) =>
        file === 'echo-server.ts'
          ? [
              `process.argv.push('--stubborn');`,
              `process.env.WORKBOOK_FIXTURE_PIDS = ${JSON.stringify(path.join(scratch, 'sigint.pids'))};`,
              // Written as from the reference folder: copyLesson rewrites it for the copy's place.
              `await import(${JSON.stringify(path.relative(path.join(ROOT, 'lessons', '01-echo'), forkingServer))});`,
              '',
            ].join('\n')
          : text,
    });
  }
  const env = {
    WORKBOOK_PROGRESS_FILE: path.join(scratch, 'progress.json'),
    NO_COLOR: '1',
  };

  test('Ctrl-C on the checker leaves nothing running, and it ends within seconds', async () => {
    const pidFile = path.join(scratch, 'sigint.pids');
    // Its own process group, as a terminal would start it: Ctrl-C signals the whole group.
    const checker = execa(
      process.execPath,
      ['--import', 'tsx', 'test/exercise/check.ts', '01', '--only', '--dir', copy],
      {
        cwd: ROOT,
        env,
        detached: true,
        reject: false,
        all: true,
      },
    );
    let printed = '';
    checker.all.on('data', (chunk: Buffer) => (printed += chunk.toString()));
    expect(
      await waitUntil(() => pidsIn(pidFile).length >= 3, 60_000),
      `the server never started\n${printed}`,
    ).toBe(true);
    const pid = checker.pid ?? 0;
    const interrupted = Date.now();
    process.kill(-pid, 'SIGINT');
    await checker;
    expect(Date.now() - interrupted).toBeLessThan(8_000);
    const pids = pidsIn(pidFile);
    expect(await allGone(pids), `still running: ${pids.filter(alive).join(' ')}`).toBe(true);
  }, 120_000);
});

// `npm run bench`: how fast the workbook's servers are, measured, not guessed.
// Each server runs in its own process, each load generator in another, on loopback.
// Prints a table, writes test/bench/results.json, and with --update-readme puts
// the table in README.md's "Performance" section.
//   npm run bench [-- --seconds N] [-- --skip-suite] [-- --update-readme]
//   npm run bench -- --lesson 11: only that lesson's rows (02, 04, 09 or 11), printed, nothing written

import { readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { programPath, ROOT } from '../harness.ts';
import { peakMemoryMiB } from './stats.ts';

const { values: flags } = parseArgs({
  options: {
    seconds: { type: 'string', default: '2' },
    'skip-suite': { type: 'boolean', default: false },
    'update-readme': { type: 'boolean', default: false },
    lesson: { type: 'string' },
  },
});
const seconds = Number(flags.seconds);
/** Whether this run measures lesson `id`: every lesson, unless --lesson names one. */
const measures = (id: string) => flags.lesson === undefined || flags.lesson === id;
const TSX = ['--import', import.meta.resolve('tsx')];
const HERE = path.join(ROOT, 'test', 'bench');

interface Server {
  pid: number | undefined;
  port: number;
  stop(): Promise<void>;
}

/** Starts a lesson server on port 0; its log is read and thrown away, as a terminal would show it. */
async function startServer(file: string, extraArgs: string[] = []): Promise<Server> {
  const child = execa(process.execPath, [...TSX, file, '127.0.0.1', '0', ...extraArgs], {
    reject: false,
    buffer: false,
  });
  const port = await new Promise<number>((resolve, reject) => {
    let seen = '';
    const onData = (chunk: Buffer) => {
      seen += chunk.toString();
      const match = seen.match(/Listening on [^\n]*:(\d+)/);
      if (!match) return;
      // From here on the log is read and dropped, as fast as the server writes it.
      child.stdout.off('data', onData);
      child.stdout.resume();
      resolve(Number(match[1]));
    };
    child.stdout.on('data', onData);
    void child.then(() =>
      reject(new Error(`${path.basename(file)} exited before listening:\n${seen}`)),
    );
    setTimeout(
      () =>
        reject(
          new Error(
            `${path.basename(file)} did not start within 30 s (a busy machine starts tsx slowly)`,
          ),
        ),
      30_000,
    ).unref();
  });
  child.stderr.resume();
  return {
    pid: child.pid,
    port,
    async stop() {
      child.kill('SIGINT');
      await child;
    },
  };
}

async function load(script: string, args: (string | number)[]): Promise<Record<string, number>> {
  const { stdout } = await execa(
    process.execPath,
    [...TSX, path.join(HERE, script), ...args.map(String)],
    {
      timeout: (seconds + 30) * 1000,
    },
  );
  return JSON.parse(stdout.trim().split('\n').at(-1)!) as Record<string, number>;
}

async function timed(command: string, args: string[]): Promise<number> {
  const started = performance.now();
  await execa(command, args, { cwd: ROOT, stdio: 'ignore', timeout: 180_000 });
  return (performance.now() - started) / 1000;
}

const fixed = (value: number | undefined, digits = 1) =>
  value === undefined || Number.isNaN(value) ? 'n/a' : value.toFixed(digits);

const rows: string[][] = [];
const figures: Record<string, unknown> = {};

// Lesson 02: echo throughput and round-trip latency.
for (const connections of measures('02') ? [1, 100, 1000] : []) {
  const server = await startServer(programPath('02', 'multiconn-server.ts'));
  try {
    const through = await load('echo-load.ts', [
      '127.0.0.1',
      server.port,
      connections,
      seconds,
      'throughput',
    ]);
    const latency = await load('echo-load.ts', [
      '127.0.0.1',
      server.port,
      connections,
      seconds,
      'latency',
    ]);
    const memory = await peakMemoryMiB(server.pid);
    figures[`echo-${connections}`] = { throughput: through, latency, peakMemoryMiB: memory };
    rows.push([
      `02 echo, ${connections} connection${connections === 1 ? '' : 's'}`,
      `${fixed(through.megabytesPerSecond)} MB/s`,
      `p50 ${fixed(latency.p50Ms, 2)} ms, p99 ${fixed(latency.p99Ms, 2)} ms`,
      `${fixed(memory)} MiB`,
    ]);
  } finally {
    await server.stop();
  }
}

// Lesson 04: requests per second, one request per connection.
for (const clients of measures('04') ? [1, 50] : []) {
  const server = await startServer(programPath('04', 'app-server.ts'));
  try {
    const result = await load('app-load.ts', ['127.0.0.1', server.port, clients, seconds]);
    const memory = await peakMemoryMiB(server.pid);
    figures[`app-${clients}`] = { ...result, peakMemoryMiB: memory };
    rows.push([
      `04 app, ${clients} concurrent client${clients === 1 ? '' : 's'}`,
      `${fixed(result.requestsPerSecond, 0)} requests/s${result.failures ? ` (${result.failures} failed)` : ''}`,
      `p50 ${fixed(result.p50Ms, 2)} ms, p99 ${fixed(result.p99Ms, 2)} ms`,
      `${fixed(memory)} MiB`,
    ]);
  } finally {
    await server.stop();
  }
}

// Lesson 09: one request per connection (lesson 04's server) against many on
// one connection, sequential and pipelined 16 deep, measured side by side.
async function lesson09Row(
  title: string,
  key: string,
  server: Server,
  script: string,
  args: (string | number)[],
): Promise<void> {
  try {
    const result = await load(script, ['127.0.0.1', server.port, ...args]);
    const memory = await peakMemoryMiB(server.pid);
    figures[key] = { ...result, peakMemoryMiB: memory };
    rows.push([
      title,
      `${fixed(result.requestsPerSecond, 0)} requests/s${result.failures ? ` (${result.failures} failed)` : ''}`,
      `p50 ${fixed(result.p50Ms, 2)} ms, p99 ${fixed(result.p99Ms, 2)} ms`,
      `${fixed(memory)} MiB`,
    ]);
  } finally {
    await server.stop();
  }
}
const persistentServer = programPath('09', 'persistent-server.ts');
for (const clients of measures('09') ? [1, 50] : []) {
  const who = `${clients} client${clients === 1 ? '' : 's'}`;
  await lesson09Row(
    `09 one-shot (lesson 04 server), ${who}`,
    `oneshot-${clients}`,
    await startServer(programPath('04', 'app-server.ts')),
    'app-load.ts',
    [clients, seconds],
  );
  for (const mode of ['sequential', 'pipelined'] as const) {
    await lesson09Row(
      `09 persistent ${mode === 'pipelined' ? 'pipelined (16 deep)' : 'sequential'}, ${who}`,
      `persistent-${mode}-${clients}`,
      await startServer(persistentServer, ['--max-requests', '100000000']),
      'persistent-load.ts',
      [clients, seconds, mode, 16],
    );
  }
}

// Lesson 11: how long a ping waits while 2 clients send work, and how many work
// requests a second each server completes, with 1 and 2 threads or processes.
const lesson11Servers: Array<[string, string, string[]]> = [
  ['loop-server', 'loop-server.ts', []],
  ['worker-server, 1 worker', 'worker-server.ts', ['--workers', '1']],
  ['worker-server, 2 workers', 'worker-server.ts', ['--workers', '2']],
  ['cluster-server, 1 worker', 'cluster-server.ts', ['--workers', '1']],
  ['cluster-server, 2 workers', 'cluster-server.ts', ['--workers', '2']],
  ['fork-server, 2 children', 'fork-server.ts', ['--children', '2']],
];
for (const [title, file, extraArgs] of measures('11') ? lesson11Servers : []) {
  const server = await startServer(programPath('11', file), extraArgs);
  try {
    const result = await load('concurrency-load.ts', [
      '127.0.0.1',
      server.port,
      2,
      seconds,
      75_000,
    ]);
    figures[`concurrency-${title}`] = result;
    rows.push([
      `11 ${title}, 2 clients sending work`,
      `${fixed(result.workPerSecond)} work requests/s${result.failures ? ` (${result.failures} failed)` : ''}`,
      `ping p50 ${fixed(result.p50Ms, 2)} ms, p99 ${fixed(result.p99Ms, 2)} ms, max ${fixed(result.maxMs, 2)} ms`,
      '',
    ]);
  } finally {
    await server.stop();
  }
}

// Whole-project timings.
const packageJson = JSON.parse(await readFile(path.join(ROOT, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>;
};
if (packageJson.scripts.site !== undefined && flags.lesson === undefined) {
  const siteSeconds = await timed('npm', ['run', 'site']);
  figures.siteBuildSeconds = siteSeconds;
  rows.push(['site build (npm run site)', `${fixed(siteSeconds)} s`, '', '']);
}
if (!flags['skip-suite'] && flags.lesson === undefined) {
  const suiteSeconds = await timed('npm', ['test']);
  figures.testSuiteSeconds = suiteSeconds;
  rows.push(['test suite (npm test)', `${fixed(suiteSeconds)} s`, '', '']);
}

const machine = `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}, Node ${process.version}`;
const header = ['what', 'rate', 'round trip', 'server peak memory'];
const table = [
  `| ${header.join(' | ')} |`,
  `| ${header.map(() => '---').join(' | ')} |`,
  ...rows.map((row) => `| ${row.join(' | ')} |`),
].join('\n');

console.log(`\nMeasured on: ${machine}; ${seconds} s per load phase.\n\n${table}\n`);
console.log(
  `Load average at the end: ${os
    .loadavg()
    .map((load) => load.toFixed(2))
    .join(', ')}`,
);
if (flags.lesson !== undefined) process.exit(0);
figures.loadAverageAtEnd = os.loadavg();
await writeFile(
  path.join(HERE, 'results.json'),
  `${JSON.stringify({ measuredAt: new Date().toISOString(), machine, secondsPerPhase: seconds, figures }, null, 2)}\n`,
);
console.log('Figures written to test/bench/results.json');

if (flags['update-readme']) {
  const readmePath = path.join(ROOT, 'README.md');
  const readme = await readFile(readmePath, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  if (!readme.includes(start) || !readme.includes(end))
    throw new Error(`README.md has no ${start} ... ${end} markers`);
  const section = `${start}\nMeasured on ${machine}, ${seconds} s per load phase (\`npm run bench\`):\n\n${table}\n${end}`;
  await writeFile(readmePath, readme.replace(new RegExp(`${start}[\\s\\S]*${end}`), section));
  console.log('README.md "Performance" section updated');
}

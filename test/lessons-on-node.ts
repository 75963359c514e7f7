// `npm run test:lessons -- --node <path-to-node>`: every lesson's checks, with the
// lesson programs run by that Node as plain `node file.ts` (type stripping, no tsx,
// no esbuild), while vitest and the harness stay on the Node that runs npm.
// CI runs it with Node 22.18, the oldest Node that can, and with Node 24, the LTS
// most learners have; any Node >= 22.18 works.

import { readdirSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { execa } from 'execa';
import { ROOT } from './paths.ts';

const { values } = parseArgs({ options: { node: { type: 'string' } } });
if (values.node === undefined) {
  process.stderr.write('Usage: npm run test:lessons -- --node <path-to-node>\n');
  process.exit(1);
}
const node = path.resolve(values.node);
const { stdout: version } = await execa(node, ['--version']);
const [major = 0, minor = 0] = version.slice(1).split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  process.stderr.write(`${node} is ${version}; plain \`node file.ts\` needs 22.18 or later\n`);
  process.exit(1);
}

// The lesson specs (test/NN-slug.test.ts) and the cross-lesson checks of the programs.
const lessonSpecs = readdirSync(path.join(ROOT, 'test')).filter((file) =>
  /^\d\d-.*\.test\.ts$/.test(file),
);
const files = [...lessonSpecs, 'errors.test.ts', 'hostile.test.ts', 'load.test.ts'].map((file) =>
  path.join('test', file),
);
console.log(`Lesson checks with the programs run by ${version} (${node})`);
const result = await execa(
  process.execPath,
  [
    path.join(ROOT, 'node_modules', 'vitest', 'vitest.mjs'),
    'run',
    '--config',
    'test/vitest.config.ts',
    ...files,
  ],
  {
    cwd: ROOT,
    stdio: 'inherit',
    reject: false,
    env: { WORKBOOK_PROGRAM_NODE: node },
  },
);
process.exit(result.exitCode ?? 1);

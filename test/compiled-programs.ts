// Lesson programs compiled to JavaScript for the checks, once.
//
// Starting a program under tsx costs about 0.35 s of CPU, most of it loading tsx
// itself, and the checks start hundreds of programs. So each program is bundled
// with esbuild (the compiler tsx uses) into one JavaScript file beside
// node_modules, and the harness runs that with plain node (about 0.12 s). Same
// code, same Node.
//
// A compiled file is named by its content, so test processes running side by side
// share it and an edit makes a new one. The index (index.json in the same folder)
// records, for each program, its compiled file and the size and modification time
// of every source file that went into it; an entry is used only while all of those
// are unchanged, so an edit is always compiled again, also in `vitest --watch`.
// The index also holds a key made of esbuild's version, the build options and
// tsconfig.json: when one of those changes, every program is compiled again.
// The run's global setup (test/global-setup.ts) compiles every program the
// manifest lists and writes the index, so the test processes do not each run
// esbuild for the same programs; anything else (a fixture, a stand-in) is
// compiled by each test process that starts it.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildSync, version as esbuildVersion, type BuildOptions } from 'esbuild';
import { ROOT } from './paths.ts';

const COMPILED_DIR = path.join(ROOT, 'node_modules', '.cache', 'workbook-programs');
const INDEX_FILE = path.join(COMPILED_DIR, 'index.json');

/** A compiled program and the size and mtime of each source file it was built from. */
interface Compiled {
  output: string;
  inputs: Record<string, [size: number, mtimeMs: number]>;
}

// A program that runs a module of its own folder in a worker thread or a child
// process names it `new URL('./name.ts', import.meta.url)` (lesson 11). A bundle
// holds only what is imported, so such a module is compiled on its own too, and
// the URL in the bundle names its compiled file, which sits beside the bundle.
const SIBLING_MODULE = /new URL\((["'])\.\/([\w.-]+\.ts)\1, import\.meta\.url\)/g;

/** How every program is built. */
const BUILD_OPTIONS = {
  absWorkingDir: ROOT,
  write: false,
  metafile: true,
  // A source map, so a stack trace names the .ts file and line the learner wrote.
  outdir: COMPILED_DIR,
  sourcemap: 'inline',
  sourcesContent: false,
  bundle: true,
  packages: 'external',
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'silent',
} satisfies BuildOptions;

/** What else a compiled file depends on: when it changes, the index is thrown away. */
function indexKey(): string {
  let tsconfig = '';
  try {
    tsconfig = readFileSync(path.join(ROOT, 'tsconfig.json'), 'utf8');
  } catch {
    // No tsconfig.json: esbuild's defaults, part of the key as ''.
  }
  const parts = [1, esbuildVersion, BUILD_OPTIONS, SIBLING_MODULE.source, tsconfig];
  return createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, 16);
}

/** How many builds this process ran (the check of this file counts them). */
let builds = 0;
export function buildCount(): number {
  return builds;
}

let index: Map<string, Compiled> | undefined;
/** Programs being compiled now: a module that starts itself again is not compiled. */
const compiling = new Set<string>();

function loadIndex(): Map<string, Compiled> {
  if (index !== undefined) return index;
  index = new Map();
  try {
    const stored = JSON.parse(readFileSync(INDEX_FILE, 'utf8')) as {
      key?: unknown;
      programs?: Record<string, Compiled>;
    };
    if (stored.key !== indexKey() || typeof stored.programs !== 'object') return index;
    for (const [file, compiled] of Object.entries(stored.programs ?? {})) {
      if (typeof compiled?.output === 'string' && typeof compiled.inputs === 'object')
        index.set(file, compiled);
    }
  } catch {
    // No index yet, or a broken one: every program is compiled when first started.
  }
  return index;
}

function sourceState(file: string): [number, number] | undefined {
  try {
    const stats = statSync(file);
    return [stats.size, stats.mtimeMs];
  } catch {
    return undefined;
  }
}

function isFresh(compiled: Compiled): boolean {
  if (!existsSync(compiled.output)) return false;
  return Object.entries(compiled.inputs).every(([file, [size, mtimeMs]]) => {
    const now = sourceState(file);
    return now !== undefined && now[0] === size && now[1] === mtimeMs;
  });
}

/**
 * The compiled JavaScript file of a program (an absolute .ts path), compiling it
 * if the index has no fresh one; undefined if it, or a module it starts, does not
 * compile (the harness then runs it under tsx, whose error message the check shows).
 */
export function compiledProgram(file: string): string | undefined {
  const known = loadIndex().get(file);
  if (known !== undefined && isFresh(known)) return known.output;
  if (compiling.has(file)) return undefined;
  compiling.add(file);
  try {
    const compiled = compile(file);
    if (compiled === undefined) return undefined;
    if (compiled.settled) loadIndex().set(file, compiled);
    return compiled.output;
  } finally {
    compiling.delete(file);
  }
}

/**
 * Builds a program. `settled` is false when a source file changed so shortly
 * before or during the build that its recorded time may not match what esbuild
 * read: such a build is used once and not kept in the index.
 */
function compile(file: string): (Compiled & { settled: boolean }) | undefined {
  const inputs: Compiled['inputs'] = {};
  let settled = true;
  let code: string;
  // A file's time is read after the build; one at or after this moment may be
  // a save that esbuild did not see (the margin covers coarse file-system clocks).
  const unsettledAfter = Date.now() - 2_000;
  try {
    builds += 1;
    const result = buildSync({ ...BUILD_OPTIONS, entryPoints: [file] });
    const output = result.outputFiles[0];
    if (output === undefined) return undefined;
    code = output.text;
    for (const input of Object.keys(result.metafile.inputs)) {
      const source = path.resolve(ROOT, input);
      const state = sourceState(source);
      if (state === undefined) return undefined;
      if (state[1] >= unsettledAfter) settled = false;
      inputs[source] = state;
    }
  } catch {
    return undefined;
  }
  let siblingsCompiled = true;
  code = code.replace(SIBLING_MODULE, (whole, _quote: string, name: string) => {
    const siblingFile = path.join(path.dirname(file), name);
    const sibling = compiledProgram(siblingFile);
    const siblingEntry = loadIndex().get(siblingFile);
    if (sibling === undefined) {
      siblingsCompiled = false;
      return whole;
    }
    // A sibling built from files just saved is not in the index: neither is this program.
    if (siblingEntry === undefined || siblingEntry.output !== sibling) settled = false;
    else Object.assign(inputs, siblingEntry.inputs);
    return `new URL(${JSON.stringify(`./${path.basename(sibling)}`)}, import.meta.url)`;
  });
  if (!siblingsCompiled) return undefined;
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  const output = path.join(COMPILED_DIR, `${path.basename(file, '.ts')}-${hash}.mjs`);
  if (!existsSync(output)) writeAtomically(output, code);
  return { output, inputs, settled };
}

/** Written under another name, then renamed: a process reading it never sees half a file. */
function writeAtomically(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, text);
  renameSync(partial, file);
}

/** Compiles `files` (the run's global setup does it for every program the manifest lists) and writes the index. */
export function compileAll(files: readonly string[]): void {
  for (const file of files) compiledProgram(file);
  const programs = Object.fromEntries([...loadIndex()].filter(([, compiled]) => isFresh(compiled)));
  writeAtomically(INDEX_FILE, `${JSON.stringify({ key: indexKey(), programs })}\n`);
}

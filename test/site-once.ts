// One build of the lesson site per test run, shared by the test files that check
// it (site-build reads its HTML, site-browser opens it in Chromium). A build runs
// every lesson's programs and highlights every source file, so building once
// saves a whole build's CPU. Test files run in separate processes: the first to
// ask creates a folder named after the run (an atomic mkdir decides who that
// is) and builds into it; the others wait for its result file. The run's
// global teardown removes the folder (test/global-setup.ts).

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { lessons as manifestLessons, type LessonEntry } from '../lessons/manifest.ts';
import type { BuildResult } from '../site/build-site.ts';

/** A lesson in the list whose folder does not exist yet, as while a lesson is being written. */
export const NOT_WRITTEN: LessonEntry = {
  id: '99',
  folder: '99-not-written-yet',
  title: 'A lesson still in writing',
  summary: 'Not there yet.',
  programs: [],
};

export interface SharedSite {
  outDir: string;
  result: BuildResult;
  /** What the build warned about, one line each. */
  warnings: string[];
}

/** The folder prefix of shared builds, so the teardown can find them. */
export const SITE_DIR_PREFIX = 'workbook-site-run-';
/** How long a waiting test file gives the build: it runs every lesson's programs. */
export const BUILD_TIMEOUT_MS = 240_000;

export function sharedSiteDir(runId: string): string {
  return path.join(os.tmpdir(), `${SITE_DIR_PREFIX}${runId.replace(/[^\w.-]/g, '_')}`);
}

let own: Promise<SharedSite> | undefined;

/**
 * The site built from the manifest's lessons plus one not written yet (which
 * must be skipped with a warning and appear nowhere).
 */
export function sharedSite(): Promise<SharedSite> {
  own ??= buildOrWait();
  return own;
}

async function build(outDir: string): Promise<SharedSite> {
  // Loaded here, not at the top: the run's global setup imports this file for
  // sharedSiteDir and should not load the highlighter.
  const { buildSite } = await import('../site/build-site.ts');
  const warnings: string[] = [];
  const result = await buildSite({
    outDir,
    lessons: [...manifestLessons, NOT_WRITTEN],
    warn: (line) => warnings.push(line),
  });
  return { outDir, result, warnings };
}

async function buildOrWait(): Promise<SharedSite> {
  const runId = process.env.WORKBOOK_RUN_ID;
  // Outside a vitest run (no run id) there is nobody to share with.
  if (runId === undefined) return build(fs.mkdtempSync(path.join(os.tmpdir(), 'workbook-site-')));
  const dir = sharedSiteDir(runId);
  const resultFile = path.join(dir, 'result.json');
  const errorFile = path.join(dir, 'error.txt');
  let builder = true;
  try {
    fs.mkdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    builder = false;
  }
  if (builder) {
    const publish = (file: string, text: string) => {
      fs.writeFileSync(`${file}.tmp`, text);
      fs.renameSync(`${file}.tmp`, file);
    };
    try {
      const site = await build(path.join(dir, 'site'));
      publish(resultFile, JSON.stringify(site));
      return site;
    } catch (error) {
      publish(errorFile, error instanceof Error ? (error.stack ?? error.message) : String(error));
      throw error;
    }
  }
  // Another test file is building: wait for its result (or its error) to appear.
  await new Promise<void>((resolve, reject) => {
    const done = () => fs.existsSync(resultFile) || fs.existsSync(errorFile);
    const finish = (outcome?: Error) => {
      watcher.close();
      clearInterval(poll);
      clearTimeout(timer);
      if (outcome === undefined) resolve();
      else reject(outcome);
    };
    const check = () => {
      if (done()) finish();
    };
    const watcher = fs.watch(dir, check);
    // fs.watch can miss an event on some file systems; a slow poll backs it up.
    const poll = setInterval(check, 250);
    const timer = setTimeout(
      () => finish(new Error(`the shared site build in ${dir} did not finish in time`)),
      BUILD_TIMEOUT_MS,
    );
    check();
  });
  if (fs.existsSync(errorFile))
    throw new Error(`the site build failed:\n${fs.readFileSync(errorFile, 'utf8')}`);
  return JSON.parse(fs.readFileSync(resultFile, 'utf8')) as SharedSite;
}

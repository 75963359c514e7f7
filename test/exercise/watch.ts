// `npm run check -- NN --watch`: calls back after a save in any of the copies
// (debounced), and keeps watching a copy that is replaced: `npm run exercise --
// NN --force` in another terminal deletes the folder and writes a new one, which
// leaves a watcher on the old folder silent. So each folder's identity (its inode)
// is checked on every event and once a second, and the watcher is made again.

import { existsSync, statSync, watch, type FSWatcher } from 'node:fs';
import path from 'node:path';

const DEBOUNCE_MS = 250;
const RECHECK_MS = 1_000;

/** Editor droppings that are not a save of the learner's code. */
function ignored(file: string | Buffer | null): boolean {
  const name = path.basename(String(file ?? ''));
  return name.startsWith('.') || name.endsWith('~') || name.endsWith('.swp');
}

function inodeOf(dir: string): number | undefined {
  try {
    const stat = statSync(dir);
    return stat.isDirectory() ? stat.ino : undefined;
  } catch {
    return undefined;
  }
}

/** Watches `dirs`; returns a function that stops watching. */
export function watchCopies(
  dirs: readonly string[],
  onChange: () => void,
  log: (message: string) => void,
): () => void {
  let timer: NodeJS.Timeout | undefined;
  const changed = () => {
    clearTimeout(timer);
    timer = setTimeout(onChange, DEBOUNCE_MS);
  };
  const watched = dirs.map((dir) => ({
    dir,
    inode: undefined as number | undefined,
    watcher: undefined as FSWatcher | undefined,
  }));
  const refresh = (entry: (typeof watched)[number]) => {
    const inode = inodeOf(entry.dir);
    if (inode === entry.inode && entry.watcher !== undefined) return;
    entry.watcher?.close();
    entry.watcher = undefined;
    const replaced = entry.inode !== undefined;
    entry.inode = inode;
    if (inode === undefined) {
      if (replaced) log(`${entry.dir} is gone; watching for it to come back.`);
      return;
    }
    try {
      entry.watcher = watch(entry.dir, { recursive: true }, (_event, file) => {
        if (inodeOf(entry.dir) !== entry.inode) refresh(entry);
        if (!ignored(file)) changed();
      });
      entry.watcher.on('error', () => {
        // The folder went away under the watcher: the next refresh makes a new one.
        entry.watcher?.close();
        entry.watcher = undefined;
      });
    } catch (error) {
      log(`Cannot watch ${entry.dir}: ${(error as Error).message}`);
      return;
    }
    if (replaced) {
      log(`${entry.dir} was replaced; watching the new copy.`);
      changed();
    }
  };
  for (const entry of watched) refresh(entry);
  const recheck = setInterval(() => {
    for (const entry of watched)
      if (existsSync(entry.dir) || entry.inode !== undefined) refresh(entry);
  }, RECHECK_MS);
  return () => {
    clearInterval(recheck);
    clearTimeout(timer);
    for (const entry of watched) entry.watcher?.close();
  };
}

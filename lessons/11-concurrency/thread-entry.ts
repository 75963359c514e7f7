// Lesson 11: how worker-server.ts names the module its threads run, so that it
// works however the program was started. `node file.ts` (Node >= 22.18) strips
// the types of a thread's .ts module as it does for ours. tsx, which runs the
// lessons on Node 20, does not reach into threads there, so a thread started
// under tsx first registers tsx itself, then imports the module.

import type { WorkerOptions } from 'node:worker_threads';

export interface ThreadEntry {
  /** What `new Worker()` takes first: the module, or a line of code that loads it. */
  filename: URL | string;
  options: WorkerOptions;
}

export function threadEntry(module: URL): ThreadEntry {
  const typeStripping = (process.features as { typescript?: string | false })
    .typescript;
  if (
    !module.pathname.endsWith('.ts') ||
    (typeStripping !== undefined && typeStripping !== false)
  )
    return { filename: module, options: {} };
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(module.href)}); });`;
  return { filename: code, options: { eval: true } };
}

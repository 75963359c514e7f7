// Where the workbook is, and the one regular-expression escape. Tiny on purpose:
// the learner's commands (`npm run check`, `npm run exercise`) and the site import
// it without loading the harness (esbuild, execa).

import path from 'node:path';

/** The workbook's root folder (the one with package.json). */
export const ROOT = path.resolve(import.meta.dirname, '..');

/** Text made safe to put inside a RegExp, e.g. an address such as `127.0.0.1:5000`. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

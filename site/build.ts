// `npm run site`: builds the lesson site into site/dist/.
// Open site/dist/index.html in a browser, or run `npm start` to serve it.

import path from 'node:path';
import { BuildError, buildSite } from './build-site.ts';

try {
  const result = await buildSite();
  const where = path.relative(process.cwd(), path.join(result.outDir, 'index.html'));
  console.log(
    `Built ${result.pages.length} pages in ${(result.milliseconds / 1000).toFixed(1)} s: open ${where}, or run npm start to serve them.`,
  );
} catch (error) {
  if (!(error instanceof BuildError)) throw error;
  console.error(`The site did not build: ${error.message}`);
  process.exit(1);
}

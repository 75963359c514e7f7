// `npm start`: builds the lesson site and serves it on http://127.0.0.1:8000
// (`npm start -- --port 8001` for another port) until Ctrl-C.

import { parseArgs } from 'node:util';
import { lessons } from '../lessons/manifest.ts';
import { errorCode } from '../shared/socket-errors.ts';
import { BuildError, buildSite, DEFAULT_OUT_DIR, lessonPageFile } from './build-site.ts';
import { createSiteServer, listen } from './serve.ts';

// Loopback only: the site is for the person at this machine.
const HOST = '127.0.0.1';
const DEFAULT_PORT = 8000;
const USAGE = 'Usage: npm start [-- --port PORT]';

let port = DEFAULT_PORT;
try {
  const { values } = parseArgs({ options: { port: { type: 'string' } }, allowPositionals: false });
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port > 65535)
      throw new Error(`port must be a number from 0 to 65535, not "${values.port}"`);
  }
} catch (error) {
  console.error(`${USAGE}\n${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}

// Take the port first, so a busy port is reported before the build.
const server = createSiteServer(DEFAULT_OUT_DIR);
try {
  port = await listen(server, port, HOST);
} catch (error) {
  if (errorCode(error) === 'EADDRINUSE') {
    console.error(
      `Port ${port} is in use: is the site already running in another terminal? ` +
        `Stop that one (Ctrl-C), or pick another port: npm start -- --port ${port + 1}`,
    );
  } else {
    console.error(
      `Could not serve on ${HOST}:${port}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
  process.exit(1);
}

// Ctrl-C and a plain `kill` stop it alike.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.close();
    server.closeAllConnections();
    console.log('\nStopped serving the site.');
    process.exit(0);
  });
}

console.log("Building the lesson site (every lesson's programs run once for their transcripts)...");
try {
  const result = await buildSite();
  console.log(
    `Built ${result.pages.length} pages in ${(result.milliseconds / 1000).toFixed(1)} s.`,
  );
} catch (error) {
  if (!(error instanceof BuildError)) throw error;
  console.error(`The site did not build: ${error.message}`);
  process.exit(1);
}

const url = `http://${HOST}:${port}/`;
const first = lessons[0];
console.log(
  [
    '',
    `The Sockets Workbook is at ${url}`,
    '',
    first === undefined
      ? 'Next: open it in your browser.'
      : `Next: open it in your browser and start with lesson ${first.id} (${url}${lessonPageFile(first)}).`,
    'Each lesson page shows the two commands to run in two terminals, and `npm test` checks every lesson.',
    '',
    'Press Ctrl-C to stop the server.',
  ].join('\n'),
);

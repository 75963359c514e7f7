// A small static file server for the built site: GET and HEAD only, files
// under one folder only, no caching (a rebuild shows at once).

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { once } from 'node:events';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

function resolveFile(root: string, url: string | undefined): string | undefined {
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(url ?? '/', 'http://site').pathname);
  } catch {
    return undefined;
  }
  const file = path.join(root, pathname.endsWith('/') ? `${pathname}index.html` : pathname);
  // path.join normalises `..`; anything that ends up outside the root is refused.
  if (file !== root && !file.startsWith(root + path.sep)) return undefined;
  return file;
}

export function createSiteServer(root: string): http.Server {
  const base = path.resolve(root);
  return http.createServer((request, response) => {
    const send = (status: number, type: string, body: string | Buffer) => {
      response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      response.end(request.method === 'HEAD' ? undefined : body);
    };
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      send(405, 'text/plain; charset=utf-8', 'Only GET and HEAD are served here.\n');
      return;
    }
    const file = resolveFile(base, request.url);
    if (file === undefined || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      send(
        404,
        'text/html; charset=utf-8',
        '<!doctype html><title>Not found</title><p>No such page. <a href="/">Back to the workbook</a>.</p>\n',
      );
      return;
    }
    send(
      200,
      CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream',
      fs.readFileSync(file),
    );
  });
}

/** Listens on host:port; rejects with the listen error (EADDRINUSE and friends). */
export async function listen(server: http.Server, port: number, host: string): Promise<number> {
  server.listen(port, host);
  await once(server, 'listening');
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : port;
}

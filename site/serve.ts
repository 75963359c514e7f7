// A small static file server for the built site: GET and HEAD only, regular
// files under one folder only, no caching (a rebuild shows at once). A symlink
// is followed only when the file it leads to is inside the folder too.

import fs from 'node:fs/promises';
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

const ALLOWED_METHODS = 'GET, HEAD';

const NOT_FOUND_PAGE =
  '<!doctype html><html lang="en"><title>Not found</title><p>No such page. <a href="/">Back to the workbook</a>.</p>\n';

/**
 * The decoded path of a request URL ('/02-multiconn.html'), or undefined when
 * the URL is not a path or does not decode (a stray '%', a NUL byte).
 */
function requestPath(url: string | undefined): string | undefined {
  if (url === undefined || !url.startsWith('/')) return undefined;
  const raw = url.split(/[?#]/, 1)[0] ?? '';
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return undefined;
  }
  return decoded.includes('\0') ? undefined : decoded;
}

const isInside = (root: string, file: string) => file === root || file.startsWith(root + path.sep);

/**
 * The real path of the regular file a request path names, or undefined when
 * there is none inside the root: `..` that climbs out, a symlink (to a file or
 * through a folder) that leads out, a folder, a missing file.
 */
async function resolveFile(root: string, pathname: string): Promise<string | undefined> {
  const file = path.join(root, pathname.endsWith('/') ? `${pathname}index.html` : pathname);
  // path.join normalises `..`; anything that ends up outside the root is refused.
  if (!isInside(root, file)) return undefined;
  try {
    const [realRoot, realFile] = await Promise.all([fs.realpath(root), fs.realpath(file)]);
    if (!isInside(realRoot, realFile)) return undefined;
    return (await fs.stat(realFile)).isFile() ? realFile : undefined;
  } catch {
    return undefined;
  }
}

export function createSiteServer(root: string): http.Server {
  const base = path.resolve(root);
  const handle = async (request: http.IncomingMessage, response: http.ServerResponse) => {
    const send = (
      status: number,
      type: string,
      body: string | Buffer,
      headers: Record<string, string> = {},
    ) => {
      response.writeHead(status, {
        'content-type': type,
        'content-length': String(Buffer.byteLength(body)),
        'cache-control': 'no-store',
        ...headers,
      });
      response.end(request.method === 'HEAD' ? undefined : body);
    };
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      send(405, 'text/plain; charset=utf-8', 'Only GET and HEAD are served here.\n', {
        allow: ALLOWED_METHODS,
      });
      return;
    }
    const pathname = requestPath(request.url);
    if (pathname === undefined) {
      send(400, 'text/plain; charset=utf-8', 'That is not a path this server understands.\n');
      return;
    }
    const file = await resolveFile(base, pathname);
    if (file === undefined) {
      send(404, 'text/html; charset=utf-8', NOT_FOUND_PAGE);
      return;
    }
    let body: Buffer;
    try {
      body = await fs.readFile(file);
    } catch {
      // Removed between the check and the read (a rebuild in progress).
      send(404, 'text/html; charset=utf-8', NOT_FOUND_PAGE);
      return;
    }
    send(200, CONTENT_TYPES[path.extname(file)] ?? 'application/octet-stream', body);
  };
  return http.createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      response.destroy(error instanceof Error ? error : new Error(String(error)));
    });
  });
}

/** Listens on host:port; rejects with the listen error (EADDRINUSE and friends). */
export async function listen(server: http.Server, port: number, host: string): Promise<number> {
  server.listen(port, host);
  await once(server, 'listening');
  const address = server.address();
  return typeof address === 'object' && address !== null ? address.port : port;
}

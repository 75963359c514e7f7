// The site server (`npm start`) against requests a careless or hostile client
// could send: paths that climb out of the site folder, symlinks that lead out
// of it, methods other than GET and HEAD, and URLs that do not decode.

import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createSiteServer, listen } from '../site/serve.ts';

const SECRET = 'a file outside the site folder\n';

let dir: string;
let server: http.Server;
let port: number;

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'workbook-serve-'));
  const root = path.join(dir, 'dist');
  fs.mkdirSync(path.join(root, 'assets'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'outside'));
  fs.writeFileSync(path.join(root, 'index.html'), '<p>home</p>\n');
  fs.writeFileSync(path.join(root, 'assets', 'site.css'), 'body {}\n');
  fs.writeFileSync(path.join(dir, 'secret.txt'), SECRET);
  fs.writeFileSync(path.join(dir, 'outside', 'secret.txt'), SECRET);
  // Symlinks that lead out of the site folder, to a file and through a folder.
  fs.symlinkSync(path.join(dir, 'secret.txt'), path.join(root, 'leak.txt'));
  fs.symlinkSync('/etc/passwd', path.join(root, 'passwd.txt'));
  fs.symlinkSync(path.join(dir, 'outside'), path.join(root, 'linked-folder'));
  // A symlink that stays inside is a file of the site like any other.
  fs.symlinkSync(path.join(root, 'index.html'), path.join(root, 'home.html'));
  server = createSiteServer(root);
  port = await listen(server, 0, '127.0.0.1');
});

afterAll(async () => {
  if (server !== undefined) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
  if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** One request with the path sent exactly as given (no normalising by a client library). */
function request(method: string, rawPath: string): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const sent = http.request({ host: '127.0.0.1', port, method, path: rawPath }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      response.on('error', reject);
    });
    sent.on('error', reject);
    sent.end();
  });
}

const describeAnswer = (what: string, answer: Answer) =>
  `${what}: HTTP ${answer.status}, headers ${JSON.stringify(answer.headers)}, body ${JSON.stringify(answer.body.slice(0, 200))}`;

describe('the site server', () => {
  test('serves the pages of the site folder, with / as index.html', async () => {
    for (const [rawPath, text] of [
      ['/', 'home'],
      ['/index.html', 'home'],
      ['/home.html', 'home'],
      ['/assets/site.css', 'body'],
      ['/index.html?x=1', 'home'],
    ] as const) {
      const answer = await request('GET', rawPath);
      expect(answer.status, describeAnswer(rawPath, answer)).toBe(200);
      expect(answer.body, describeAnswer(rawPath, answer)).toContain(text);
    }
    const head = await request('HEAD', '/index.html');
    expect(head.status, describeAnswer('HEAD /index.html', head)).toBe(200);
    expect(head.body).toBe('');
  });

  test('a path that climbs out of the site folder is not served', async () => {
    for (const rawPath of [
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/..%2fsecret.txt',
      '/%2e%2e/secret.txt',
      '/..%5csecret.txt',
      '/../../../../etc/passwd',
    ]) {
      const answer = await request('GET', rawPath);
      expect(answer.status, describeAnswer(rawPath, answer)).toBe(404);
      expect(answer.body, describeAnswer(rawPath, answer)).not.toContain(SECRET.trim());
    }
  });

  test('a symlink in the site folder that leads outside it is not followed', async () => {
    for (const rawPath of ['/leak.txt', '/passwd.txt', '/linked-folder/secret.txt']) {
      const answer = await request('GET', rawPath);
      expect(answer.status, describeAnswer(rawPath, answer)).toBe(404);
      expect(answer.body, describeAnswer(rawPath, answer)).not.toContain(SECRET.trim());
      expect(answer.body, describeAnswer(rawPath, answer)).not.toContain('root:');
    }
  });

  test('a missing file or a folder is a 404 page', async () => {
    for (const rawPath of ['/no-such-page.html', '/assets', '/assets/']) {
      const answer = await request('GET', rawPath);
      expect(answer.status, describeAnswer(rawPath, answer)).toBe(404);
      expect(answer.headers['content-type'], describeAnswer(rawPath, answer)).toMatch(/text\/html/);
    }
  });

  test('a method other than GET or HEAD gets 405 and an Allow header naming GET and HEAD', async () => {
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) {
      const answer = await request(method, '/index.html');
      expect(answer.status, describeAnswer(method, answer)).toBe(405);
      expect(answer.headers.allow, describeAnswer(method, answer)).toBe('GET, HEAD');
    }
  });

  test('a URL that does not decode, or holds a NUL byte, is a 400', async () => {
    for (const rawPath of ['/%E0%A4%A', '/%', '/index.html%00.txt', '*']) {
      const answer = await request('GET', rawPath);
      expect(answer.status, describeAnswer(rawPath, answer)).toBe(400);
    }
  });
});

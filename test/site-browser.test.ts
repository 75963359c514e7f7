// The lesson site in a real browser: Debian's Chromium (/usr/bin/chromium),
// driven by playwright-core, never a downloaded browser. Without chromium the
// checks are skipped with one line on how to install it, except in CI
// (WORKBOOK_REQUIRE_BROWSER=1), where a missing browser is a failure.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type http from 'node:http';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { findLesson } from '../lessons/manifest.ts';
import { buildSite, lessonPageFile, type BuildResult } from '../site/build-site.ts';
import { ROOT } from '../site/markdown.ts';
import { createSiteServer, listen } from '../site/serve.ts';

const CHROMIUM = '/usr/bin/chromium';
const INSTALL_HINT = `${CHROMIUM} is missing; install it with: sudo apt-get install -y chromium`;
const required = process.env.WORKBOOK_REQUIRE_BROWSER === '1';
const available = fs.existsSync(CHROMIUM);
const SCREENSHOTS = path.join(ROOT, 'test-output', 'site');
/** A word the search must find in lesson 02's text. */
const LESSON_02_WORD = 'backpressure';

if (!available && !required) console.log(`Skipping the site browser checks: ${INSTALL_HINT}`);

describe.skipIf(!available && !required)('the lesson site in Chromium', () => {
  let outDir: string;
  let profileDir: string;
  let result: BuildResult;
  let server: http.Server;
  let serverUrl: string;
  let context: BrowserContext;

  beforeAll(async () => {
    if (!available)
      throw new Error(
        `the browser checks are required here (WORKBOOK_REQUIRE_BROWSER=1), but ${INSTALL_HINT}`,
      );
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'workbook-site-'));
    profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'workbook-chromium-'));
    server = createSiteServer(outDir);
    // The build (which runs every lesson's programs) and the browser start together.
    const launched = chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
      viewport: { width: 1360, height: 900 },
    });
    const [buildResult, port, browser] = await Promise.all([
      buildSite({ outDir, warn: () => {} }),
      listen(server, 0, '127.0.0.1'),
      launched,
    ]);
    result = buildResult;
    serverUrl = `http://127.0.0.1:${port}/`;
    context = browser;
  });

  afterAll(async () => {
    await context?.close();
    if (server !== undefined) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    for (const dir of [outDir, profileDir])
      if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  });

  const fileUrl = (file: string) => pathToFileURL(path.join(outDir, file)).href;

  /** Opens a page and returns it with every console error and uncaught exception it produced. */
  async function open(url: string): Promise<{ page: Page; errors: string[] }> {
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(`console error: ${message.text()}`);
    });
    page.on('pageerror', (error) => errors.push(`uncaught: ${error.message}`));
    page.on('requestfailed', (request) => {
      // A reload cancels requests still in flight (the favicon, typically): not a fault of the page.
      const reason = request.failure()?.errorText;
      if (reason !== 'net::ERR_ABORTED') errors.push(`request failed: ${request.url()} ${reason}`);
    });
    const response = await page.goto(url, { waitUntil: 'load' });
    if (response !== null && !response.ok()) errors.push(`HTTP ${response.status()} for ${url}`);
    return { page, errors };
  }

  test('every page loads without a console error, from disk and from the server', async () => {
    const urls = result.pages.flatMap((file) => [fileUrl(file), new URL(file, serverUrl).href]);
    const problems = await Promise.all(
      urls.map(async (url) => {
        const { page, errors } = await open(url);
        await page.close();
        return errors.map((error) => `${url}: ${error}`);
      }),
    );
    expect(problems.flat()).toEqual([]);
  });

  test(`search finds "${LESSON_02_WORD}" in lesson 02, also from disk`, async () => {
    const lesson = findLesson('02')!;
    if (!result.pages.includes(lessonPageFile(lesson))) {
      // Lesson 02 may still be in writing on a developer's machine; CI needs it.
      if (required)
        throw new Error(
          `lessons/${lesson.folder}/README.md does not exist, so the site has no lesson 02 to search`,
        );
      console.log(
        `Skipping the search check: lessons/${lesson.folder}/README.md is not written yet`,
      );
      return;
    }
    const { page, errors } = await open(fileUrl('index.html'));
    await page.keyboard.press('/');
    await page.keyboard.type(LESSON_02_WORD);
    const hit = page
      .locator(`#search-results a.search-result[href^="${lessonPageFile(lesson)}"]`)
      .first();
    await hit.waitFor({ timeout: 5_000 });
    expect(await hit.textContent()).toMatch(new RegExp(LESSON_02_WORD, 'i'));
    expect(await hit.locator('mark').count(), 'the word is marked in the result').toBeGreaterThan(
      0,
    );
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`${lessonPageFile(lesson)}`));
    expect(errors).toEqual([]);
    await page.close();
  });

  test('the theme follows the system, the toggle switches it, and the choice is kept', async () => {
    // The home page: the smallest page, since this check reloads several times.
    const { page, errors } = await open(new URL('index.html', serverUrl).href);
    const theme = () => page.evaluate(() => document.documentElement.dataset.theme);
    const background = () => page.evaluate(() => getComputedStyle(document.body).backgroundColor);

    await page.evaluate(() => localStorage.removeItem('workbook-theme'));
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.reload();
    expect(await theme()).toBe('dark');
    await page.emulateMedia({ colorScheme: 'light' });
    await page.reload();
    expect(await theme()).toBe('light');
    const lightBackground = await background();

    await page.click('#theme-toggle');
    expect(await theme()).toBe('dark');
    expect(await background()).not.toBe(lightBackground);
    await page.reload();
    expect(await theme(), 'the choice survives a reload').toBe('dark');
    await page.click('#theme-toggle');
    expect(await theme()).toBe('light');
    expect(errors).toEqual([]);
    await page.close();
  });

  test('every code block has a copy button, and it copies the file exactly', async () => {
    const lesson = findLesson('01')!;
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], {
      origin: new URL(serverUrl).origin,
    });
    const { page, errors } = await open(new URL(lessonPageFile(lesson), serverUrl).href);
    const blocks = await page.locator('.code-block').count();
    expect(blocks).toBeGreaterThan(5);
    expect(await page.locator('.code-block > .copy-button').count()).toBe(blocks);

    const program = lesson.programs[0]!;
    const block = page
      .locator(`.code-block[data-include="lessons/${lesson.folder}/${program.file}"]`)
      .first();
    await block.hover();
    await block.locator('.copy-button').click();
    await expect.poll(() => block.locator('.copy-button').textContent()).toBe('Copied');
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).toBe(
      fs.readFileSync(path.join(ROOT, 'lessons', lesson.folder, program.file), 'utf8'),
    );
    expect(errors).toEqual([]);
    await page.close();
  });

  test('screenshots of a lesson page in both themes are written under test-output/site', async () => {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    const { page, errors } = await open(fileUrl(lessonPageFile(findLesson('01')!)));
    for (const theme of ['light', 'dark']) {
      await page.evaluate((value) => {
        localStorage.setItem('workbook-theme', value);
        document.documentElement.dataset.theme = value;
      }, theme);
      for (const [name, locator] of [
        ['top', undefined],
        ['diagram', '.diagram'],
        ['terminals', '.terminals'],
      ] as const) {
        const file = path.join(SCREENSHOTS, `lesson-01-${name}-${theme}.png`);
        if (locator === undefined) {
          await page.evaluate(() => window.scrollTo(0, 0));
          await page.screenshot({ path: file });
        } else await page.locator(locator).first().screenshot({ path: file });
        expect(fs.statSync(file).size, file).toBeGreaterThan(10_000);
      }
    }
    await page.evaluate(() => localStorage.removeItem('workbook-theme'));
    expect(errors).toEqual([]);
    await page.close();
  });
});

// The lesson site in a real browser: Debian's Chromium (/usr/bin/chromium),
// driven by playwright-core, never a downloaded browser, with axe-core run in
// every page. Without chromium the checks are skipped with one line on how to
// install it, except in CI (WORKBOOK_REQUIRE_BROWSER=1), where a missing
// browser is a failure.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type http from 'node:http';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { findLesson, lessons, type LessonEntry } from '../lessons/manifest.ts';
import { codePageFile, lessonPageFile, type BuildResult } from '../site/build-site.ts';
import { BUILD_TIMEOUT_MS, sharedSite } from './site-once.ts';
import { ROOT } from '../site/markdown.ts';
import { createSiteServer, listen } from '../site/serve.ts';

const CHROMIUM = '/usr/bin/chromium';
const INSTALL_HINT = `${CHROMIUM} is missing; install it with: sudo apt-get install -y chromium`;
const required = process.env.WORKBOOK_REQUIRE_BROWSER === '1';
const available = fs.existsSync(CHROMIUM);
const SCREENSHOTS = path.join(ROOT, 'test-output', 'site');
const AXE_SOURCE = fs.readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);
/** The widths every page is checked at: a laptop and a phone. */
const WIDTHS = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };
const THEMES = ['light', 'dark'] as const;
/** How many pages are open at once: one per core (axe is CPU-bound), so waits overlap without thrashing. */
const PARALLEL_PAGES = 2;
/** An error code that appears only in terminal output, so only a search of code blocks finds it. */
const ERROR_CODE = 'EADDRINUSE';
/** Lesson 04's page as it first opens, at 1280 × 800: at most this many screens long. */
const MAX_SCREENS = 22;

if (!available && !required) console.log(`Skipping the site browser checks: ${INSTALL_HINT}`);

/** Runs `work` over `items`, at most `limit` at a time. */
async function inParallel<T, R>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await work(items[index] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

describe.skipIf(!available && !required)('the lesson site in Chromium', () => {
  let outDir: string;
  let profileDir: string;
  let result: BuildResult;
  let server: http.Server;
  let serverUrl: string;
  let context: BrowserContext;
  let launching: Promise<BrowserContext> | undefined;

  beforeAll(async () => {
    if (!available)
      throw new Error(
        `the browser checks are required here (WORKBOOK_REQUIRE_BROWSER=1), but ${INSTALL_HINT}`,
      );
    profileDir = fs.mkdtempSync(path.join(os.tmpdir(), 'workbook-chromium-'));
    // The build first (shared with test/site-build.test.ts: test/site-once.ts): it
    // starts every lesson's programs, which must not wait behind a starting browser
    // on a loaded machine.
    ({ outDir, result } = await sharedSite());
    server = createSiteServer(outDir);
    const port = await listen(server, 0, '127.0.0.1');
    serverUrl = `http://127.0.0.1:${port}/`;
    launching = chromium.launchPersistentContext(profileDir, {
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
      viewport: WIDTHS.desktop,
    });
    context = await launching;
    // The build runs every lesson's programs: give a loaded machine time.
  }, BUILD_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    // Closed whenever it was started, also when a later step failed.
    await launching?.then(
      (browser) => browser.close(),
      () => {},
    );
    if (server !== undefined) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    if (profileDir !== undefined)
      fs.rmSync(profileDir, { recursive: true, force: true, maxRetries: 5 });
  });

  const fileUrl = (file: string) => pathToFileURL(path.join(outDir, file)).href;
  const httpUrl = (file: string) => new URL(file, serverUrl).href;
  const written = (lesson: LessonEntry) => result.pages.includes(lessonPageFile(lesson));

  interface OpenOptions {
    viewport?: { width: number; height: number };
    theme?: 'light' | 'dark';
  }

  interface WatchedPage {
    page: Page;
    /** Console errors, uncaught exceptions and failed requests since the last visit began. */
    errors: string[];
  }

  /** A new tab that records every console error and uncaught exception it produces. */
  async function watchedPage(): Promise<WatchedPage> {
    const page = await context.newPage();
    const watched: WatchedPage = { page, errors: [] };
    page.on('console', (message) => {
      if (message.type() === 'error') watched.errors.push(`console error: ${message.text()}`);
    });
    page.on('pageerror', (error) => watched.errors.push(`uncaught: ${error.message}`));
    page.on('requestfailed', (request) => {
      // A reload cancels requests still in flight (the favicon, typically): not a fault of the page.
      const reason = request.failure()?.errorText;
      if (reason !== 'net::ERR_ABORTED')
        watched.errors.push(`request failed: ${request.url()} ${reason}`);
    });
    return watched;
  }

  /** Loads `url` in the tab, at the given width and (emulated) system theme. */
  async function visit(watched: WatchedPage, url: string, options: OpenOptions = {}) {
    const { page } = watched;
    if (options.viewport !== undefined) await page.setViewportSize(options.viewport);
    // No stored choice in these pages: the theme follows the (emulated) system setting.
    await page.emulateMedia({ colorScheme: options.theme ?? 'light' });
    watched.errors.length = 0;
    const response = await page.goto(url, { waitUntil: 'load' });
    if (response !== null && !response.ok())
      watched.errors.push(`HTTP ${response.status()} for ${url}`);
  }

  /** Opens a page in a new tab and returns it with every console error and uncaught exception it produced. */
  async function open(url: string, options: OpenOptions = {}): Promise<WatchedPage> {
    const watched = await watchedPage();
    await visit(watched, url, options);
    return watched;
  }

  /**
   * Runs `work` over `items` in PARALLEL_PAGES tabs, each reused from item to
   * item (a new tab per page costs a renderer start), and closes the tabs.
   */
  async function inTabs<T, R>(
    items: readonly T[],
    work: (tab: WatchedPage, item: T) => Promise<R>,
  ): Promise<R[]> {
    const tabs = await Promise.all(
      Array.from({ length: Math.min(PARALLEL_PAGES, items.length) }, () => watchedPage()),
    );
    const free = [...tabs];
    try {
      return await inParallel(items, tabs.length, async (item) => {
        const tab = free.pop();
        if (tab === undefined) throw new Error('inTabs: no free tab');
        try {
          return await work(tab, item);
        } finally {
          free.push(tab);
        }
      });
    } finally {
      await Promise.all(tabs.map((tab) => tab.page.close()));
    }
  }

  /**
   * axe-core's violations on the page, one line per rule with a few of the elements.
   * `rules: 'all'` runs every rule; `'colours'` only the rules a change of colours
   * can change (a theme switch changes colours only: the sweep checks that the
   * layout stays the same). Either way it is one axe run, so axe looks at the
   * page once.
   *
   * color-contrast is most of axe's time, and most of its work is repeated: a code
   * page has thousands of highlighted spans in a dozen colours. So it runs on one
   * sample of each look (marked `data-axe-sample`, the rule's selector here): the
   * same text colour, size, weight, shadow and opacity over the same backgrounds
   * up to the first opaque one. An element that is positioned out of the flow
   * (absolute, fixed, sticky), or has a background image anywhere in that chain,
   * is always its own sample, as is every form control. Only visible elements are
   * sampled, so a hidden one never stands in for a shown one.
   */
  async function axeViolations(page: Page, rules: 'all' | 'colours'): Promise<string[]> {
    const loaded = await page.evaluate(() => 'axe' in window);
    if (!loaded) await page.evaluate(AXE_SOURCE);
    const violations = await page.evaluate(async (rules) => {
      const axe = (window as unknown as { axe: typeof import('axe-core') }).axe;
      const SAMPLE = 'data-axe-sample';
      axe.configure({ rules: [{ id: 'color-contrast', selector: `[${SAMPLE}]` }] });
      const lookOf = (element: Element): string | undefined => {
        const style = getComputedStyle(element);
        if (style.visibility !== 'visible' || element.getClientRects().length === 0)
          return undefined;
        if (element.matches('input, select, textarea, button')) return 'own sample';
        const parts = [
          style.color,
          style.fontSize,
          style.fontWeight,
          style.textShadow,
          style.opacity,
        ];
        for (let node: Element | null = element; node !== null; node = node.parentElement) {
          const own = getComputedStyle(node);
          if (!['static', 'relative'].includes(own.position) || own.backgroundImage !== 'none')
            return 'own sample';
          parts.push(own.backgroundColor, own.opacity, own.filter, own.mixBlendMode);
          // An opaque background hides whatever lies behind it.
          if (/^rgb\(/.test(own.backgroundColor)) break;
        }
        return parts.join('|');
      };
      // The samples of this theme: the last run's marks go first.
      for (const marked of Array.from(document.querySelectorAll(`[${SAMPLE}]`)))
        marked.removeAttribute(SAMPLE);
      const looks = new Set<string>();
      for (const element of Array.from(document.body.querySelectorAll('*'))) {
        const hasText = Array.from(element.childNodes).some(
          (child) => child.nodeType === Node.TEXT_NODE && (child.textContent ?? '').trim() !== '',
        );
        if (!hasText && !element.matches('input, select, textarea, button')) continue;
        const look = lookOf(element);
        if (look === undefined || (look !== 'own sample' && looks.has(look))) continue;
        looks.add(look);
        element.setAttribute(SAMPLE, '');
      }
      const result = await axe.run(
        document,
        rules === 'all'
          ? { resultTypes: ['violations'] }
          : {
              runOnly: { type: 'rule', values: ['color-contrast', 'link-in-text-block'] },
              resultTypes: ['violations'],
            },
      );
      return result.violations.map((violation) => ({
        id: violation.id,
        impact: violation.impact ?? '',
        help: violation.help,
        nodes: violation.nodes.map((node) =>
          `${node.target.join(' ')}: ${node.failureSummary ?? ''}`.slice(0, 300),
        ),
      }));
    }, rules);
    return violations.map(
      (violation) =>
        `${violation.id} (${violation.impact}, ${violation.nodes.length} elements): ${violation.help}\n    ` +
        violation.nodes.slice(0, 3).join('\n    '),
    );
  }

  // Over http every page is opened by the axe sweep below, which reports console errors too.
  test('every page loads from disk without a console error', async () => {
    const urls = result.pages.map((file) => fileUrl(file));
    const problems = await inTabs(urls, async (tab, url) => {
      await visit(tab, url);
      return tab.errors.map((error) => `${url}: ${error}`);
    });
    expect(problems.flat()).toEqual([]);
  }, 120_000);

  test('every page loads from the server without a console error and has no axe-core violations, light and dark, at 1280 and 390 px', async () => {
    // Each page is opened once per width. axe runs every rule in the light theme,
    // then the colour rules in the dark one: switching the theme changes colours
    // only, which the layout staying the same (checked here) backs up.
    const runs = result.pages.flatMap((file) =>
      Object.values(WIDTHS).map((viewport) => ({ file, viewport })),
    );
    const problems = await inTabs(runs, async (tab, run) => {
      await visit(tab, httpUrl(run.file), { viewport: run.viewport });
      const { page } = tab;
      const lines: string[] = [];
      const layouts: string[] = [];
      for (const theme of THEMES) {
        // The page follows the system setting through a change event: wait for it.
        await page.emulateMedia({ colorScheme: theme });
        const shown = await page
          .waitForFunction((wanted) => document.documentElement.dataset.theme === wanted, theme, {
            timeout: 10_000,
          })
          .then(
            () => true,
            () => false,
          );
        if (!shown) lines.push(`the page did not switch to the ${theme} theme`);
        layouts.push(
          await page.evaluate(() => {
            const root = document.documentElement;
            return `${root.scrollWidth} × ${root.scrollHeight} px`;
          }),
        );
        const rules = theme === 'light' ? 'all' : 'colours';
        lines.push(...(await axeViolations(page, rules)).map((line) => `${theme}: ${line}`));
      }
      if (new Set(layouts).size > 1)
        lines.push(`the layout changes with the theme (${layouts.join(', then ')})`);
      return [...tab.errors, ...lines].map(
        (line) => `${run.file} (${run.viewport.width} px): ${line}`,
      );
    });
    expect(problems.flat().join('\n')).toBe('');
    // About 100 axe runs: minutes when other test runs share the machine's two cores.
  }, 600_000);

  test('the axe sweep finds low-contrast text planted in a page, in both themes', async () => {
    // The sweep samples one element per look: this proves a sample still finds a fault.
    const { page, errors } = await open(httpUrl('index.html'));
    const found = new Map<string, string[]>();
    for (const theme of THEMES) {
      await page.emulateMedia({ colorScheme: theme });
      await page.waitForFunction(
        (wanted) => document.documentElement.dataset.theme === wanted,
        theme,
      );
      await page.evaluate(() => {
        document.getElementById('planted')?.remove();
        const paragraph = document.createElement('p');
        paragraph.id = 'planted';
        paragraph.style.cssText = 'color: rgb(136, 136, 136); background: rgb(119, 119, 119)';
        paragraph.textContent = 'Grey text on a grey background.';
        (document.querySelector('main') ?? document.body).append(paragraph);
      });
      found.set(theme, await axeViolations(page, theme === 'light' ? 'all' : 'colours'));
    }
    for (const [theme, lines] of found) {
      expect(
        lines.some((line) => line.startsWith('color-contrast ') && line.includes('#planted')),
        `the ${theme} run: ${lines.join('\n')}`,
      ).toBe(true);
    }
    expect([...found.keys()]).toEqual([...THEMES]);
    expect(errors).toEqual([]);
    await page.close();
  });

  for (const origin of ['the server', 'disk'] as const) {
    test(`search for the error code ${ERROR_CODE} finds the lesson it appears in, from ${origin}`, async () => {
      const expected = lessons.filter(
        (lesson) =>
          written(lesson) &&
          fs
            .readFileSync(path.join(ROOT, 'lessons', lesson.folder, 'README.md'), 'utf8')
            .includes(ERROR_CODE),
      );
      expect(expected, `a lesson text mentioning ${ERROR_CODE}`).not.toEqual([]);
      const url = origin === 'disk' ? fileUrl('index.html') : httpUrl('index.html');
      const { page, errors } = await open(url);
      expect(
        await page.evaluate(() => 'MiniSearch' in window || 'WORKBOOK_SEARCH' in window),
        'the search library and index are not loaded before the search is used',
      ).toBe(false);
      await page.keyboard.press('/');
      await page.keyboard.type(ERROR_CODE);
      const hits = page.locator('#search-results [role="option"]');
      await hits.first().waitFor({ timeout: 10_000 });
      const found = await hits.evaluateAll((links) =>
        links.map((link) => ({
          href: link.getAttribute('href') ?? '',
          text: link.textContent ?? '',
        })),
      );
      // Prose matches rank first; a terminal block that holds the code must be found too.
      const inLesson = found.find(
        (hit) =>
          /in terminal/.test(hit.text) &&
          expected.some((lesson) => hit.href.startsWith(`${lessonPageFile(lesson)}#`)),
      );
      expect(inLesson, `results: ${JSON.stringify(found)}`).toBeDefined();
      expect(inLesson?.text, 'the result says it matched a terminal block').toMatch(/in terminal/);
      expect(await page.locator('#search-input').getAttribute('aria-expanded')).toBe('true');
      await page.keyboard.press('ArrowDown');
      expect(await page.locator('#search-input').getAttribute('aria-activedescendant')).toBe(
        await hits.first().getAttribute('id'),
      );
      // Enter follows the highlighted (first) result, whichever block it is.
      const firstHref = (await hits.first().getAttribute('href')) ?? '';
      await page.keyboard.press('Enter');
      await page.waitForURL((url) => url.href.endsWith(firstHref), { timeout: 10_000 });
      expect(errors).toEqual([]);
      await page.close();
    });
  }

  test("lesson 04's page as it first opens is under 22 screens at 1280 px", async () => {
    const lesson = findLesson('04');
    if (lesson === undefined || !written(lesson)) {
      if (required) throw new Error('the site has no lesson 04 page');
      return;
    }
    const { page, errors } = await open(httpUrl(lessonPageFile(lesson)), {
      viewport: WIDTHS.desktop,
    });
    const height = await page.evaluate(() => document.documentElement.scrollHeight);
    const screens = height / WIDTHS.desktop.height;
    expect(screens, `${height} px at ${WIDTHS.desktop.height} px a screen`).toBeLessThan(
      MAX_SCREENS,
    );
    // "Next" comes right after the exercises, and the code is one click away.
    const order = await page.evaluate(() => {
      const headings = Array.from(document.querySelectorAll('.markdown-body h2'));
      const last = headings.at(-1);
      const pager = document.querySelector('.pager');
      return {
        last: last?.textContent ?? '',
        between:
          last !== undefined && pager !== null
            ? Array.from(document.querySelectorAll('.markdown-body pre')).filter(
                (pre) =>
                  // Sources and diffs belong on the code page; a command in an
                  // exercise or a model answer is part of the exercises.
                  (pre.closest('.included') !== null ||
                    pre.closest('[data-lang="diff"]') !== null) &&
                  last.compareDocumentPosition(pre) & Node.DOCUMENT_POSITION_FOLLOWING &&
                  pre.compareDocumentPosition(pager) & Node.DOCUMENT_POSITION_FOLLOWING,
              ).length
            : -1,
      };
    });
    expect(order.last).toMatch(/^Exercises/);
    expect(order.between, 'sources or diffs between the exercises and Next').toBe(0);
    expect(await page.locator(`.before-pager a[href="${codePageFile(lesson)}"]`).count()).toBe(1);
    expect(errors).toEqual([]);
    await page.close();
  });

  test('on a phone the menu closes on Escape and on a tap outside, and the page behind does not scroll', async () => {
    const { page, errors } = await open(httpUrl(lessonPageFile(lessons[0] as LessonEntry)), {
      viewport: WIDTHS.phone,
    });
    const open_ = () => page.evaluate(() => document.body.classList.contains('sidebar-open'));
    await page.click('#menu-button');
    expect(await open_()).toBe(true);
    expect(await page.evaluate(() => getComputedStyle(document.body).overflow)).toBe('hidden');
    await page.keyboard.press('Escape');
    expect(await open_()).toBe(false);
    await page.click('#menu-button');
    await page.mouse.click(370, 600);
    expect(await open_(), 'a tap on the backdrop closes it').toBe(false);
    // The outline is above the text, folded.
    expect(await page.locator('.outline-inline').isVisible()).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });

  test('the ← and → keys go to the previous and next lesson', async () => {
    const [first, second] = lessons.filter(written);
    if (first === undefined || second === undefined) return;
    const { page, errors } = await open(httpUrl(lessonPageFile(first)));
    await page.keyboard.press('ArrowRight');
    await page.waitForURL(new RegExp(`${lessonPageFile(second)}$`));
    await page.keyboard.press('ArrowLeft');
    await page.waitForURL(new RegExp(`${lessonPageFile(first)}$`));
    expect(errors).toEqual([]);
    await page.close();
  });

  test('the theme follows the system, the toggle switches it, and the choice is kept', async () => {
    // The home page: the smallest page, since this check reloads several times.
    const { page, errors } = await open(httpUrl('index.html'));
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
    await page.evaluate(() => localStorage.removeItem('workbook-theme'));
    expect(errors).toEqual([]);
    await page.close();
  });

  test('every code block has a copy button, and it copies the file exactly', async () => {
    const lesson = findLesson('01');
    if (lesson === undefined) throw new Error('no lesson 01 in the manifest');
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], {
      origin: new URL(serverUrl).origin,
    });
    const program = lesson.programs[0];
    if (program === undefined) throw new Error('lesson 01 has no programs');
    // A link to a file opens it, folded as it is on the code page.
    const { page, errors } = await open(httpUrl(`${codePageFile(lesson)}#file-${program.file}`));
    const blocks = await page.locator('.code-block').count();
    expect(blocks).toBeGreaterThan(3);
    expect(await page.locator('.code-block > .copy-button').count()).toBe(blocks);

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

  test('screenshots, light, dark and on a phone, are written under test-output/site', async () => {
    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    const lesson = [...lessons].reverse().find(written) ?? lessons[0];
    const withDiagram = lessons.filter(written).find((entry) => entry.id === '03') ?? lesson;
    if (lesson === undefined || withDiagram === undefined) return;
    const shots = [
      {
        name: 'lesson-light',
        file: lessonPageFile(lesson),
        theme: 'light',
        viewport: WIDTHS.desktop,
      },
      {
        name: 'lesson-dark',
        file: lessonPageFile(lesson),
        theme: 'dark',
        viewport: WIDTHS.desktop,
      },
      { name: 'code-dark', file: codePageFile(lesson), theme: 'dark', viewport: WIDTHS.desktop },
      { name: 'phone-light', file: lessonPageFile(lesson), theme: 'light', viewport: WIDTHS.phone },
      { name: 'phone-dark', file: lessonPageFile(lesson), theme: 'dark', viewport: WIDTHS.phone },
      {
        name: 'phone-diagram',
        file: lessonPageFile(withDiagram),
        theme: 'light',
        viewport: WIDTHS.phone,
      },
      { name: 'phone-menu', file: lessonPageFile(lesson), theme: 'dark', viewport: WIDTHS.phone },
      { name: 'phone-search', file: 'index.html', theme: 'light', viewport: WIDTHS.phone },
    ] as const;
    const problems = await inParallel(shots, PARALLEL_PAGES, async (shot) => {
      const { page, errors } = await open(httpUrl(shot.file), {
        viewport: shot.viewport,
        theme: shot.theme,
      });
      const file = path.join(SCREENSHOTS, `${shot.name}.png`);
      if (shot.name === 'phone-diagram') {
        await page.locator('.diagram').first().scrollIntoViewIfNeeded();
        await page.screenshot({ path: file });
      } else if (shot.name === 'phone-menu') {
        await page.click('#menu-button');
        await page.screenshot({ path: file });
      } else if (shot.name === 'phone-search') {
        await page.click('#search-input');
        await page.keyboard.type(ERROR_CODE);
        await page.locator('#search-results [role="option"]').first().waitFor();
        await page.screenshot({ path: file });
      } else {
        await page.screenshot({ path: file });
      }
      await page.close();
      return fs.statSync(file).size > 10_000 ? errors : [...errors, `${file} is nearly empty`];
    });
    expect(problems.flat()).toEqual([]);
  }, 120_000);
});

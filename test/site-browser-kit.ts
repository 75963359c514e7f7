// The lesson site in a real browser, for the browser test files: Debian's
// Chromium (/usr/bin/chromium) driven by playwright-core, never a downloaded
// browser, over the site built once per run (test/site-once.ts). Without
// chromium the checks are skipped with one line on how to install it, except
// in CI (WORKBOOK_REQUIRE_BROWSER=1), where a missing browser is a failure.
// The axe-core sweep is split by width into two test files so that vitest runs
// the halves side by side: it is the longest part of \`npm test\`.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type http from 'node:http';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { BuildResult } from '../site/build-site.ts';
import { ROOT } from '../site/markdown.ts';
import { createSiteServer, listen } from '../site/serve.ts';
import { sharedSite } from './site-once.ts';

export const CHROMIUM = '/usr/bin/chromium';
export const INSTALL_HINT = `${CHROMIUM} is missing; install it with: sudo apt-get install -y chromium`;
export const required = process.env.WORKBOOK_REQUIRE_BROWSER === '1';
export const available = fs.existsSync(CHROMIUM);
export const SCREENSHOTS = path.join(ROOT, 'test-output', 'site');
export const AXE_SOURCE = fs.readFileSync(
  createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
  'utf8',
);
/** The widths every page is checked at: a laptop and a phone. */
export const WIDTHS = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };
export const THEMES = ['light', 'dark'] as const;
/** How many pages are open at once: one per core (axe is CPU-bound), so waits overlap without thrashing. */
export const PARALLEL_PAGES = 2;

/** Whether the browser checks run here, and the line that says why not. */
export const skipBrowser = !available && !required;
if (skipBrowser) console.log(`Skipping the site browser checks: ${INSTALL_HINT}`);

/** Runs `work` over `items`, at most `limit` at a time. */
export async function inParallel<T, R>(
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

export interface OpenOptions {
  viewport?: { width: number; height: number };
  theme?: 'light' | 'dark';
}

export interface SiteInBrowser {
  /** The built site: its folder and what the build wrote. */
  readonly outDir: string;
  readonly result: BuildResult;
  /** The one browser context every page of the file opens in. */
  readonly context: BrowserContext;
  fileUrl: (file: string) => string;
  httpUrl: (file: string) => string;
  /** Opens a page and returns it with every console error and uncaught exception it produced. */
  open: (url: string, options?: OpenOptions) => Promise<{ page: Page; errors: string[] }>;
  axeViolations: (page: Page, rules: 'all' | 'colours') => Promise<string[]>;
}

/**
 * Call inside a describe: before its checks the shared site is served over
 * http and Chromium is started; after them both are stopped.
 */
export function useSiteInBrowser(): SiteInBrowser {
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
  }, 120_000);

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

  async function open(
    url: string,
    options: OpenOptions = {},
  ): Promise<{ page: Page; errors: string[] }> {
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
    if (options.viewport !== undefined) await page.setViewportSize(options.viewport);
    // No stored choice in these pages: the theme follows the (emulated) system setting.
    await page.emulateMedia({ colorScheme: options.theme ?? 'light' });
    const response = await page.goto(url, { waitUntil: 'load' });
    if (response !== null && !response.ok()) errors.push(`HTTP ${response.status()} for ${url}`);
    return { page, errors };
  }

  /**
   * axe-core's violations on the page, one line per rule with a few of the elements.
   * `rules: 'all'` runs every rule; `'colours'` only the rules a change of colours
   * can change (a theme switch changes colours only: the sweep checks that the
   * layout stays the same).
   *
   * color-contrast is most of axe's time, and most of its work is repeated: a code
   * page has thousands of highlighted spans in a dozen colours. So it runs on one
   * sample of each look: the same text colour, size, weight, shadow and opacity
   * over the same backgrounds up to the first opaque one. An element that is
   * positioned out of the flow (absolute, fixed, sticky), or has a background
   * image anywhere in that chain, is always its own sample, as is every form
   * control. Only visible elements are sampled, so a hidden one never stands in
   * for a shown one.
   */
  async function axeViolations(page: Page, rules: 'all' | 'colours'): Promise<string[]> {
    const loaded = await page.evaluate(() => 'axe' in window);
    if (!loaded) await page.evaluate(AXE_SOURCE);
    const violations = await page.evaluate(async (rules) => {
      const axe = (window as unknown as { axe: typeof import('axe-core') }).axe;
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
      const looks = new Set<string>();
      const samples: Element[] = [];
      for (const element of Array.from(document.body.querySelectorAll('*'))) {
        const hasText = Array.from(element.childNodes).some(
          (child) => child.nodeType === Node.TEXT_NODE && (child.textContent ?? '').trim() !== '',
        );
        if (!hasText && !element.matches('input, select, textarea, button')) continue;
        const look = lookOf(element);
        if (look === undefined || (look !== 'own sample' && looks.has(look))) continue;
        looks.add(look);
        samples.push(element);
      }
      // One run at a time: axe refuses to start while another run is going.
      const found = [
        await axe.run(
          { include: samples },
          { runOnly: { type: 'rule', values: ['color-contrast'] }, resultTypes: ['violations'] },
        ),
      ];
      found.push(
        await axe.run(
          document,
          rules === 'all'
            ? { rules: { 'color-contrast': { enabled: false } }, resultTypes: ['violations'] }
            : {
                runOnly: { type: 'rule', values: ['link-in-text-block'] },
                resultTypes: ['violations'],
              },
        ),
      );
      return found.flatMap((result) =>
        result.violations.map((violation) => ({
          id: violation.id,
          impact: violation.impact ?? '',
          help: violation.help,
          nodes: violation.nodes.map((node) =>
            `${node.target.join(' ')}: ${node.failureSummary ?? ''}`.slice(0, 300),
          ),
        })),
      );
    }, rules);
    return violations.map(
      (violation) =>
        `${violation.id} (${violation.impact}, ${violation.nodes.length} elements): ${violation.help}\n    ` +
        violation.nodes.slice(0, 3).join('\n    '),
    );
  }

  return {
    get outDir() {
      return outDir;
    },
    get result() {
      return result;
    },
    get context() {
      return context;
    },
    fileUrl,
    httpUrl,
    open,
    axeViolations,
  };
}

/**
 * The axe-core sweep at one width: every page opened over http, no console
 * error, and no violation in either theme.
 */
export function describeAxeSweep(width: keyof typeof WIDTHS): void {
  const viewport = WIDTHS[width];
  describe.skipIf(skipBrowser)(`the lesson site in Chromium at ${viewport.width} px`, () => {
    const site = useSiteInBrowser();
    test(`every page loads from the server without a console error and has no axe-core violations, light and dark, at ${viewport.width} px`, async () => {
      // Each page is opened once. axe runs every rule in the light theme,
      // then the colour rules in the dark one: switching the theme changes colours
      // only, which the layout staying the same (checked here) backs up.
      const runs = site.result.pages.map((file) => ({ file, viewport }));
      const problems = await inParallel(runs, PARALLEL_PAGES, async (run) => {
        const { page, errors } = await site.open(site.httpUrl(run.file), {
          viewport: run.viewport,
        });
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
          lines.push(...(await site.axeViolations(page, rules)).map((line) => `${theme}: ${line}`));
        }
        if (new Set(layouts).size > 1)
          lines.push(`the layout changes with the theme (${layouts.join(', then ')})`);
        await page.close();
        return [...errors, ...lines].map(
          (line) => `${run.file} (${run.viewport.width} px): ${line}`,
        );
      });
      expect(problems.flat().join('\n')).toBe('');
      // About 50 axe runs: minutes when other test runs share the machine's two cores.
    }, 600_000);
  });
}

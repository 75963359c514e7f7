// The lesson site in a real browser (test/site-browser-kit.ts): every page
// loads, search, page length, the phone menu, keys, themes, copy buttons and
// screenshots. The axe-core sweep of every page is in test/site-axe-*.test.ts.

import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { findLesson, lessons, type LessonEntry } from '../lessons/manifest.ts';
import { codePageFile, lessonPageFile } from '../site/build-site.ts';
import { ROOT } from '../site/markdown.ts';
import {
  inParallel,
  PARALLEL_PAGES,
  required,
  SCREENSHOTS,
  skipBrowser,
  useSiteInBrowser,
  WIDTHS,
} from './site-browser-kit.ts';

/** An error code that appears only in terminal output, so only a search of code blocks finds it. */
const ERROR_CODE = 'EADDRINUSE';
/** Lesson 04's page as it first opens, at 1280 × 800: at most this many screens long. */
const MAX_SCREENS = 22;

describe.skipIf(skipBrowser)('the lesson site in Chromium', () => {
  const site = useSiteInBrowser();
  const { open, fileUrl, httpUrl } = site;
  const written = (lesson: LessonEntry) => site.result.pages.includes(lessonPageFile(lesson));

  // Over http every page is opened by the axe sweep (test/site-axe-*.test.ts),
  // which reports console errors too.
  test('every page loads from disk without a console error', async () => {
    const urls = site.result.pages.map((file) => fileUrl(file));
    const problems = await inParallel(urls, PARALLEL_PAGES, async (url) => {
      const { page, errors } = await open(url);
      await page.close();
      return errors.map((error) => `${url}: ${error}`);
    });
    expect(problems.flat()).toEqual([]);
  }, 120_000);

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
    await site.context.grantPermissions(['clipboard-read', 'clipboard-write'], {
      origin: new URL(httpUrl('index.html')).origin,
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

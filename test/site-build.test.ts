// Checks for the lesson site generator: it is built once into a temporary
// folder, then its pages are read back as plain HTML.

import fs from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, test } from 'vitest';
import { lessons as manifestLessons, type LessonEntry } from '../lessons/manifest.ts';
import { BUILD_TIMEOUT_MS, NOT_WRITTEN, sharedSite } from './site-once.ts';
import { codePageFile, lessonPageFile, type BuildResult } from '../site/build-site.ts';
import { EDIT_URL_BASE } from '../site/config.ts';
import { CODE_BACKGROUNDS, contrastRatio } from '../site/highlight.ts';
import { PRINT_PAGE, renderPage } from '../site/template.ts';
import { unifiedDiff } from '../site/diff.ts';
import { printfFormat } from '../site/transcripts.ts';
import { BuildError, createMarkdown, extractRegion, newEnv, ROOT } from '../site/markdown.ts';

const lessons = [...manifestLessons, NOT_WRITTEN];

let outDir: string;
let result: BuildResult;
let warnings: string[];

beforeAll(async () => {
  // Built once per run and shared with the browser checks (test/site-once.ts).
  ({ outDir, result, warnings } = await sharedSite());
  // The build runs every lesson's programs: give a loaded machine time.
}, BUILD_TIMEOUT_MS + 60_000);

const page = (file: string) => fs.readFileSync(path.join(outDir, file), 'utf8');
const hasReadme = (folder: string) =>
  fs.existsSync(path.join(ROOT, 'lessons', folder, 'README.md'));

/** The text of an HTML fragment: tags removed, character references decoded. */
function textOf(html: string): string {
  const named: Record<string, string> = {
    amp: '&',
    lt: '<',
    gt: '>',
    quot: '"',
    apos: "'",
    nbsp: '\u00a0',
  };
  return html
    .replace(/<[^>]*>/g, '')
    .replace(/&(#x[0-9a-f]+|#\d+|[a-z]+);/gi, (entity, body: string) => {
      if (body[0] === '#')
        return String.fromCodePoint(
          body[1] === 'x' || body[1] === 'X' ? parseInt(body.slice(2), 16) : Number(body.slice(1)),
        );
      const char = named[body.toLowerCase()];
      if (char === undefined) throw new Error(`unknown character reference ${entity}`);
      return char;
    });
}

/** Every included block of a page: its data-include, data-region and the text of its <code>. */
function includedBlocks(
  html: string,
): Array<{ source: string; region: string | undefined; text: string }> {
  const pattern =
    /<div class="code-block" data-lang="[^"]*"(?: id="[^"]*")? data-include="([^"]+)"(?: data-region="([^"]+)")?>.*?<code[^>]*>([\s\S]*?)<\/code><\/pre><\/div>/g;
  return [...html.matchAll(pattern)].map((match) => ({
    source: match[1]!,
    region: match[2],
    text: textOf(match[3]!),
  }));
}

describe('the lesson site build', () => {
  test('every lesson with a README has a page, and each lesson not written yet is skipped with one warning', () => {
    const context = `pages: ${result.pages.join(', ')}\nwarnings:\n${warnings.join('\n')}`;
    expect(result.pages, context).toContain('index.html');
    for (const lesson of lessons) {
      if (hasReadme(lesson.folder)) {
        expect(result.pages, context).toContain(lessonPageFile(lesson));
      } else {
        expect(result.pages, context).not.toContain(lessonPageFile(lesson));
        expect(
          warnings.filter((line) => line.includes(`lesson ${lesson.id} `)),
          context,
        ).toHaveLength(1);
      }
    }
    expect(warnings, context).toHaveLength(result.skipped.length);
    expect(result.skipped, context).toContainEqual(NOT_WRITTEN);
    // The sidebar still lists it, unlinked.
    expect(page('index.html')).toMatch(
      /<span class="nav-link unwritten"[^>]*>.*A lesson still in writing<\/span>/,
    );
  });

  test('every included block is byte-identical to its source file or region', () => {
    let checked = 0;
    for (const file of result.pages) {
      // The print page repeats every lesson text; its blocks are checked, not counted.
      const counts = file !== 'print.html';
      for (const block of includedBlocks(page(file))) {
        const source = fs.readFileSync(path.join(ROOT, block.source), 'utf8');
        const expected = block.region === undefined ? source : extractRegion(source, block.region);
        expect(
          block.text,
          `${file}: the block including ${block.source}${block.region ? `#${block.region}` : ''}`,
        ).toBe(expected);
        if (counts) checked++;
      }
    }
    expect(checked, 'included blocks found in the pages').toBe(result.includes.length);
    expect(checked).toBeGreaterThan(0);
  });

  test('a piped input is shown as a printf format that prints it back exactly', async () => {
    const input = "it's 100% done\\n, \\ and a\nsecond line\n";
    const { stdout } = await execa('sh', ['-c', `printf ${printfFormat(input)}`], {
      stripFinalNewline: false,
    });
    expect(stdout).toBe(input);
  });

  test("each lesson's code page shows every program in full, the two terminals of a real run, and a diff against the previous lesson", () => {
    for (const lesson of manifestLessons.filter((entry) => hasReadme(entry.folder))) {
      const html = page(codePageFile(lesson));
      expect(page(lessonPageFile(lesson)), `${lesson.folder}: link to its code page`).toContain(
        `href="${codePageFile(lesson)}"`,
      );
      const sources = includedBlocks(html).map((block) => block.source);
      const text = textOf(html);
      // The build runs the lesson's first server and each client against it; a second
      // server (lesson 05's tap) and a demo show their runs in the lesson text.
      const firstServer = lesson.programs.find((program) => program.role === 'server');
      for (const program of lesson.programs) {
        expect(sources, `${lesson.folder}: source of ${program.file}`).toContain(
          `lessons/${lesson.folder}/${program.file}`,
        );
        if (program !== firstServer && program.role !== 'client') continue;
        // A client that reads its stdin shows that input piped in, as the run had it.
        const piped = program.input === undefined ? '' : `printf ${printfFormat(program.input)} | `;
        expect(text, `${lesson.folder}: run command`).toContain(
          `$ ${piped}npx tsx lessons/${lesson.folder}/${program.file} ${program.args.join(' ')}`,
        );
      }
      // A lesson of demos (lesson 06) shows its runs in its own text, and has no pair to diff.
      const hasServer = (entry: LessonEntry | undefined) =>
        entry?.programs.some((program) => program.role === 'server') === true;
      if (!hasServer(lesson)) continue;
      // The real run: the server's port shows as the manifest's, not the port the build got.
      expect(text, `${lesson.folder}: server transcript`).toContain('Listening on 127.0.0.1:65432');
      const index = lessons.indexOf(lesson);
      if (index > 0 && hasServer(lessons[index - 1])) {
        expect(html, `${lesson.folder}: diff against lesson ${lessons[index - 1]!.id}`).toContain(
          'data-lang="diff"',
        );
      }
    }
  });

  test('every internal link and asset resolves, fragments included', () => {
    const problems: string[] = [];
    for (const file of result.pages) {
      const html = page(file);
      for (const match of html.matchAll(/\s(?:href|src)="([^"]*)"/g)) {
        const url = match[1]!.replace(/&amp;/g, '&');
        if (/^(?:[a-z][a-z0-9+.-]*:|\/\/)/i.test(url)) continue;
        const [target = '', fragment] = url.split('#');
        const targetFile = target === '' ? file : target;
        const absolute = path.join(outDir, decodeURIComponent(targetFile));
        if (!fs.existsSync(absolute)) {
          problems.push(`${file}: ${url}: ${targetFile} does not exist`);
          continue;
        }
        if (
          fragment !== undefined &&
          fragment !== '' &&
          !page(targetFile).includes(`id="${fragment}"`)
        ) {
          problems.push(`${file}: ${url}: no element with id "${fragment}" in ${targetFile}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  test('the search index (prose, code and terminal blocks) and the diagrams are in the site', () => {
    const index = fs.readFileSync(path.join(outDir, 'assets', 'search-index.js'), 'utf8');
    for (const file of result.pages.filter(
      (name) => !name.startsWith('file-') && name !== PRINT_PAGE,
    )) {
      expect(index, `search index entry for ${file}`).toContain(file);
    }
    // Words that are only in code or terminal output are found too.
    for (const word of ['EADDRINUSE', 'allowHalfOpen', 'exitWithSocketError'])
      expect(index, `search index: ${word}`).toContain(word);
    // Pages load the search only when it is used.
    expect(page('index.html')).not.toContain('search-index.js');
    expect(page('01-echo.html')).toMatch(/<figure class="diagram diagram-socket-flow"[^>]*><svg/);
    expect(fs.existsSync(path.join(outDir, 'assets', 'minisearch.js'))).toBe(true);
  });
});

describe('code colours', () => {
  test('every token colour, folded code included, keeps 4.5:1 on the code backgrounds of its theme', () => {
    const problems = new Set<string>();
    for (const file of result.pages) {
      for (const match of page(file).matchAll(/--shiki-(light|dark):(#[0-9a-fA-F]{6})\b/g)) {
        const theme = match[1] as 'light' | 'dark';
        const colour = match[2] ?? '';
        for (const background of CODE_BACKGROUNDS[theme]) {
          const ratio = contrastRatio(colour, background);
          if (ratio < 4.5)
            problems.add(`${file}: ${theme} ${colour} on ${background} is ${ratio.toFixed(2)}:1`);
        }
      }
    }
    expect([...problems]).toEqual([]);
  });
});

describe('the whole workbook on one page', () => {
  test('holds the home page and every lesson text, each id once', () => {
    const html = page(PRINT_PAGE);
    for (const lesson of manifestLessons.filter((entry) => hasReadme(entry.folder)))
      expect(html, `${lesson.folder} in the print view`).toContain(
        `<h1 id="page-${lesson.folder}-`,
      );
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((match) => match[1]);
    const repeated = ids.filter((id, index) => ids.indexOf(id) !== index);
    expect(repeated).toEqual([]);
  });
});

describe('the "Edit this page" link', () => {
  const shell = {
    title: 'Lesson 01',
    description: 'd',
    body: '<h1>Lesson 01</h1>',
    outline: [],
    file: '01-echo.html',
    lessons: [],
  };

  test('is off while site/config.ts leaves EDIT_URL_BASE unset', () => {
    if (EDIT_URL_BASE === undefined) expect(page('index.html')).not.toContain('Edit this page');
    else expect(page('index.html')).toContain(`href="${EDIT_URL_BASE}README.md"`);
  });

  test("links to the page's file in the repository when set", () => {
    const html = renderPage({
      ...shell,
      editUrl: 'https://example.org/edit/main/lessons/01-echo/README.md',
    });
    expect(html).toContain(
      '<a href="https://example.org/edit/main/lessons/01-echo/README.md">Edit this page</a>',
    );
    expect(renderPage(shell)).not.toContain('Edit this page');
  });
});

describe('the lesson text renderer', () => {
  const render = async (markdown: string) => {
    const md = await createMarkdown();
    const env = newEnv(
      'lessons/01-echo/README.md',
      () => ({ href: 'x.html' }),
      () => 'x.png',
    );
    return md.render(markdown, env as unknown as Record<string, unknown>);
  };

  test('an include that points at nothing fails the build, naming the file, the line and the missing path', async () => {
    await expect(render('# Title\n\n<!-- include: no-such-file.ts -->\n')).rejects.toThrow(
      new BuildError(
        'lessons/01-echo/README.md:3: include "no-such-file.ts" points at nothing: lessons/01-echo/no-such-file.ts does not exist',
      ),
    );
  });

  test('an include of a region that does not exist fails the build and says how to mark one', async () => {
    await expect(render('<!-- include: echo-server.ts#no-such-region -->\n')).rejects.toThrow(
      /has no region "no-such-region".*#region no-such-region/,
    );
  });

  test('an unknown diagram fails the build', async () => {
    await expect(render('<!-- diagram: no-such-diagram -->\n')).rejects.toThrow(
      /diagram "no-such-diagram" does not exist/,
    );
  });

  test('a region is the lines between its markers', () => {
    const source = 'a\n// #region setup\nb\nc\n// #endregion setup\nd\n';
    expect(extractRegion(source, 'setup')).toBe('b\nc\n');
    expect(extractRegion(source, 'other')).toBeUndefined();
  });

  test('GitHub alerts become titled callouts', async () => {
    const html = await render('> [!WARNING]\n> Ports below 1024 need root.\n');
    expect(html).toContain('<div class="markdown-alert markdown-alert-warning">');
    expect(html).toContain('<p class="markdown-alert-title">Warning</p>');
    expect(html).toContain('<p>Ports below 1024 need root.</p>');
    expect(html).not.toContain('[!WARNING]');
  });

  test('headings get GitHub slugs, unique on the page', async () => {
    const html = await render('## Run it\n\n## Run it\n\n### `net.connect()` and you\n');
    expect(html).toContain('<h2 id="run-it">');
    expect(html).toContain('<h2 id="run-it-1">');
    expect(html).toContain('<h3 id="netconnect-and-you">');
  });
});

describe('the line diff', () => {
  test('prints a unified diff with three lines of context, as diff -u does', () => {
    const before = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '10'].join('\n') + '\n';
    const after = ['1', '2', '3', '4', 'five', '6', '7', '8', '9', '10', '11'].join('\n') + '\n';
    expect(unifiedDiff(before, after, 'a.ts', 'b.ts')).toBe(
      [
        '--- a.ts',
        '+++ b.ts',
        '@@ -2,9 +2,10 @@',
        ' 2',
        ' 3',
        ' 4',
        '-5',
        '+five',
        ' 6',
        ' 7',
        ' 8',
        ' 9',
        ' 10',
        '+11',
        '',
      ].join('\n'),
    );
    expect(unifiedDiff(before, before, 'a.ts', 'b.ts')).toBe('');
  });

  test('marks a file that ends without a newline, as diff -u does', () => {
    expect(unifiedDiff('a\nb\n', 'a\nc', 'a.ts', 'b.ts')).toBe(
      [
        '--- a.ts',
        '+++ b.ts',
        '@@ -1,2 +1,2 @@',
        ' a',
        '-b',
        '+c',
        '\\ No newline at end of file',
        '',
      ].join('\n'),
    );
  });
});

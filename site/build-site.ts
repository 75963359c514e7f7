// Builds the lesson site into a folder: a home page from README.md, two pages
// per lesson in lessons/manifest.ts whose README exists (its text, and its code:
// every source file, a real run and the diff against the lesson before), a page
// for any other file a text links to, one page with the whole workbook for
// printing, the search index and the assets. Lessons are found through the
// manifest only, so a new lesson appears without touching this file.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import MiniSearch from 'minisearch';
import { lessons as manifestLessons, type LessonEntry } from '../lessons/manifest.ts';
import { unifiedDiff } from './diff.ts';
import {
  BuildError,
  createMarkdown,
  fence,
  newEnv,
  ROOT,
  type LinkTarget,
  type RenderEnv,
} from './markdown.ts';
import { EDIT_URL_BASE } from './config.ts';
import { PRINT_PAGE, renderPage, SITE_TITLE, type NavLink } from './template.ts';
import { captureTranscripts, terminalLines, type LessonRun } from './transcripts.ts';

export { BuildError };
export const DEFAULT_OUT_DIR = path.join(ROOT, 'site', 'dist');
const ASSET_DIR = path.join(import.meta.dirname, 'assets');

/**
 * How the search index is stored and loaded; the browser loads it with the same
 * options. A document is a section of prose, or one code or terminal block
 * (`block` names it); the browser weighs blocks below prose.
 */
export const SEARCH_OPTIONS = {
  idField: 'id',
  fields: ['title', 'heading', 'text'],
  storeFields: ['title', 'heading', 'url', 'text', 'block'],
};

interface SearchDocument {
  id: string;
  title: string;
  heading: string;
  url: string;
  text: string;
  /** For a code or terminal block: what it is ("app-server.ts", "terminal"). */
  block?: string;
}

export interface BuildResult {
  outDir: string;
  /** Page files written, relative to outDir. */
  pages: string[];
  /** Lessons in the manifest skipped because their folder or README does not exist yet. */
  skipped: LessonEntry[];
  /** Every included block: page file and the repository path (with #region) it shows. */
  includes: Array<{ page: string; source: string }>;
  milliseconds: number;
}

export interface BuildOptions {
  outDir?: string;
  /** Where warnings go (one line each); console.warn by default. */
  warn?: (line: string) => void;
  /** The lesson list; lessons/manifest.ts by default. */
  lessons?: readonly LessonEntry[];
  /** Base of the "Edit this page" links; EDIT_URL_BASE (site/config.ts) by default. */
  editUrlBase?: string | undefined;
}

export function lessonPageFile(lesson: LessonEntry): string {
  return `${lesson.folder}.html`;
}

/** The lesson's second page: its source files, a real run and the diff. */
export function codePageFile(lesson: LessonEntry): string {
  return `${lesson.folder}-code.html`;
}

function isWritten(lesson: LessonEntry): boolean {
  return fs.existsSync(path.join(ROOT, 'lessons', lesson.folder, 'README.md'));
}

function filePageName(repoPath: string): string {
  return `file-${repoPath.replace(/[^A-Za-z0-9._-]+/g, '-')}.html`;
}

/** The lesson's TypeScript files: its programs in manifest order, then its modules. */
function lessonSources(lesson: LessonEntry): string[] {
  const programs = lesson.programs.map((program) => program.file);
  const modules = fs
    .readdirSync(path.join(ROOT, 'lessons', lesson.folder))
    .filter((file) => file.endsWith('.ts') && !programs.includes(file))
    .sort();
  return [...programs, ...modules];
}

/** The lesson's code page: a real run, every source file in full, the diff. */
function codeMarkdown(
  lesson: LessonEntry,
  previous: LessonEntry | undefined,
  transcripts: LessonRun[],
): string {
  return [
    `# Lesson ${lesson.id}, the code`,
    '',
    `Everything [lesson ${lesson.id}](README.md) runs, in full: ` +
      [
        transcripts.length > 0 ? 'a real run of its programs' : undefined,
        'every source file',
        previous === undefined ? undefined : `the diff against lesson ${previous.id}`,
      ]
        .filter((part) => part !== undefined)
        .join(', ') +
      '.',
    '',
    terminalsMarkdown(lesson, transcripts),
    sourcesMarkdown(lesson),
    diffsMarkdown(lesson, previous),
  ].join('\n');
}

function terminalsMarkdown(lesson: LessonEntry, transcripts: LessonRun[]): string {
  if (transcripts.length === 0) return '';
  const panes = transcripts.map((transcript, index) => {
    const label =
      `Terminal ${index === 0 ? 1 : 2}: the ${transcript.program.role}` +
      (transcripts.length > 2 && index > 0 ? ` (${transcript.program.file})` : '');
    const shown = terminalLines(transcript.transcript).join('\n');
    return `<div class="terminal"><p class="terminal-title">${label}</p>\n\n${fence(shown, 'console')}\n</div>\n`;
  });
  const steps = lesson.programs.map(
    (program) => `- **${program.file}** (${program.role}): ${program.summary}`,
  );
  return [
    '## A real run',
    '',
    `From the workbook folder, start the server in one terminal, then the client in another. ` +
      `This is a real run of lesson ${lesson.id}, captured when this page was built. ` +
      `The client's ports are ephemeral (the system picks one per connection), so they are shown as 50001, 50002, ...; yours will differ.`,
    '',
    ...steps,
    '',
    '<div class="terminals">',
    '',
    ...panes,
    '</div>',
    '',
  ].join('\n');
}

function lineCount(text: string): number {
  return text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
}

/** Whether another .ts file of the lesson imports `file` (lesson 03's minimal decoder is imported by none). */
function importedByAnother(lesson: LessonEntry, file: string): boolean {
  const folder = path.join(ROOT, 'lessons', lesson.folder);
  return fs
    .readdirSync(folder)
    .filter((other) => other.endsWith('.ts') && other !== file)
    .some((other) => fs.readFileSync(path.join(folder, other), 'utf8').includes(`./${file}'`));
}

function sourcesMarkdown(lesson: LessonEntry): string {
  const parts = ['## The source files', ''];
  for (const file of lessonSources(lesson)) {
    const program = lesson.programs.find((entry) => entry.file === file);
    const lines = lineCount(
      fs.readFileSync(path.join(ROOT, 'lessons', lesson.folder, file), 'utf8'),
    );
    // Folded: the page lists the files, a click shows one (a link to #file-NAME opens it).
    parts.push(
      `### ${file}`,
      '',
      program !== undefined
        ? `The ${program.role}. ${program.summary}`
        : importedByAnother(lesson, file)
          ? 'A module the programs import.'
          : 'A module the lesson text shows on its own.',
      '',
      `<details class="source-file" id="file-${file}"><summary>Show ${file} (${lines} lines)</summary>`,
      '',
      `<!-- include: ${file} -->`,
      '',
      '</details>',
      '',
    );
  }
  return parts.join('\n');
}

function diffsMarkdown(lesson: LessonEntry, previous: LessonEntry | undefined): string {
  if (previous === undefined) return '';
  // A lesson of demos (lesson 06's provoke.ts) has no server or client to compare.
  const hasPair = (entry: LessonEntry) =>
    entry.programs.some((program) => program.role === 'server' || program.role === 'client');
  if (!hasPair(lesson) || !hasPair(previous)) return '';
  const parts = [
    `## Diff against lesson ${previous.id}`,
    '',
    `Each program against its counterpart in [lesson ${previous.id}](../${previous.folder}/README.md), server against server and client against client.`,
    '',
  ];
  for (const role of ['server', 'client'] as const) {
    const now = lesson.programs.filter((program) => program.role === role);
    const before = previous.programs.filter((program) => program.role === role);
    now.forEach((program, index) => {
      const old = before[index];
      if (old === undefined) return;
      const oldPath = `lessons/${previous.folder}/${old.file}`;
      const newPath = `lessons/${lesson.folder}/${program.file}`;
      parts.push(`### ${old.file} → ${program.file}`, '');
      if (!fs.existsSync(path.join(ROOT, oldPath))) {
        parts.push(`${oldPath} does not exist yet.`, '');
        return;
      }
      const diff = unifiedDiff(
        fs.readFileSync(path.join(ROOT, oldPath), 'utf8'),
        fs.readFileSync(path.join(ROOT, newPath), 'utf8'),
        oldPath,
        newPath,
      );
      if (diff === '') {
        parts.push('No changes.', '');
        return;
      }
      const added = diff.split('\n').filter((line) => /^\+(?!\+\+ )/.test(line)).length;
      const removed = diff.split('\n').filter((line) => /^-(?!-- )/.test(line)).length;
      parts.push(
        `<details class="source-diff"><summary>Show the diff (${added} lines added, ${removed} removed)</summary>`,
        '',
        fence(diff, 'diff'),
        '</details>',
        '',
      );
    });
  }
  return parts.join('\n');
}

/** README.md, with a pointer to the first lesson before its first section. */
function homeMarkdown(first: LessonEntry | undefined): string {
  const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const at = readme.indexOf('\n## ');
  if (first === undefined || at === -1) return readme;
  const start = [
    '',
    '<div class="start-here">',
    '',
    `**Start here:** [Lesson ${first.id}: ${first.title}](lessons/${first.folder}/README.md). ` +
      'Read a lesson, run its two programs in two terminals as its page shows, then try its exercises ' +
      `and check your copy with \`npm run check -- ${first.id}\`. The lessons are listed in order in the lesson list ` +
      '(on the left, or behind the menu button at the top on a narrow screen).',
    '',
    '</div>',
    '',
  ].join('\n');
  return readme.slice(0, at) + '\n' + start + readme.slice(at);
}

function copyAssets(outDir: string): void {
  const assets = path.join(outDir, 'assets');
  fs.mkdirSync(assets, { recursive: true });
  for (const file of fs.readdirSync(ASSET_DIR))
    fs.copyFileSync(path.join(ASSET_DIR, file), path.join(assets, file));
  const require = createRequire(import.meta.url);
  const miniSearchUmd = path.join(
    path.dirname(require.resolve('minisearch')),
    '..',
    'umd',
    'index.js',
  );
  fs.copyFileSync(miniSearchUmd, path.join(assets, 'minisearch.js'));
}

/**
 * A page's HTML made fit to sit inside the one-page print view: every id and
 * every reference to one gets the page's prefix, links to the other pages in
 * the view become links inside it.
 */
function forPrintView(html: string, prefix: string, inView: Map<string, string>): string {
  const prefixed = (id: string) => `${prefix}-${id}`;
  return html
    .replace(
      /\b(id|for)="([^"]+)"/g,
      (_match, name: string, id: string) => `${name}="${prefixed(id)}"`,
    )
    .replace(
      /\b(aria-labelledby|aria-describedby|aria-controls)="([^"]+)"/g,
      (_match, name: string, ids: string) =>
        `${name}="${ids.split(/\s+/).map(prefixed).join(' ')}"`,
    )
    .replace(/url\(#([^)]+)\)/g, (_match, id: string) => `url(#${prefixed(id)})`)
    .replace(
      /href="([^"#]*)(?:#([^"]*))?"/g,
      (match, file: string, fragment: string | undefined) => {
        if (file === '') return fragment === undefined ? match : `href="#${prefixed(fragment)}"`;
        const other = inView.get(file);
        if (other === undefined) return match;
        return `href="#${fragment === undefined || fragment === '' ? other : `${other}-${fragment}`}"`;
      },
    );
}

export async function buildSite(options: BuildOptions = {}): Promise<BuildResult> {
  const started = performance.now();
  const outDir = path.resolve(options.outDir ?? DEFAULT_OUT_DIR);
  const warn = options.warn ?? ((line: string) => console.warn(line));
  const lessons = options.lessons ?? manifestLessons;

  const written = lessons.filter(isWritten);
  const skipped = lessons.filter((lesson) => !isWritten(lesson));
  for (const lesson of skipped) {
    warn(
      `Skipping lesson ${lesson.id} (${lesson.folder}): lessons/${lesson.folder}/README.md is not written yet.`,
    );
  }
  for (const lesson of written) {
    for (const program of lesson.programs) {
      if (!fs.existsSync(path.join(ROOT, 'lessons', lesson.folder, program.file))) {
        throw new BuildError(
          `lesson ${lesson.id}: lessons/manifest.ts lists ${program.file}, but lessons/${lesson.folder}/${program.file} does not exist`,
        );
      }
    }
  }

  // The slow part, the real runs, overlaps with loading the highlighter.
  const [md, transcripts] = await Promise.all([
    createMarkdown(),
    Promise.all(written.map((lesson) => captureTranscripts(lesson))),
  ]);

  fs.rmSync(outDir, { recursive: true, force: true });
  fs.mkdirSync(outDir, { recursive: true });

  // Other files the texts link to get a page of their own, rendered after the
  // lessons (and they can link to more files in turn).
  const filePages = new Map<string, string>();
  const resolveLink =
    (sourcePath: string) =>
    (target: string, fragment: string, original: string): LinkTarget => {
      const hash = fragment === '' ? '' : `#${fragment}`;
      const inLessons = target.match(/^lessons\/([^/]+)(?:\/(.+))?$/);
      const lesson =
        inLessons === null ? undefined : lessons.find((entry) => entry.folder === inLessons[1]);
      if (lesson !== undefined) {
        if (!isWritten(lesson)) return { unlinked: `Lesson ${lesson.id} is not written yet` };
        const rest = inLessons![2] ?? '';
        if (rest === '' || rest === 'README.md') return { href: lessonPageFile(lesson) + hash };
        if (lessonSources(lesson).includes(rest))
          return { href: `${codePageFile(lesson)}#file-${rest}` };
      }
      if (target === 'README.md' || target === '') return { href: `index.html${hash}` };
      const absolute = path.join(ROOT, target);
      if (!fs.existsSync(absolute) || target.startsWith('..')) {
        throw new BuildError(
          `${sourcePath}: the link "${original}" points at nothing: ${target} does not exist`,
        );
      }
      if (fs.statSync(absolute).isDirectory())
        return { unlinked: `The folder ${target}/ in the workbook` };
      if (!filePages.has(target)) filePages.set(target, filePageName(target));
      return { href: filePages.get(target)! + hash };
    };
  const resolveAsset =
    (sourcePath: string) =>
    (target: string, original: string): string => {
      const absolute = path.join(ROOT, target);
      if (!fs.existsSync(absolute) || target.startsWith('..')) {
        throw new BuildError(
          `${sourcePath}: the image "${original}" points at nothing: ${target} does not exist`,
        );
      }
      const copy = path.join(outDir, 'files', target);
      fs.mkdirSync(path.dirname(copy), { recursive: true });
      fs.copyFileSync(absolute, copy);
      return `files/${target}`;
    };
  const render = (sourcePath: string, markdown: string): { html: string; env: RenderEnv } => {
    const env = newEnv(sourcePath, resolveLink(sourcePath), resolveAsset(sourcePath));
    return { html: md.render(markdown, env as unknown as Record<string, unknown>), env };
  };

  const lessonLinks = lessons.map((lesson) =>
    isWritten(lesson)
      ? { lesson, href: lessonPageFile(lesson), codeHref: codePageFile(lesson) }
      : { lesson, href: undefined },
  );
  const sequence: NavLink[] = [
    { href: 'index.html', label: 'Start here' },
    ...written.map((lesson) => ({
      href: lessonPageFile(lesson),
      label: `${lesson.id} ${lesson.title}`,
    })),
  ];
  const result: BuildResult = { outDir, pages: [], skipped, includes: [], milliseconds: 0 };
  const searchDocuments: SearchDocument[] = [];
  const editUrlBase = 'editUrlBase' in options ? options.editUrlBase : EDIT_URL_BASE;
  /** Each page's rendered text, for the print view. */
  const printable = new Map<string, { title: string; html: string }>();

  const writePage = (
    file: string,
    title: string,
    description: string,
    html: string,
    env: RenderEnv,
    searchable: boolean,
    extra: {
      previous?: NavLink;
      next?: NavLink;
      currentNav?: string;
      beforePager?: string;
      edit?: string;
    } = {},
  ) => {
    const position = sequence.findIndex((entry) => entry.href === file);
    const page = renderPage({
      title,
      description,
      body: html,
      outline: env.outline,
      file,
      lessons: lessonLinks,
      previous: extra.previous ?? (position > 0 ? sequence[position - 1] : undefined),
      next: extra.next ?? (position !== -1 ? sequence[position + 1] : undefined),
      ...(extra.currentNav === undefined ? {} : { currentNav: extra.currentNav }),
      ...(extra.beforePager === undefined ? {} : { beforePager: extra.beforePager }),
      ...(editUrlBase === undefined || extra.edit === undefined
        ? {}
        : { editUrl: editUrlBase + extra.edit }),
    });
    fs.writeFileSync(path.join(outDir, file), page);
    result.pages.push(file);
    result.includes.push(...env.includes.map((source) => ({ page: file, source })));
    // Code and terminal blocks are searchable on every page, each its own result.
    for (const block of env.blocks) {
      searchDocuments.push({
        id: `${file}#${block.id}`,
        title,
        heading: block.heading,
        url: `${file}#${block.id}`,
        text: block.text,
        block: block.label,
      });
    }
    if (!searchable) return;
    for (const section of env.sections) {
      const text = section.text.replace(/\s+/g, ' ').trim();
      if (text === '' && section.heading === '') continue;
      searchDocuments.push({
        id: `${file}#${section.id}`,
        title,
        heading: section.heading,
        url: section.id === '' ? file : `${file}#${section.id}`,
        text,
      });
    }
  };

  const home = render('README.md', homeMarkdown(written[0]));
  writePage(
    'index.html',
    SITE_TITLE,
    'Learn TCP socket programming on Node.js, one runnable lesson at a time.',
    home.html,
    home.env,
    true,
    { edit: 'README.md' },
  );
  printable.set('index.html', { title: SITE_TITLE, html: home.html });

  written.forEach((lesson, index) => {
    const sourcePath = `lessons/${lesson.folder}/README.md`;
    const previous = lessons[lessons.indexOf(lesson) - 1];
    const title = `Lesson ${lesson.id}: ${lesson.title}`;
    const codeTitle = `Lesson ${lesson.id}, the code`;
    const { html, env } = render(sourcePath, fs.readFileSync(path.join(ROOT, sourcePath), 'utf8'));
    const codeParts = ['every source file in full', 'a real run'];
    if (previous !== undefined && isWritten(previous))
      codeParts.push(`the diff against lesson ${previous.id}`);
    writePage(lessonPageFile(lesson), title, lesson.summary, html, env, true, {
      edit: sourcePath,
      beforePager: `The code of this lesson (${codeParts.join(', ')}) is on its own page: <a href="${codePageFile(lesson)}">${codeTitle}</a>.`,
    });
    printable.set(lessonPageFile(lesson), { title, html });

    const code = render(sourcePath, codeMarkdown(lesson, previous, transcripts[index] ?? []));
    const position = sequence.findIndex((entry) => entry.href === lessonPageFile(lesson));
    writePage(
      codePageFile(lesson),
      codeTitle,
      `The source files of lesson ${lesson.id}, a real run of its programs and the diff against the lesson before.`,
      code.html,
      code.env,
      false,
      {
        previous: { href: lessonPageFile(lesson), label: title },
        ...(sequence[position + 1] === undefined ? {} : { next: sequence[position + 1] }),
        currentNav: lessonPageFile(lesson),
      },
    );
  });

  for (const [target, file] of filePages) {
    const markdown = target.endsWith('.md')
      ? fs.readFileSync(path.join(ROOT, target), 'utf8')
      : `# ${target}\n\n<!-- include: ${path.basename(target)} -->\n`;
    const { html, env } = render(target, markdown);
    writePage(
      file,
      target,
      `The file ${target} of the workbook.`,
      html,
      env,
      target.endsWith('.md'),
    );
  }

  // The whole workbook on one page: the home page and every lesson's text.
  const inView = new Map(
    [...printable.keys()].map((file) => [file, `page-${file.replace(/\.html$/, '')}`]),
  );
  const printBody = [...printable]
    .map(([file, { html }]) => {
      const id = inView.get(file) ?? file;
      return `<section class="print-part" id="${id}">\n${forPrintView(html, id, inView)}</section>`;
    })
    .join('\n');
  fs.writeFileSync(
    path.join(outDir, PRINT_PAGE),
    renderPage({
      title: 'The whole workbook',
      description: 'Every lesson of the Sockets Workbook on one page, for printing.',
      body:
        '<p class="print-intro">Every lesson\'s text on one page, to print or to save as a PDF ' +
        "(each lesson's code is on the lesson's code page).</p>\n" +
        printBody,
      outline: [...printable].map(([file, { title }]) => ({
        level: 2,
        id: inView.get(file) ?? file,
        text: title,
      })),
      file: PRINT_PAGE,
      lessons: lessonLinks,
    }),
  );
  result.pages.push(PRINT_PAGE);

  const search = new MiniSearch(SEARCH_OPTIONS);
  search.addAll(searchDocuments);
  copyAssets(outDir);
  fs.writeFileSync(
    path.join(outDir, 'assets', 'search-index.js'),
    `// The search index, built with the site; a script so that it loads from file:// too.\n` +
      `window.WORKBOOK_SEARCH = ${JSON.stringify({ options: SEARCH_OPTIONS, index: JSON.stringify(search) })};\n`,
  );
  result.milliseconds = Math.round(performance.now() - started);
  return result;
}

// The HTML around every page: top bar with search and the theme toggle, the
// sidebar built from the lesson list, the page itself, previous/next links and
// the on-page outline (a side column on wide screens, a folded list above the
// text on narrower ones). Every URL is relative, so the pages work from file:// too.

import type { LessonEntry } from '../lessons/manifest.ts';
import { escapeHtml } from './highlight.ts';
import type { OutlineEntry } from './markdown.ts';

export const SITE_TITLE = 'Sockets Workbook';
export const PRINT_PAGE = 'print.html';

export interface NavLink {
  href: string;
  label: string;
}

export interface PageShell {
  title: string;
  /** The page's own HTML (rendered markdown). */
  body: string;
  outline: OutlineEntry[];
  /** The page file, to mark the current sidebar entry. */
  file: string;
  /** The sidebar entry to mark as current, when it is not `file` (a lesson's code page). */
  currentNav?: string;
  lessons: Array<{ lesson: LessonEntry; href: string | undefined; codeHref?: string }>;
  previous?: NavLink;
  next?: NavLink;
  /** A line just above previous/next, e.g. the link to the lesson's code page. */
  beforePager?: string;
  /** "Edit this page" target; no link when undefined. */
  editUrl?: string;
  description: string;
}

// Runs before the first paint, so a dark page never flashes white: a stored
// choice wins, otherwise the system's preference. Wrapped terminal lines, too.
const THEME_BOOT = `(function () {
  var theme = null, wrap = null;
  try { theme = localStorage.getItem('workbook-theme'); wrap = localStorage.getItem('workbook-wrap'); } catch (error) {}
  if (theme !== 'light' && theme !== 'dark') theme = matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
  document.documentElement.dataset.theme = theme;
  if (wrap === 'on') document.documentElement.dataset.wrap = 'on';
})();`;

const ICON_MENU =
  '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M3 6h18M3 12h18M3 18h18" /></svg>';
const ICON_THEME =
  '<svg viewBox="0 0 24 24" aria-hidden="true"><circle cx="12" cy="12" r="4.5" /><path d="M12 2v2.5M12 19.5V22M2 12h2.5M19.5 12H22M4.9 4.9l1.8 1.8M17.3 17.3l1.8 1.8M4.9 19.1l1.8-1.8M17.3 6.7l1.8-1.8" class="sun-rays" /></svg>';

function sidebar(shell: PageShell): string {
  const current = shell.currentNav ?? shell.file;
  const item = (
    href: string | undefined,
    label: string,
    number: string,
    title: string,
    extra = '',
  ) => {
    if (href === undefined) {
      return `<li><span class="nav-link unwritten" title="${escapeHtml(title)}">${number}${escapeHtml(label)}</span></li>`;
    }
    const mark = href === current && shell.file === current ? ' aria-current="page"' : '';
    const within = href === current && shell.file !== current ? ' nav-link-within' : '';
    return `<li><a class="nav-link${within}" href="${href}"${mark} title="${escapeHtml(title)}">${number}${escapeHtml(label)}</a>${extra}</li>`;
  };
  const lessons = shell.lessons
    .map(({ lesson, href, codeHref }) => {
      const showCode = codeHref !== undefined && href === current;
      const code = showCode
        ? `<ul class="nav-sub"><li><a class="nav-link" href="${codeHref}"${codeHref === shell.file ? ' aria-current="page"' : ''}>The code</a></li></ul>`
        : '';
      return item(
        href,
        lesson.title,
        `<span class="nav-number">${lesson.id}</span>`,
        href === undefined ? 'Not written yet' : lesson.summary,
        code,
      );
    })
    .join('\n');
  const print = shell.file === PRINT_PAGE ? ' aria-current="page"' : '';
  return `<nav class="sidebar" id="sidebar" aria-label="Lessons">
<ul class="nav-list">
${item('index.html', 'Start here', '<span class="nav-number"></span>', 'What the workbook is and how to start')}
</ul>
<p class="nav-heading">Lessons</p>
<ol class="nav-list">
${lessons}
</ol>
<p class="nav-extra"><a href="${PRINT_PAGE}"${print}>The whole workbook on one page, for printing</a></p>
</nav>`;
}

function outlineList(entries: OutlineEntry[]): string {
  return entries
    .map(
      (entry) =>
        `<li class="outline-h${entry.level}"><a href="#${entry.id}">${escapeHtml(entry.text)}</a></li>`,
    )
    .join('\n');
}

function outline(entries: OutlineEntry[]): string {
  if (entries.length === 0) return '<div class="outline" hidden></div>';
  return `<aside class="outline" aria-labelledby="outline-title">
<p class="outline-title" id="outline-title">On this page</p>
<ul>
${outlineList(entries)}
</ul>
</aside>`;
}

/** The outline above the text, folded, for screens too narrow for the side column. */
function inlineOutline(entries: OutlineEntry[]): string {
  if (entries.length === 0) return '';
  return `<details class="outline-inline">
<summary>On this page</summary>
<ul>
${outlineList(entries)}
</ul>
</details>`;
}

function pager(shell: PageShell): string {
  if (shell.previous === undefined && shell.next === undefined) return '';
  const link = (rel: 'prev' | 'next', target: NavLink | undefined, label: string) =>
    target === undefined
      ? '<span></span>'
      : `<a class="pager-${rel}" rel="${rel}" href="${target.href}"><span class="pager-label">${label}</span><span class="pager-title">${escapeHtml(target.label)}</span></a>`;
  return `<nav class="pager" aria-label="Previous and next">${link('prev', shell.previous, 'Previous')}${link('next', shell.next, 'Next')}</nav>`;
}

export function renderPage(shell: PageShell): string {
  const title = shell.title === SITE_TITLE ? SITE_TITLE : `${shell.title} · ${SITE_TITLE}`;
  const edit =
    shell.editUrl === undefined
      ? ''
      : `<p class="edit-link"><a href="${escapeHtml(shell.editUrl)}">Edit this page</a></p>\n`;
  const beforePager =
    shell.beforePager === undefined ? '' : `<p class="before-pager">${shell.beforePager}</p>\n`;
  return `<!doctype html>
<html lang="en" data-theme="light">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="description" content="${escapeHtml(shell.description)}">
<title>${escapeHtml(title)}</title>
<script>${THEME_BOOT}</script>
<link rel="icon" href="assets/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="assets/site.css">
</head>
<body>
<a class="skip-link" href="#content">Skip to the text</a>
<header class="topbar">
<button class="icon-button menu-button" id="menu-button" type="button" aria-controls="sidebar" aria-expanded="false" aria-label="Show the lesson list">${ICON_MENU}</button>
<a class="brand" href="index.html">${SITE_TITLE}</a>
<div class="search" role="search">
<input id="search-input" class="search-input" type="search" role="combobox" aria-autocomplete="list" aria-expanded="false" aria-controls="search-results" placeholder="Search the lessons" aria-label="Search the lessons" autocomplete="off" spellcheck="false">
<kbd class="search-key" aria-hidden="true">/</kbd>
<div id="search-panel" class="search-panel" hidden>
<div id="search-results" class="search-results" role="listbox" aria-label="Search results"></div>
<p id="search-empty" class="search-empty" hidden></p>
</div>
<p id="search-status" class="visually-hidden" role="status"></p>
</div>
<button class="icon-button theme-toggle" id="theme-toggle" type="button" aria-label="Switch to the dark theme" title="Switch between light and dark">${ICON_THEME}</button>
</header>
<div class="layout">
${sidebar(shell)}
<div class="backdrop" id="backdrop" hidden></div>
<main class="content" id="content">
${inlineOutline(shell.outline)}
<article class="markdown-body">
${shell.body}
</article>
${edit}${beforePager}${pager(shell)}
</main>
${outline(shell.outline)}
</div>
<script src="assets/site.js"></script>
</body>
</html>
`;
}

// The HTML around every page: top bar with search and the theme toggle, the
// sidebar built from the lesson list, the page itself, previous/next links and
// the on-page outline. Every URL is relative, so the pages work from file:// too.

import type { LessonEntry } from '../lessons/manifest.ts';
import { escapeHtml } from './highlight.ts';
import type { OutlineEntry } from './markdown.ts';

export const SITE_TITLE = 'Sockets Workbook';

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
  lessons: Array<{ lesson: LessonEntry; href: string | undefined }>;
  previous?: NavLink;
  next?: NavLink;
  description: string;
}

// Runs before the first paint, so a dark page never flashes white: a stored
// choice wins, otherwise the system's preference.
const THEME_BOOT = `(function () {
  var theme = null;
  try { theme = localStorage.getItem('workbook-theme'); } catch (error) {}
  if (theme !== 'light' && theme !== 'dark') theme = matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
  document.documentElement.dataset.theme = theme;
})();`;

const ICON_MENU =
  '<svg viewBox="0 0 24 24" aria-hidden="true"><path d="M3 6h18M3 12h18M3 18h18" /></svg>';
const ICON_THEME =
  '<svg viewBox="0 0 24 24" aria-hidden="true"><circle cx="12" cy="12" r="4.5" /><path d="M12 2v2.5M12 19.5V22M2 12h2.5M19.5 12H22M4.9 4.9l1.8 1.8M17.3 17.3l1.8 1.8M4.9 19.1l1.8-1.8M17.3 6.7l1.8-1.8" class="sun-rays" /></svg>';

function sidebar(shell: PageShell): string {
  const item = (href: string | undefined, label: string, number: string, title: string) => {
    if (href === undefined) {
      return `<li><span class="nav-link unwritten" title="${escapeHtml(title)}">${number}${escapeHtml(label)}</span></li>`;
    }
    const current = href === shell.file ? ' aria-current="page"' : '';
    return `<li><a class="nav-link" href="${href}"${current} title="${escapeHtml(title)}">${number}${escapeHtml(label)}</a></li>`;
  };
  const lessons = shell.lessons
    .map(({ lesson, href }) =>
      item(
        href,
        lesson.title,
        `<span class="nav-number">${lesson.id}</span>`,
        href === undefined ? 'Not written yet' : lesson.summary,
      ),
    )
    .join('\n');
  return `<nav class="sidebar" id="sidebar" aria-label="Lessons">
<ul class="nav-list">
${item('index.html', 'Start here', '<span class="nav-number"></span>', 'What the workbook is and how to start')}
</ul>
<p class="nav-heading">Lessons</p>
<ol class="nav-list">
${lessons}
</ol>
</nav>`;
}

function outline(entries: OutlineEntry[]): string {
  if (entries.length === 0) return '<aside class="outline" aria-label="On this page"></aside>';
  const items = entries
    .map(
      (entry) =>
        `<li class="outline-h${entry.level}"><a href="#${entry.id}">${escapeHtml(entry.text)}</a></li>`,
    )
    .join('\n');
  return `<aside class="outline" aria-label="On this page">
<p class="outline-title">On this page</p>
<ul>
${items}
</ul>
</aside>`;
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
<input id="search-input" class="search-input" type="search" placeholder="Search the lessons" aria-label="Search the lessons" autocomplete="off" spellcheck="false">
<kbd class="search-key" aria-hidden="true">/</kbd>
<div id="search-results" class="search-results" role="listbox" hidden></div>
</div>
<button class="icon-button theme-toggle" id="theme-toggle" type="button" aria-label="Switch to the dark theme" title="Switch between light and dark">${ICON_THEME}</button>
</header>
<div class="layout">
${sidebar(shell)}
<main class="content" id="content">
<article class="markdown-body">
${shell.body}
</article>
${pager(shell)}
</main>
${outline(shell.outline)}
</div>
<script src="assets/minisearch.js"></script>
<script src="assets/search-index.js"></script>
<script src="assets/site.js"></script>
</body>
</html>
`;
}

// Syntax highlighting at build time: shiki, plugged into markdown-it through
// @shikijs/markdown-it, so fenced blocks, included files, transcripts and diffs
// all go through the same highlighter. Both themes are emitted at once as CSS
// variables (--shiki-light, --shiki-dark); the stylesheet picks one.

import type { MarkdownIt } from 'markdown-it';
import { fromHighlighter } from '@shikijs/markdown-it';
import { createHighlighter, type BundledLanguage, type Highlighter } from 'shiki';

export const THEMES = { light: 'github-light', dark: 'github-dark' } as const;

/** The languages the lessons use; anything else is shown as plain text. */
const LANGUAGES = [
  'typescript',
  'javascript',
  'json',
  'shellscript',
  'shellsession',
  'diff',
  'python',
  'c',
  'html',
  'css',
];

let highlighter: Promise<Highlighter> | undefined;

function getHighlighter(): Promise<Highlighter> {
  highlighter ??= createHighlighter({ themes: Object.values(THEMES), langs: LANGUAGES });
  return highlighter;
}

/** Installs shiki as `md.options.highlight`. */
export async function useShiki(md: MarkdownIt): Promise<void> {
  md.use(
    fromHighlighter(await getHighlighter(), {
      themes: THEMES,
      defaultColor: false,
      // Plain text; shiki knows 'text', its types do not list it.
      fallbackLanguage: 'text' as BundledLanguage,
      // Keep the final newline: it renders as nothing, and it keeps the text of
      // every block byte-identical to its source, which the build test checks.
      trimEndingNewline: false,
      transformers: [
        {
          // Classes for the stylesheet: command lines in terminal blocks,
          // added and removed lines in diffs.
          name: 'workbook:line-classes',
          line(node) {
            const text = node.children
              .flatMap((span) => (span.type === 'element' ? span.children : [span]))
              .map((child) => (child.type === 'text' ? child.value : ''))
              .join('');
            const lang = this.options.lang;
            if ((lang === 'console' || lang === 'shellsession') && text.startsWith('$ '))
              this.addClassToHast(node, 'prompt');
            if (lang === 'diff' && text.startsWith('+') && !text.startsWith('+++ '))
              this.addClassToHast(node, 'diff-add');
            if (lang === 'diff' && text.startsWith('-') && !text.startsWith('--- '))
              this.addClassToHast(node, 'diff-remove');
          },
        },
      ],
    }),
  );
}

/** The language to highlight a file in, from its extension. */
export function languageOf(file: string): string {
  const extension = file.slice(file.lastIndexOf('.') + 1).toLowerCase();
  const byExtension: Record<string, string> = {
    ts: 'typescript',
    mts: 'typescript',
    js: 'javascript',
    mjs: 'javascript',
    json: 'json',
    sh: 'shellscript',
    py: 'python',
    c: 'c',
    html: 'html',
    css: 'css',
  };
  return byExtension[extension] ?? 'text';
}

export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

/**
 * A highlighted code block with its copy button. The text of its <code> element
 * is exactly `code`, final newline included.
 */
export function codeBlock(
  md: MarkdownIt,
  code: string,
  lang: string,
  attributes: Record<string, string> = {},
): string {
  const pre = md.options.highlight!(code, lang, '');
  const attrs = Object.entries({ class: 'code-block', 'data-lang': lang || 'text', ...attributes })
    .map(([name, value]) => ` ${name}="${escapeHtml(value)}"`)
    .join('');
  return `<div${attrs}><button class="copy-button" type="button" aria-label="Copy this code">Copy</button>${pre}</div>\n`;
}

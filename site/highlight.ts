// Syntax highlighting at build time: shiki, plugged into markdown-it through
// @shikijs/markdown-it, so fenced blocks, included files, transcripts and diffs
// all go through the same highlighter. Both themes are emitted at once as CSS
// variables (--shiki-light, --shiki-dark); the stylesheet picks one.

import type { MarkdownIt } from 'markdown-it';
import { fromHighlighter } from '@shikijs/markdown-it';
import { createHighlighter, type BundledLanguage, type Highlighter } from 'shiki';

// The "default" GitHub themes: their token colours keep a contrast of 4.5:1 or
// more on the code background (the older github-light/github-dark do not).
export const THEMES = { light: 'github-light-default', dark: 'github-dark-default' } as const;

const TERMINAL_LANGUAGES = new Set(['console', 'shellsession']);

/**
 * The backgrounds code text sits on in each theme (site.css: --bg-code,
 * --diff-add, --diff-remove), and the contrast every token colour must keep on
 * all of them: WCAG AA's 4.5:1 for normal text, with a little to spare.
 */
export const CODE_BACKGROUNDS = {
  light: ['#f6f8fa', '#dafbe1', '#ffebe9'],
  dark: ['#161b22', '#12261e', '#25171c'],
} as const;
const MIN_CONTRAST = 4.6;

function channels(hex: string): [number, number, number] {
  const value = parseInt(hex.slice(1), 16);
  return [(value >> 16) & 255, (value >> 8) & 255, value & 255];
}

function luminance(rgb: readonly number[]): number {
  const [r = 0, g = 0, b = 0] = rgb.map((channel) => {
    const c = channel / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

/** The WCAG contrast ratio of two colours written #rrggbb. */
export function contrastRatio(a: string, b: string): number {
  return contrast(channels(a), channels(b));
}

function contrast(a: readonly number[], b: readonly number[]): number {
  const [high, low] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (high + 0.05) / (low + 0.05);
}

const adjusted = new Map<string, string>();

/**
 * A token colour that keeps MIN_CONTRAST on every background of its theme: the
 * theme's own colour when it does, else that colour moved step by step towards
 * black (light theme) or white (dark theme) until it does.
 */
export function readableColor(hex: string, theme: 'light' | 'dark'): string {
  const key = `${theme}${hex}`;
  const known = adjusted.get(key);
  if (known !== undefined) return known;
  const backgrounds = CODE_BACKGROUNDS[theme].map(channels);
  const target = theme === 'light' ? 0 : 255;
  let rgb = channels(hex);
  for (let step = 0; step < 40; step++) {
    if (backgrounds.every((background) => contrast(rgb, background) >= MIN_CONTRAST)) break;
    rgb = rgb.map((channel) => Math.round(channel + (target - channel) * 0.08)) as [
      number,
      number,
      number,
    ];
  }
  const result = `#${rgb.map((channel) => channel.toString(16).padStart(2, '0')).join('')}`;
  const value = result.toLowerCase() === hex.toLowerCase() ? hex : result;
  adjusted.set(key, value);
  return value;
}

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
          // Tokens in the block's own text colour need no span of their own: fewer
          // elements make lighter pages (a lesson's code page has thousands of tokens).
          pre(node) {
            const style = String(node.properties.style ?? '').toLowerCase();
            const light = style.match(/--shiki-light:(#[0-9a-f]{6})/)?.[1];
            const dark = style.match(/--shiki-dark:(#[0-9a-f]{6})/)?.[1];
            if (light === undefined || dark === undefined) return;
            const plain = `--shiki-light:${light};--shiki-dark:${dark}`;
            for (const code of node.children) {
              if (code.type !== 'element') continue;
              for (const line of code.children) {
                if (line.type !== 'element') continue;
                line.children = line.children.flatMap((token) =>
                  token.type === 'element' &&
                  String(token.properties.style ?? '').toLowerCase() === plain
                    ? token.children
                    : [token],
                );
              }
            }
          },
          // The checker's ✓ and ✗ in terminal output, coloured as the terminal shows them.
          postprocess(rawHtml) {
            // Every token colour readable on the code backgrounds of its theme.
            const html = rawHtml.replace(
              /--shiki-(light|dark):(#[0-9a-fA-F]{6})\b/g,
              (_match, theme: 'light' | 'dark', hex: string) =>
                `--shiki-${theme}:${readableColor(hex, theme)}`,
            );
            if (!TERMINAL_LANGUAGES.has(this.options.lang)) return html;
            return html
              .replace(/✓/g, '<span class="check-pass">✓</span>')
              .replace(/✗/g, '<span class="check-fail">✗</span>');
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
 * A highlighted code block with its copy button (and, for terminal output, a
 * button that wraps long lines). The text of its <code> element is exactly
 * `code`, final newline included.
 */
export function codeBlock(
  md: MarkdownIt,
  code: string,
  lang: string,
  attributes: Record<string, string> = {},
): string {
  const highlight = md.options.highlight;
  const pre =
    highlight === null ? `<pre><code>${escapeHtml(code)}</code></pre>` : highlight(code, lang, '');
  const attrs = Object.entries({ class: 'code-block', 'data-lang': lang || 'text', ...attributes })
    .map(([name, value]) => ` ${name}="${escapeHtml(value)}"`)
    .join('');
  const wrap = TERMINAL_LANGUAGES.has(lang)
    ? '<button class="wrap-button" type="button" aria-pressed="false" title="Wrap long lines in terminal output">Wrap</button>'
    : '';
  return `<div${attrs}>${wrap}<button class="copy-button" type="button" aria-label="Copy this code">Copy</button>${pre}</div>\n`;
}

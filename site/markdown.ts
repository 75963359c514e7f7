// The markdown-it renderer for lesson texts: shiki highlighting, GitHub alerts,
// the site directives (`<!-- include: FILE[#REGION] -->`, `<!-- diagram: NAME -->`),
// heading anchors with github-slugger, the on-page outline, search sections,
// and links rewritten from repository paths to site pages.

import fs from 'node:fs';
import path from 'node:path';
import markdownIt, { type MarkdownIt, type StateBlock, type Token } from 'markdown-it';
import GithubSlugger from 'github-slugger';
import { githubAlerts } from './alerts.ts';
import { codeBlock, escapeHtml, languageOf, useShiki } from './highlight.ts';
import { escapeRegExp, ROOT } from '../test/paths.ts';

/** A build error a lesson author can act on: it names the file, the line and the fix. */
export class BuildError extends Error {
  override name = 'BuildError';
}

export interface OutlineEntry {
  level: number;
  id: string;
  text: string;
}

export interface SearchSection {
  /** Anchor of the section's heading ('' for text before the first heading). */
  id: string;
  heading: string;
  text: string;
}

/** A code or terminal block of a page, for the search: which block, in which section. */
export interface CodeBlockRecord {
  /** The block's id on the page (`code-1`, `code-2`, ...). */
  id: string;
  /** The anchor and heading of the section it is in. */
  sectionId: string;
  heading: string;
  /** What the block is, as a reader would name it: a file name, "terminal", "code". */
  label: string;
  text: string;
}

/** Where a block token sits: set on fence and include tokens by the headings rule. */
type BlockPlace = {
  sectionId: string;
  heading: string;
};

/** What a link in the text points at once resolved: a site URL, or no page (shown unlinked). */
export type LinkTarget = { href: string } | { unlinked: string };

export interface RenderEnv {
  /** Repository path of the markdown file, for messages and relative links. */
  sourcePath: string;
  /** Absolute folder that includes and links are relative to. */
  baseDir: string;
  /** Turns a relative link (already resolved to a repository path) into a site link. */
  resolveLink: (repoPath: string, fragment: string, original: string) => LinkTarget;
  /** Turns a relative image source into a site URL. */
  resolveAsset: (repoPath: string, original: string) => string;
  /** Filled while rendering. */
  outline: OutlineEntry[];
  sections: SearchSection[];
  blocks: CodeBlockRecord[];
  /** Repository paths of every file included, with the region if any. */
  includes: string[];
  slugger?: GithubSlugger;
}

export { ROOT };
const DIAGRAM_DIR = path.join(import.meta.dirname, 'diagrams');
const DIRECTIVE = /^<!--\s*(include|diagram):\s*(.*?)\s*-->\s*$/;

export function repoPath(absolute: string): string {
  return path.relative(ROOT, absolute).split(path.sep).join('/');
}

/** The text between `// #region NAME` and `// #endregion NAME`, both lines excluded. */
export function extractRegion(source: string, region: string): string | undefined {
  const lines = source.split('\n');
  const marker = (word: string) =>
    new RegExp(`^\\s*//\\s*#${word}\\s+${escapeRegExp(region)}\\s*$`);
  const start = lines.findIndex((line) => marker('region').test(line));
  if (start === -1) return undefined;
  const end = lines.findIndex((line, index) => index > start && marker('endregion').test(line));
  if (end === -1) return undefined;
  return lines.slice(start + 1, end).join('\n') + '\n';
}

export function readDiagram(name: string): string | undefined {
  if (!/^[a-z0-9-]+$/.test(name)) return undefined;
  const file = path.join(DIAGRAM_DIR, `${name}.svg`);
  return fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
}

/** A fence long enough for any content: one more backtick than the longest run inside. */
export function fence(code: string, lang: string): string {
  const longest = Math.max(0, ...[...code.matchAll(/`+/g)].map((match) => match[0].length));
  const ticks = '`'.repeat(Math.max(3, longest + 1));
  return `${ticks}${lang}\n${code.endsWith('\n') ? code : code + '\n'}${ticks}\n`;
}

function directiveRule(
  state: StateBlock,
  startLine: number,
  _endLine: number,
  silent: boolean,
): boolean {
  const start = state.bMarks[startLine]! + state.tShift[startLine]!;
  if (state.sCount[startLine]! - state.blkIndent >= 4) return false;
  const line = state.src.slice(start, state.eMarks[startLine]);
  const match = line.match(DIRECTIVE);
  if (match === null) return false;
  if (silent) return true;
  const token = state.push('workbook_directive', '', 0);
  token.info = match[1]!;
  token.content = match[2]!;
  token.map = [startLine, startLine + 1];
  state.line = startLine + 1;
  return true;
}

function inlineText(token: Token): string {
  return (token.children ?? [])
    .map((child) => {
      if (child.type === 'text' || child.type === 'code_inline') return child.content;
      return child.type === 'softbreak' || child.type === 'hardbreak' ? ' ' : '';
    })
    .join('');
}

function splitHref(href: string): { target: string; fragment: string } {
  const hash = href.indexOf('#');
  return hash === -1
    ? { target: href, fragment: '' }
    : { target: href.slice(0, hash), fragment: href.slice(hash + 1) };
}

const EXTERNAL = /^(?:[a-z][a-z0-9+.-]*:|\/\/)/i;

export async function createMarkdown(): Promise<MarkdownIt> {
  // html: lesson texts are ours, and the directives are HTML comments.
  const md = markdownIt({ html: true, linkify: false, typographer: false });
  await useShiki(md);
  md.use(githubAlerts);
  md.block.ruler.before('html_block', 'workbook_directive', directiveRule, {
    alt: ['paragraph', 'reference', 'blockquote'],
  });

  const where = (env: RenderEnv, token: Token) => `${env.sourcePath}:${(token.map?.[0] ?? 0) + 1}`;

  md.renderer.rules.workbook_directive = (tokens, index, _options, rawEnv) => {
    const env = rawEnv as unknown as RenderEnv;
    const token = tokens[index]!;
    if (token.info === 'diagram') {
      const svg = readDiagram(token.content);
      if (svg === undefined) {
        throw new BuildError(
          `${where(env, token)}: diagram "${token.content}" does not exist; add site/diagrams/${token.content}.svg or fix the name`,
        );
      }
      // Focusable, so a keyboard can scroll it sideways where it is wider than the screen.
      return `<figure class="diagram diagram-${token.content}" tabindex="0">${svg.trim()}</figure>\n`;
    }
    const [file = '', region] = token.content.split('#');
    const absolute = path.resolve(env.baseDir, file);
    if (file === '' || !fs.existsSync(absolute) || !fs.statSync(absolute).isFile()) {
      throw new BuildError(
        `${where(env, token)}: include "${token.content}" points at nothing: ${repoPath(absolute)} does not exist`,
      );
    }
    const source = fs.readFileSync(absolute, 'utf8');
    const code = region === undefined ? source : extractRegion(source, region);
    if (code === undefined) {
      throw new BuildError(
        `${where(env, token)}: include "${token.content}": ${repoPath(absolute)} has no region "${region}" ` +
          `(mark it with "// #region ${region}" and "// #endregion ${region}")`,
      );
    }
    const included = repoPath(absolute);
    env.includes.push(region === undefined ? included : `${included}#${region}`);
    const id = recordBlock(
      env,
      token,
      `${path.basename(file)}${region === undefined ? '' : ` (${region})`}`,
      code,
    );
    const attributes: Record<string, string> = { id, 'data-include': included };
    if (region !== undefined) attributes['data-region'] = region;
    const title = `<div class="code-title">${escapeHtml(path.basename(file))}${region === undefined ? '' : ` <span class="region">(${escapeHtml(region)})</span>`}</div>`;
    return `<div class="included">${title}${codeBlock(md, code, languageOf(file), attributes)}</div>\n`;
  };

  // Every fence gets the copy button; the text version of a diagram folds away
  // under the picture, where a reader on the site can still open it.
  md.renderer.rules.fence = (tokens, index, _options, rawEnv) => {
    const env = rawEnv as unknown as RenderEnv;
    const token = tokens[index];
    if (token === undefined) return '';
    const lang = token.info.trim().split(/\s+/)[0] ?? '';
    const previous = tokens[index - 1];
    const diagramText =
      previous?.type === 'workbook_directive' &&
      previous.info === 'diagram' &&
      (lang === 'text' || lang === '');
    const label = diagramText
      ? 'the diagram as text'
      : lang === 'console' || lang === 'shellsession'
        ? 'terminal'
        : lang === 'diff'
          ? 'diff'
          : 'code';
    const id = recordBlock(env, token, label, token.content);
    const block = codeBlock(md, token.content, lang === '' ? 'text' : lang, { id });
    if (diagramText) {
      return `<details class="diagram-text"><summary>The same diagram as text</summary>${block}</details>\n`;
    }
    return block;
  };

  // Tables scroll sideways on a narrow screen: focusable, so a keyboard can scroll them too.
  md.renderer.rules.table_open = () => '<table tabindex="0">\n';

  // Heading ids with github-slugger (the same slugs GitHub gives), a visible
  // anchor link, the outline (h2, h3) and the search sections.
  md.core.ruler.push('workbook_headings', (state) => {
    const env = state.env as unknown as RenderEnv;
    const slugger = (env.slugger ??= new GithubSlugger());
    let section: SearchSection = { id: '', heading: '', text: '' };
    env.sections.push(section);
    state.tokens.forEach((token, index) => {
      if (token.type === 'fence' || token.type === 'workbook_directive') {
        const place: BlockPlace = { sectionId: section.id, heading: section.heading };
        token.meta = place;
      } else if (token.type === 'heading_open') {
        const text = inlineText(state.tokens[index + 1]!);
        const id = slugger.slug(text);
        token.attrSet('id', id);
        const level = Number(token.tag.slice(1));
        if (level === 2 || level === 3) env.outline.push({ level, id, text });
        if (level <= 3) {
          section = { id, heading: text, text: '' };
          env.sections.push(section);
        }
      } else if (token.type === 'inline' && state.tokens[index - 1]?.type !== 'heading_open') {
        section.text += inlineText(token) + ' ';
      }
    });
  });
  md.renderer.rules.heading_close = (tokens, index) => {
    const open = tokens[index - 2]!;
    const id = open.attrGet('id');
    return `${id === null ? '' : `<a class="heading-anchor" href="#${id}" aria-label="Link to this section">#</a>`}</${tokens[index]!.tag}>\n`;
  };

  // Links and images: repository paths become site pages; a link that points at
  // nothing fails the build, since it is broken on GitHub too.
  md.core.ruler.push('workbook_links', (state) => {
    const env = state.env as unknown as RenderEnv;
    for (const block of state.tokens) {
      for (const token of block.children ?? []) {
        if (token.type === 'link_open') {
          const href = String(token.attrGet('href') ?? '');
          if (href === '' || href.startsWith('#') || EXTERNAL.test(href)) continue;
          const { target, fragment } = splitHref(href);
          const resolved = repoPath(path.resolve(env.baseDir, decodeURI(target)));
          const result = env.resolveLink(resolved, fragment, href);
          if ('href' in result) {
            token.attrSet('href', result.href);
          } else {
            token.type = 'unlinked_open';
            token.tag = 'span';
            token.attrs = [
              ['class', 'unlinked'],
              ['title', result.unlinked],
            ];
            const close = block
              .children!.slice(block.children!.indexOf(token))
              .find((child) => child.type === 'link_close');
            if (close !== undefined) {
              close.type = 'unlinked_close';
              close.tag = 'span';
            }
          }
        } else if (token.type === 'image') {
          const src = String(token.attrGet('src') ?? '');
          if (src === '' || EXTERNAL.test(src)) continue;
          token.attrSet(
            'src',
            env.resolveAsset(repoPath(path.resolve(env.baseDir, decodeURI(src))), src),
          );
        }
      }
    }
  });

  return md;
}

/** Gives a block its page id and records it for the search; returns the id. */
function recordBlock(env: RenderEnv, token: Token, label: string, text: string): string {
  const id = `code-${env.blocks.length + 1}`;
  const place = token.meta as BlockPlace | null;
  env.blocks.push({
    id,
    sectionId: place?.sectionId ?? '',
    heading: place?.heading ?? '',
    label,
    text,
  });
  return id;
}

export function newEnv(
  sourcePath: string,
  resolveLink: RenderEnv['resolveLink'],
  resolveAsset: RenderEnv['resolveAsset'],
): RenderEnv {
  return {
    sourcePath,
    baseDir: path.dirname(path.join(ROOT, sourcePath)),
    resolveLink,
    resolveAsset,
    outline: [],
    sections: [],
    blocks: [],
    includes: [],
  };
}

// GitHub-style alerts: a blockquote whose first line is `[!NOTE]`, `[!TIP]`,
// `[!IMPORTANT]`, `[!WARNING]` or `[!CAUTION]` becomes a titled callout, as on
// GitHub. No installed markdown-it plugin does this, so it is a small core rule.

import type { MarkdownIt } from 'markdown-it';

const TITLES: Record<string, string> = {
  note: 'Note',
  tip: 'Tip',
  important: 'Important',
  warning: 'Warning',
  caution: 'Caution',
};

const MARKER = /^\[!(NOTE|TIP|IMPORTANT|WARNING|CAUTION)\][ \t]*(?:\n|$)/i;

export function githubAlerts(md: MarkdownIt): void {
  // Runs before 'inline', so the marker is removed from the raw text of the
  // first paragraph before it is parsed as inline markdown.
  md.core.ruler.before('inline', 'github_alerts', (state) => {
    const tokens = state.tokens;
    for (let i = 0; i < tokens.length; i++) {
      const open = tokens[i]!;
      if (open.type !== 'blockquote_open') continue;
      const paragraph = tokens[i + 1];
      const inline = tokens[i + 2];
      if (paragraph?.type !== 'paragraph_open' || inline?.type !== 'inline') continue;
      const match = inline.content.match(MARKER);
      if (match === null) continue;
      const kind = match[1]!.toLowerCase();
      inline.content = inline.content.slice(match[0].length);

      // Find the matching close, counting nested blockquotes.
      let depth = 0;
      let close = i;
      for (let j = i; j < tokens.length; j++) {
        if (tokens[j]!.type === 'blockquote_open') depth++;
        if (tokens[j]!.type === 'blockquote_close' && --depth === 0) {
          close = j;
          break;
        }
      }
      open.tag = 'div';
      open.attrSet('class', `markdown-alert markdown-alert-${kind}`);
      tokens[close]!.tag = 'div';

      const title = new state.Token('html_block', '', 0);
      title.content = `<p class="markdown-alert-title">${TITLES[kind]}</p>\n`;
      tokens.splice(i + 1, 0, title);
      // A marker alone on its line leaves an empty first paragraph: drop it.
      if (inline.content.trim() === '') tokens.splice(i + 2, 3);
    }
  });
}

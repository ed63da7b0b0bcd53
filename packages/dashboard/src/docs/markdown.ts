import { posix } from 'node:path';
import { Marked, type Token, type Tokens } from 'marked';

/** One heading of a page, for its table of contents and the search index. */
export interface Section {
  anchor: string;
  heading: string;
  depth: number;
  /** The section's plain text (markup stripped), up to the next heading. */
  text: string;
}

export interface RenderedMarkdown {
  title: string;
  html: string;
  sections: Section[];
}

/** Turns a link target written in a doc (relative to that doc's file) into a site URL, or null. */
export type LinkResolver = (target: string) => string | null;

const escapeMap: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (ch) => escapeMap[ch] as string);

/** GitHub-like anchors: lower case, words joined by dashes, made unique with -2, -3… */
export function anchorMaker() {
  const seen = new Map<string, number>();
  return (text: string) => {
    const base =
      text
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s-]/gu, '')
        .trim()
        .replace(/\s+/g, '-') || 'section';
    const count = seen.get(base) ?? 0;
    seen.set(base, count + 1);
    return count === 0 ? base : `${base}-${count + 1}`;
  };
}

/** Markdown to plain text, good enough for search snippets and heading labels. */
export function plainText(markdown: string): string {
  return markdown
    .replace(/```[^\n]*\n/g, '')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/[`*>#|]/g, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

const SAFE_URL = /^(https?:|mailto:)/i;

/**
 * Renders one doc. Raw HTML in the Markdown is shown as text, never passed through, so a doc
 * cannot inject script; links to other docs and images become /docs routes through `resolve`;
 * a link to anything the site does not serve keeps its text and loses its target.
 */
export function renderMarkdown(source: string, resolve: LinkResolver): RenderedMarkdown {
  const marked = new Marked({ gfm: true });
  const tokens = marked.lexer(source);
  const anchors = new WeakMap<Token, string>();
  const nextAnchor = anchorMaker();
  const sections: Section[] = [];
  let title = '';
  for (const token of tokens) {
    if (token.type === 'heading') {
      const heading = plainText((token as Tokens.Heading).text);
      const anchor = nextAnchor(heading);
      anchors.set(token, anchor);
      if (!title && token.depth === 1) title = heading;
      sections.push({ anchor, heading, depth: token.depth, text: '' });
    } else {
      const last = sections.at(-1);
      if (last) last.text = `${last.text} ${plainText(token.raw)}`.trim();
    }
  }
  const href = (target: string) => {
    if (target.startsWith('#')) return target;
    if (SAFE_URL.test(target)) return target;
    // A page of this site written as an absolute path (`/docs/api`) stays as it is.
    if (/^\/docs(\/[\w.-]*)*(#[\w-]*)?$/.test(target)) return target;
    return resolve(target);
  };

  marked.use({
    renderer: {
      heading(token) {
        const anchor = anchors.get(token) ?? nextAnchor(plainText(token.text));
        const inner = this.parser.parseInline(token.tokens);
        const self =
          token.depth > 1
            ? ` <a class="doc-anchor" href="#${anchor}" aria-label="Link to this section">#</a>`
            : '';
        return `<h${token.depth} id="${anchor}">${inner}${self}</h${token.depth}>\n`;
      },
      html(token) {
        return escapeHtml(token.text);
      },
      code(token) {
        const lang = /^[\w-]*/.exec(token.lang ?? '')?.[0] ?? '';
        const cls = lang ? ` class="language-${escapeHtml(lang)}"` : '';
        return (
          `<div class="doc-code">${lang ? `<span class="doc-lang">${escapeHtml(lang)}</span>` : ''}` +
          '<button type="button" class="btn btn-small btn-ghost doc-copy" hidden>Copy</button>' +
          `<pre><code${cls}>${escapeHtml(token.text)}</code></pre></div>\n`
        );
      },
      codespan(token) {
        // Docs name each other as `policies.md` or `docs/scopes.md`: make those links too.
        const target = /^(\.\/|docs\/)?[\w-]+\.md(#[\w-]+)?$/.test(token.text) ? href(token.text) : null;
        const code = `<code>${escapeHtml(token.text)}</code>`;
        return target ? `<a href="${escapeHtml(target)}">${code}</a>` : code;
      },
      link(token) {
        const inner = this.parser.parseInline(token.tokens);
        const target = href(token.href);
        if (!target) return `<span class="doc-file">${inner}</span>`;
        const external = SAFE_URL.test(target) ? ' rel="noopener noreferrer"' : '';
        return `<a href="${escapeHtml(target)}"${external}>${inner}</a>`;
      },
      image(token) {
        const target = href(token.href);
        if (!target?.startsWith('/docs/')) return escapeHtml(token.text);
        return `<a href="${escapeHtml(target)}"><img src="${escapeHtml(target)}" alt="${escapeHtml(token.text)}" loading="lazy"></a>`;
      },
    },
  });
  return { title: title || 'Untitled', html: marked.parser(tokens), sections };
}

/** Resolves `target` written in the repository file `from` to a repository path and a hash. */
export function repoPath(from: string, target: string): { path: string; hash: string } {
  const [path = '', hash = ''] = target.split('#', 2);
  const joined = posix.normalize(posix.join(posix.dirname(from), path));
  return { path: joined, hash: hash ? `#${hash}` : '' };
}

import type { DocPage } from './catalog.ts';

/** One searchable section: what /docs/search-index.json serves and the server-side search reads. */
export interface IndexEntry {
  /** The section's URL: /docs/<page>#<anchor>. */
  url: string;
  page: string;
  heading: string;
  text: string;
}

export interface SearchHit {
  url: string;
  page: string;
  heading: string;
  snippet: string;
}

const MAX_TEXT = 4000;
const MAX_QUERY = 200;

export function buildIndex(pages: readonly DocPage[]): IndexEntry[] {
  return pages.flatMap((page) =>
    page.sections.map((section) => ({
      url: `/docs${page.slug ? `/${page.slug}` : ''}${section.depth === 1 ? '' : `#${section.anchor}`}`,
      page: page.title,
      heading: section.heading,
      text: section.text.slice(0, MAX_TEXT),
    })),
  );
}

/** Lower-case words of at least two characters; the same rule as the page's script. */
export const queryTerms = (query: string) =>
  query
    .slice(0, MAX_QUERY)
    .toLowerCase()
    .split(/[^\p{L}\p{N}_.-]+/u)
    .filter((term) => term.length >= 2);

/**
 * Sections containing every term, best first: a term in the heading counts more than one in the
 * text, and a phrase found whole counts most. docs.js does the same in the browser.
 */
export function search(index: readonly IndexEntry[], query: string, limit = 20): SearchHit[] {
  const terms = queryTerms(query);
  if (terms.length === 0) return [];
  const phrase = terms.join(' ');
  const scored: Array<{ entry: IndexEntry; score: number }> = [];
  for (const entry of index) {
    const heading = entry.heading.toLowerCase();
    const text = entry.text.toLowerCase();
    if (!terms.every((term) => heading.includes(term) || text.includes(term))) continue;
    let score = 0;
    for (const term of terms) score += (heading.includes(term) ? 5 : 0) + (text.includes(term) ? 1 : 0);
    if (terms.length > 1 && (heading.includes(phrase) || text.includes(phrase))) score += 10;
    scored.push({ entry, score });
  }
  scored.sort((a, b) => b.score - a.score);
  return scored.slice(0, limit).map(({ entry }) => ({
    url: entry.url,
    page: entry.page,
    heading: entry.heading,
    snippet: snippet(entry.text, terms[0] as string),
  }));
}

/** About 160 characters of text around the first match. */
function snippet(text: string, term: string): string {
  const at = Math.max(0, text.toLowerCase().indexOf(term));
  const start = Math.max(0, at - 60);
  const end = Math.min(text.length, start + 160);
  return `${start > 0 ? '…' : ''}${text.slice(start, end)}${end < text.length ? '…' : ''}`;
}

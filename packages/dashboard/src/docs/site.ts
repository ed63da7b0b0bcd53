import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type OpenApiDocument, renderApiReference } from './api-reference.ts';
import { API_REFERENCE_AFTER, type DocPage, loadMarkdownPages } from './catalog.ts';
import { buildIndex, type IndexEntry } from './search.ts';

/** Where the guides come from and where the API reference is read. */
export interface DocsOptions {
  /** The repository's top directory (README.md, docs/, examples/); the one this package is in by default. */
  root?: string;
  /** The server's OpenAPI document; without it the site has no API reference page. */
  openApi?: () => unknown;
}

export interface DocsSite {
  pages: DocPage[];
  bySlug: Map<string, DocPage>;
  index: IndexEntry[];
  indexJson: string;
  screenshot(name: string): Buffer | null;
}

// src/docs/site.ts and dist/docs/site.js sit at the same depth under packages/dashboard.
const DEFAULT_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** Renders every page and the search index, once. */
export function buildDocsSite(options: DocsOptions = {}): DocsSite {
  const root = options.root ?? DEFAULT_ROOT;
  const pages = loadMarkdownPages(root);
  if (options.openApi) {
    const reference = renderApiReference(options.openApi() as OpenApiDocument);
    const at = pages.findIndex((page) => page.slug === API_REFERENCE_AFTER);
    pages.splice(at < 0 ? pages.length : at + 1, 0, reference);
  }
  const index = buildIndex(pages);
  const shotsDir = join(root, 'docs', 'screenshots');
  let shots: Set<string>;
  try {
    shots = new Set(readdirSync(shotsDir).filter((name) => /^[\w.-]+\.png$/.test(name)));
  } catch {
    shots = new Set();
  }
  const cache = new Map<string, Buffer>();
  return {
    pages,
    bySlug: new Map(pages.map((page) => [page.slug, page])),
    index,
    indexJson: JSON.stringify(index),
    // Only names listed at start are served: no path from the URL ever reaches the file system.
    screenshot(name) {
      if (!shots.has(name)) return null;
      const cached = cache.get(name) ?? readFileSync(join(shotsDir, name));
      cache.set(name, cached);
      return cached;
    },
  };
}

/** The site built on first use and kept: no page is rendered per request. */
export function lazyDocsSite(options: DocsOptions = {}): () => DocsSite {
  let site: DocsSite | undefined;
  return () => {
    site ??= buildDocsSite(options);
    return site;
  };
}

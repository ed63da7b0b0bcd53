import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type RenderedMarkdown, renderMarkdown, repoPath, type Section } from './markdown.ts';

/** One page of the documentation site, rendered once. */
export interface DocPage {
  /** The URL part after /docs/ ('' for the home page). */
  slug: string;
  /** The repository file it comes from, or null for a generated page. */
  file: string | null;
  title: string;
  html: string;
  sections: Section[];
}

/**
 * The reading order of the sidebar: getting started first, the concepts, the API, the human side,
 * the channels, the agents' side, operations, and the design last. A guide not listed here still
 * appears, after these, so a new file in docs/ is never left out of the navigation.
 */
export const PAGE_ORDER: ReadonlyArray<{ file: string; slug: string }> = [
  { file: 'README.md', slug: '' },
  { file: 'examples/README.md', slug: 'examples' },
  { file: 'docs/policies.md', slug: 'policies' },
  { file: 'docs/scopes.md', slug: 'scopes' },
  // docs/api.md is the guide to the HTTP API; /docs/api is the reference generated from OpenAPI.
  { file: 'docs/api.md', slug: 'http-api' },
  { file: 'docs/dashboard.md', slug: 'dashboard' },
  { file: 'docs/telegram.md', slug: 'telegram' },
  { file: 'docs/slack.md', slug: 'slack' },
  { file: 'docs/webhooks.md', slug: 'webhooks' },
  { file: 'docs/mcp.md', slug: 'mcp' },
  { file: 'docs/deployment.md', slug: 'deployment' },
  { file: 'docs/scaling.md', slug: 'scaling' },
  { file: 'docs/architecture.md', slug: 'architecture' },
];

/** Where the API reference sits in the reading order: right after the HTTP API guide. */
export const API_REFERENCE_AFTER = 'http-api';

/** The Markdown files of the site, in reading order, as repository paths with their slugs. */
export function docFiles(root: string): Array<{ file: string; slug: string }> {
  const listed = PAGE_ORDER.filter((page) => existsSync(join(root, page.file)));
  const known = new Set(listed.map((page) => page.file));
  const guides = existsSync(join(root, 'docs')) ? readdirSync(join(root, 'docs')) : [];
  const extra = guides
    .filter((name) => name.endsWith('.md') && !known.has(`docs/${name}`))
    .sort()
    .map((name) => ({ file: `docs/${name}`, slug: name.slice(0, -3) }));
  return [...listed, ...extra];
}

/** The site path of a repository file the site serves, or null. */
export function siteLinker(root: string, files: Array<{ file: string; slug: string }>) {
  const slugs = new Map(files.map((page) => [page.file, page.slug]));
  const screenshots = new Set(
    existsSync(join(root, 'docs/screenshots')) ? readdirSync(join(root, 'docs/screenshots')) : [],
  );
  const lookup = (path: string, hash: string): string | null => {
    const slug = slugs.get(path);
    if (slug !== undefined) return `/docs${slug ? `/${slug}` : ''}${hash}`;
    const shot = /^docs\/screenshots\/([\w.-]+)$/.exec(path)?.[1];
    return shot && screenshots.has(shot) ? `/docs/screenshots/${shot}` : null;
  };
  // Docs write paths relative to themselves (`./scopes.md#x`) or to the repository (`docs/x.md`).
  return (from: string, target: string): string | null => {
    const relative = repoPath(from, target);
    const fromRoot = repoPath('README.md', target);
    return lookup(relative.path, relative.hash) ?? lookup(fromRoot.path, fromRoot.hash);
  };
}

/** Reads and renders every Markdown page under `root` (the repository's top directory). */
export function loadMarkdownPages(root: string): DocPage[] {
  const files = docFiles(root);
  const link = siteLinker(root, files);
  return files.map(({ file, slug }) => {
    const rendered: RenderedMarkdown = renderMarkdown(readFileSync(join(root, file), 'utf8'), (target) =>
      link(file, target),
    );
    return { slug, file, ...rendered };
  });
}

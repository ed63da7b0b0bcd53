import type { Context } from 'hono';
import { raw } from 'hono/html';
import type { Child } from 'hono/jsx';
import type { DashApp, DashEnv } from '../deps.ts';
import type { DocPage } from '../docs/catalog.ts';
import { search } from '../docs/search.ts';
import { type DocsOptions, type DocsSite, lazyDocsSite } from '../docs/site.ts';
import { assetUrl } from '../http/assets.ts';
import { errorPage } from '../views/error-page.tsx';
import { html, Layout } from '../views/layout.tsx';

const pageUrl = (page: DocPage) => `/docs${page.slug ? `/${page.slug}` : ''}`;

function DocsNav({ site, current, query }: { site: DocsSite; current?: string; query?: string }) {
  return (
    <nav class="docs-nav" aria-label="Documentation">
      <form class="docs-search" method="get" action="/docs/search">
        <input
          type="search"
          name="q"
          id="docs-q"
          value={query ?? ''}
          placeholder="Search the docs"
          aria-label="Search the docs"
          autocomplete="off"
          maxlength={200}
        />
        <ul class="docs-results" id="docs-results" hidden></ul>
      </form>
      <details class="docs-pages" open>
        <summary class="docs-pages-head">Pages</summary>
        <ul>
          {site.pages.map((page) => (
            <li>
              <a
                href={pageUrl(page)}
                class={page.slug === current ? 'active' : ''}
                aria-current={page.slug === current ? 'page' : undefined}
              >
                {page.title}
              </a>
            </li>
          ))}
        </ul>
      </details>
    </nav>
  );
}

function DocsFrame(props: {
  c: Context<DashEnv>;
  site: DocsSite;
  title: string;
  current?: string;
  query?: string;
  toc?: DocPage;
  children: Child;
}) {
  const { c, site, toc } = props;
  const headings =
    toc?.sections.filter((s) => s.depth === 2 || (s.depth === 3 && toc.sections.length < 40)) ?? [];
  return (
    <Layout title={props.title} active="docs" user={c.get('user')} csrf={c.get('csrf')}>
      <div class="docs">
        <DocsNav site={site} current={props.current} query={props.query} />
        <article class="docs-body">{props.children}</article>
        {headings.length > 1 ? (
          <aside class="docs-toc" aria-label="On this page">
            <p class="muted small">On this page</p>
            <ul>
              {headings.map((s) => (
                <li class={`toc-${s.depth}`}>
                  <a href={`#${s.anchor}`}>{s.heading}</a>
                </li>
              ))}
            </ul>
          </aside>
        ) : null}
      </div>
      <script src={assetUrl('docs.js')} defer></script>
    </Layout>
  );
}

/**
 * The documentation at /docs: the guides, the API reference and a search, readable without an
 * account (nothing in them is secret). A logged-in visitor still sees the dashboard's menu.
 */
export function docsPages(app: DashApp, options: DocsOptions) {
  const site = lazyDocsSite(options);

  app.get('/docs/search-index.json', (c) => {
    c.header('Cache-Control', 'public, max-age=300');
    return c.body(site().indexJson, 200, { 'Content-Type': 'application/json; charset=utf-8' });
  });
  app.get('/docs/search', (c) => {
    const query = (c.req.query('q') ?? '').slice(0, 200);
    const hits = search(site().index, query);
    return html(
      c,
      <DocsFrame c={c} site={site()} title="Search the docs" query={query}>
        <h1>Search</h1>
        {query.trim() === '' ? (
          <p class="muted">Type words to find in the guides and the API reference.</p>
        ) : hits.length === 0 ? (
          <p class="muted">Nothing found for “{query}”.</p>
        ) : (
          <ol class="docs-hits">
            {hits.map((hit) => (
              <li>
                <a href={hit.url}>{hit.heading}</a> <span class="muted small">· {hit.page}</span>
                <p class="small">{hit.snippet}</p>
              </li>
            ))}
          </ol>
        )}
      </DocsFrame>,
    );
  });
  app.get('/docs/screenshots/:file', (c) => {
    const image = site().screenshot(c.req.param('file'));
    if (!image) return errorPage(c, 404, `There is no image at ${c.req.path}.`);
    c.header('Cache-Control', 'public, max-age=86400');
    return c.body(new Uint8Array(image), 200, { 'Content-Type': 'image/png' });
  });
  const show = (c: Context<DashEnv>, slug: string) => {
    const page = site().bySlug.get(slug);
    if (!page) return errorPage(c, 404, `There is no docs page at ${c.req.path}.`);
    return html(
      c,
      <DocsFrame c={c} site={site()} title={page.title} current={slug} toc={page}>
        {raw(page.html)}
      </DocsFrame>,
    );
  };
  app.get('/docs', (c) => show(c, ''));
  app.get('/docs/', (c) => show(c, ''));
  app.get('/docs/:slug', (c) => show(c, c.req.param('slug')));
}

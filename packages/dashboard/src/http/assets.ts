import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { DashApp } from '../deps.ts';

interface Asset {
  body: string;
  type: string;
}

const require = createRequire(import.meta.url);
const own = (name: string) => readFileSync(new URL(`../assets/${name}`, import.meta.url), 'utf8');
const vendored = (specifier: string) => readFileSync(require.resolve(specifier), 'utf8');

/**
 * The static files, read once at startup: htmx and its SSE extension from their npm packages
 * (no CDN, no bundler) and our own stylesheet and script. URLs carry a content hash, so the
 * files can be cached for a year and a new release is fetched at once.
 */
function loadAssets() {
  const files: Array<[string, string, string]> = [
    ['htmx.min.js', vendored('htmx.org/dist/htmx.min.js'), 'text/javascript; charset=utf-8'],
    ['sse.min.js', vendored('htmx-ext-sse/dist/sse.min.js'), 'text/javascript; charset=utf-8'],
    ['app.js', own('app.js'), 'text/javascript; charset=utf-8'],
    ['docs.js', own('docs.js'), 'text/javascript; charset=utf-8'],
    ['app.css', own('app.css'), 'text/css; charset=utf-8'],
    ['favicon.svg', own('favicon.svg'), 'image/svg+xml'],
  ];
  const byUrl = new Map<string, Asset>();
  const urls = new Map<string, string>();
  for (const [name, body, type] of files) {
    const hash = createHash('sha256').update(body).digest('hex').slice(0, 12);
    const dot = name.indexOf('.');
    const file = `${name.slice(0, dot)}.${hash}${name.slice(dot)}`;
    byUrl.set(file, { body, type });
    urls.set(name, `/assets/${file}`);
  }
  return { byUrl, urls };
}

const ASSETS = loadAssets();

/** The hashed URL of an asset by its plain name, e.g. `app.css` → `/assets/app.3f2a….css`. */
export function assetUrl(
  name: 'htmx.min.js' | 'sse.min.js' | 'app.js' | 'docs.js' | 'app.css' | 'favicon.svg',
): string {
  return ASSETS.urls.get(name) as string;
}

export function assetRoutes(app: DashApp) {
  app.get('/assets/:file', (c) => {
    const asset = ASSETS.byUrl.get(c.req.param('file'));
    if (!asset) return c.notFound();
    c.header('Content-Type', asset.type);
    c.header('Cache-Control', 'public, max-age=31536000, immutable');
    return c.body(asset.body);
  });
  // Browsers ask for /favicon.ico whatever the page says; answer rather than log a 404.
  app.get('/favicon.ico', (c) => c.redirect(assetUrl('favicon.svg'), 301));
}

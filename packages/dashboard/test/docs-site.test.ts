import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CONTENT_SECURITY_POLICY } from '../src/app.ts';
import { escapeHtml } from '../src/docs/markdown.ts';
import { buildDocsSite } from '../src/docs/site.ts';
import { createDashboardRuntime, type DashboardRuntime } from './helpers.ts';

const ROOT = new URL('../../../', import.meta.url).pathname;
const firstHeading = (file: string) => /^# (.+)$/m.exec(readFileSync(join(ROOT, file), 'utf8'))?.[1] ?? '';
const links = (html: string) => [...html.matchAll(/\s(?:href|src)="([^"]+)"/g)].map((m) => m[1] as string);
const decode = (text: string) =>
  text
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'");

describe('the documentation site at /docs', () => {
  let dash: DashboardRuntime;
  const get = (path: string) => dash.request('GET', path);
  before(async () => {
    dash = await createDashboardRuntime();
  });
  after(() => dash.close());

  it('serves the home page without a login, under the dashboard CSP', async () => {
    const home = await get('/docs');
    assert.equal(home.status, 200);
    assert.equal(home.headers.get('content-security-policy'), CONTENT_SECURITY_POLICY);
    assert.match(home.text, /<h1 id="agent-otp">Agent OTP/);
    assert.doesNotMatch(home.text, /<script>/, 'no inline script');
  });

  it('lists every guide in docs/ in the navigation, titled by its first heading', async () => {
    const nav = (await get('/docs')).text.split('<article')[0] as string;
    for (const name of readdirSync(join(ROOT, 'docs')).filter((n) => n.endsWith('.md'))) {
      const title = firstHeading(`docs/${name}`);
      assert.ok(title, `docs/${name} has a first heading`);
      assert.ok(nav.includes(`>${escapeHtml(title)}</a>`), `nav lists ${name} as "${title}"`);
    }
    assert.match(nav, /href="\/docs\/api"[^>]*>API reference</);
    // The reading order: getting started before policies, policies before the architecture.
    const order = [
      'href="/docs"',
      '/docs/policies"',
      '/docs/scopes"',
      '/docs/api"',
      '/docs/dashboard"',
      '/docs/mcp"',
      '/docs/architecture"',
    ];
    const positions = order.map((href) => nav.indexOf(href));
    assert.deepEqual(
      [...positions].sort((a, b) => a - b),
      positions,
      'sidebar in reading order',
    );
  });

  it('has no broken link or anchor among its /docs links (crawled from the home page)', async () => {
    const pages = new Map<string, string>();
    const queue = ['/docs'];
    const anchors: Array<{ from: string; to: string; hash: string }> = [];
    while (queue.length > 0) {
      const path = queue.shift() as string;
      if (pages.has(path)) continue;
      const response = await get(path);
      assert.equal(response.status, 200, `${path} answers 200`);
      pages.set(path, response.text);
      if (!response.headers.get('content-type')?.startsWith('text/html')) continue;
      for (const link of links(response.text).map(decode)) {
        if (!link.startsWith('/docs') && !link.startsWith('#')) continue;
        const [target = '', hash] = link.startsWith('#') ? [path, link.slice(1)] : link.split('#', 2);
        if (hash) anchors.push({ from: path, to: target, hash });
        if (!pages.has(target)) queue.push(target);
      }
    }
    assert.ok(pages.size >= 15, `crawled ${pages.size} URLs`);
    for (const { from, to, hash } of anchors) {
      assert.ok(pages.get(to)?.includes(`id="${hash}"`), `${from} links to ${to}#${hash}, which exists`);
    }
  });

  it('turns links between docs into /docs routes and serves the screenshots', async () => {
    const readme = (await get('/docs')).text;
    assert.match(readme, /href="\/docs\/telegram"/);
    const dashboard = (await get('/docs/dashboard')).text;
    assert.match(dashboard, /<img src="\/docs\/screenshots\/inbox-desktop.png"/);
    assert.match(dashboard, /<a href="\/docs\/scopes"><code>docs\/scopes.md<\/code><\/a>/);
    const image = await dash.runtime.app.request('/docs/screenshots/inbox-desktop.png');
    assert.equal(image.status, 200);
    assert.equal(image.headers.get('content-type'), 'image/png');
    assert.equal((await get('/docs/screenshots/..%2Fpolicies.md')).status, 404);
    assert.equal((await get('/docs/screenshots/missing.png')).status, 404);
    assert.equal((await get('/docs/no-such-page')).status, 404);
  });

  it('renders the API reference from the OpenAPI document: every operation, auth, errors', async () => {
    const spec = JSON.parse((await get('/api/v1/openapi.json')).text);
    const page = (await get('/docs/api')).text;
    for (const [path, operations] of Object.entries(
      spec.paths as Record<string, Record<string, { summary: string }>>,
    )) {
      for (const [method, op] of Object.entries(operations)) {
        assert.ok(page.includes(`${method.toUpperCase()}</span> <code>${path}</code>`), `${method} ${path}`);
        assert.ok(page.includes(escapeHtml(op.summary)), op.summary);
      }
    }
    assert.match(page, /href="\/api\/docs"/, 'links to Swagger UI');
    assert.match(page, /<code>agentKey<\/code>/);
    assert.match(page, /TOKEN_USED/);
    assert.match(page, /id="schema-usebody"/);
  });

  it('searches sections, in the JSON index and on the server without script', async () => {
    const index = JSON.parse((await get('/docs/search-index.json')).text) as Array<{
      url: string;
      heading: string;
    }>;
    assert.ok(index.length > 100, `${index.length} sections indexed`);
    assert.ok(
      index.some((entry) => entry.url.startsWith('/docs/api#post-')),
      'API operations are indexed',
    );
    const found = (await get('/docs/search?q=Values+a+rule+cannot+compare')).text;
    assert.match(
      found,
      /<a href="\/docs\/policies#values-a-rule-cannot-compare">Values a rule cannot compare<\/a>/,
    );
    const token = (await get('/docs/search?q=TOKEN_USED')).text;
    assert.match(token, /href="\/docs\/api#post-apiv1permissionsiduse"/);
    assert.match((await get('/docs/search?q=zzqqxx')).text, /Nothing found/);
    const hostile = (await get('/docs/search?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E')).text;
    assert.ok(!hostile.includes('<script>alert'), 'the query is escaped');
  });

  it('shows a logged-in reader the dashboard menu, with Docs in it', async () => {
    const admin = await dash.loginAdmin();
    const page = (await dash.request('GET', '/docs/policies', { as: admin })).text;
    assert.match(page, /<a href="\/docs" class="active" aria-current="page">Docs<\/a>/);
    assert.match((await dash.request('GET', '/', { as: admin })).text, /<a href="\/docs" class="">Docs<\/a>/);
  });
});

describe('Markdown in the docs cannot inject script', () => {
  it('escapes raw HTML and drops script URLs', () => {
    const root = mkdtempSync(join(tmpdir(), 'agent-otp-docs-'));
    try {
      mkdirSync(join(root, 'docs'));
      writeFileSync(join(root, 'README.md'), '# Home\n\nSee [evil](docs/evil.md).\n');
      writeFileSync(
        join(root, 'docs/evil.md'),
        [
          '# Evil <img src=x onerror=alert(1)>',
          '',
          '<script>alert("block")</script>',
          '',
          'Inline <b onclick="x()">bold</b> and [click](javascript:alert(1)) and ![i](https://evil.example/x.png).',
          '',
          '```html"><script>alert(2)</script>',
          '<script>alert(3)</script>',
          '```',
        ].join('\n'),
      );
      const site = buildDocsSite({ root });
      const html = site.bySlug.get('evil')?.html ?? '';
      assert.ok(!/<script|<img src=x|<b onclick|javascript:|evil\.example/i.test(html), html);
      assert.match(html, /&lt;script&gt;alert\(&quot;block&quot;\)&lt;\/script&gt;/);
      assert.match(html, /&lt;script&gt;alert\(3\)&lt;\/script&gt;/);
      assert.match(site.bySlug.get('')?.html ?? '', /href="\/docs\/evil"/);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Hono } from 'hono';

const require = createRequire(import.meta.url);
const ASSETS = ['swagger-ui.css', 'swagger-ui-bundle.js'] as const;

/**
 * Interactive API docs (Swagger UI), served from the installed swagger-ui-dist package: no CDN,
 * so the page works on a machine without internet access.
 */
export function docsRoutes(openApiPath: string) {
  const dir = dirname(require.resolve('swagger-ui-dist/package.json'));
  const files = new Map(ASSETS.map((name) => [name, readFileSync(join(dir, name))]));
  const page = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Agent OTP API</title><link rel="stylesheet" href="/api/docs/swagger-ui.css"></head>
<body><div id="docs"></div><script src="/api/docs/swagger-ui-bundle.js"></script>
<script src="/api/docs/init.js"></script></body></html>`;
  const init = `window.ui = SwaggerUIBundle({ url: ${JSON.stringify(openApiPath)}, dom_id: '#docs' });`;

  const app = new Hono();
  app.get('/', (c) => c.html(page));
  app.get('/init.js', (c) => c.body(init, 200, { 'content-type': 'text/javascript; charset=utf-8' }));
  for (const [name, content] of files) {
    const type = name.endsWith('.css') ? 'text/css; charset=utf-8' : 'text/javascript; charset=utf-8';
    app.get(`/${name}`, (c) =>
      c.body(new Uint8Array(content), 200, {
        'content-type': type,
        'cache-control': 'public, max-age=86400',
      }),
    );
  }
  return app;
}

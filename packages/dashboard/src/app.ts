import { AgentOtpError } from '@agent-otp/core';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { DashboardDeps, DashEnv } from './deps.ts';
import { assetRoutes } from './http/assets.ts';
import { dashboardSession } from './http/session.ts';
import { agentPages } from './pages/agents.tsx';
import { auditPages } from './pages/audit.tsx';
import { bulkPages } from './pages/bulk.tsx';
import { docsPages } from './pages/docs.tsx';
import { historyPages } from './pages/history.tsx';
import { inboxPages } from './pages/inbox.tsx';
import { loginPages } from './pages/login.tsx';
import { overviewPages } from './pages/overview.tsx';
import { policyPages } from './pages/policies.tsx';
import { requestPages } from './pages/requests.tsx';
import { tokenPages } from './pages/tokens.tsx';
import { userPages } from './pages/users.tsx';
import { webhookPages } from './pages/webhooks.tsx';
import { errorPage } from './views/error-page.tsx';

/** No inline script or style anywhere: everything the pages run comes from /assets/. */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'";

const FORM_LIMIT_BYTES = 256 * 1024;

/** The API keeps its JSON behaviour (and its not-found envelope) under /api. */
const isApi = (path: string) => path === '/api' || path.startsWith('/api/');

/**
 * The web dashboard as a Hono app, meant to be mounted at `/` after the API routes. Its
 * middleware steps aside for /api paths, so mounting it cannot change what the API answers.
 */
export function createDashboard(deps: DashboardDeps) {
  const app = new Hono<DashEnv>();
  app.onError((error, c) => {
    if (error instanceof AgentOtpError) return errorPage(c, error.status, error.message);
    deps.logger?.error({ requestId: c.get('requestId'), err: error }, 'dashboard error');
    return errorPage(c, 500, 'The server failed to show this page.');
  });

  app.use('*', async (c, next) => {
    if (isApi(c.req.path)) return next();
    c.header('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    c.header('Cache-Control', 'no-store');
    c.header('Vary', 'Cookie, HX-Request');
    return next();
  });
  const limit = bodyLimit({
    maxSize: FORM_LIMIT_BYTES,
    onError: (c) => errorPage(c, 413, `Forms may not exceed ${FORM_LIMIT_BYTES / 1024} KiB.`),
  });
  app.use('*', (c, next) => (isApi(c.req.path) ? next() : limit(c, next)));
  const session = dashboardSession(deps.users);
  app.use('*', (c, next) => (isApi(c.req.path) ? next() : session(c, next)));

  assetRoutes(app);
  loginPages(app, deps);
  inboxPages(app, deps);
  bulkPages(app, deps);
  requestPages(app, deps);
  historyPages(app, deps);
  agentPages(app, deps);
  userPages(app, deps);
  webhookPages(app, deps);
  tokenPages(app, deps);
  policyPages(app, deps);
  auditPages(app, deps);
  overviewPages(app, deps);
  docsPages(app, deps.docs ?? {});

  // Unknown pages get an HTML 404; unknown /api paths fall through to the API's JSON one.
  app.all('*', (c) =>
    isApi(c.req.path) ? c.notFound() : errorPage(c, 404, `There is no page at ${c.req.path}.`),
  );
  return app;
}

import type {
  AgentService,
  ApprovalService,
  AuditAnchor,
  Clock,
  PermissionEvents,
  PermissionService,
  PolicyHistory,
  Store,
  UserService,
  WebhookService,
} from '@agent-otp/core';
import { createDashboard, type DashboardDeps } from '@agent-otp/dashboard';
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Hono } from 'hono';
import { secureHeaders } from 'hono/secure-headers';
import type { Logger } from 'pino';
import type { ClusterHealth } from './cluster/cluster.ts';
import { agentAuth } from './http/agent-auth.ts';
import type { AppEnv } from './http/env.ts';
import { errorHandler, notFound } from './http/errors.ts';
import type { FastRouteDeps } from './http/fast-routes/listener.ts';
import { humanAuth } from './http/human-auth.ts';
import { jsonBody } from './http/json-body.ts';
import { agentRateLimit, createMemoryRequestLimiter, type RequestLimiter } from './http/rate-limit.ts';
import { requestContext } from './http/request-context.ts';
import { validationHook } from './http/validation.ts';
import type { Metrics } from './metrics.ts';
import type { PolicySource } from './policy-source.ts';
import { agentRoutes } from './routes/agents.ts';
import { approvalRoutes } from './routes/approvals.ts';
import { docsRoutes } from './routes/docs.ts';
import { healthRoutes } from './routes/health.ts';
import { permissionActions } from './routes/permission-actions.ts';
import { permissionEventRoutes } from './routes/permission-events.ts';
import { permissionRoutes } from './routes/permissions.ts';
import { policyVersionRoutes } from './routes/policy-versions.ts';

export interface AppDeps {
  store: Store;
  agents: AgentService;
  permissions: PermissionService;
  approvals: ApprovalService;
  users: UserService;
  events: PermissionEvents;
  policy: PolicySource;
  /** The policy versions the server has run (the Policies page's history and its API). */
  policyHistory: PolicyHistory;
  logger: Logger;
  metrics: Metrics;
  clock: Clock;
  /** Outgoing webhooks, administered on the dashboard's Webhooks page (admins). */
  webhooks?: WebhookService;
  /** POST /slack/interactions, when Slack is configured (channels/slack). */
  slackRoutes?: Hono<AppEnv>;
  /** The audit chain's checkpoints, checked by the dashboard's chain status. */
  auditAnchor?: AuditAnchor;
  settings: { publicUrl: () => string; bodyLimitBytes: number; rateLimitPerMinute: number };
  /** The per-agent request limit's budget store; in this process when absent. */
  requestLimiter?: RequestLimiter;
  /** Readiness of what instances share (Redis, the events channel) and their policy versions. */
  clusterHealth?: () => Promise<ClusterHealth>;
  /** Routes of approval channels (a Telegram webhook…), mounted before the dashboard. */
  channelRoutes?: readonly Hono[];
  /** Telegram linking for the dashboard's account page. */
  telegram?: DashboardDeps['telegram'];
  /** Reverse proxies whose X-Forwarded-For the dashboard's login believes (see config). */
  trustedProxies?: readonly string[];
}

export const OPENAPI_PATH = '/api/v1/openapi.json';
const OPENAPI_DOCUMENT = {
  openapi: '3.1.0',
  info: {
    title: 'Agent OTP API',
    version: '1.0.0',
    description:
      'One-time permissions for AI agents. Every response uses the {success, data | error} envelope.',
  },
};

/** The HTTP application: middleware in the order a request meets it, then the routes. */
export function createApp(deps: AppDeps) {
  return buildApp(deps).app;
}

/**
 * The HTTP application and what the plain node:http path of the hot agent routes shares with it
 * (http/fast-routes): the same route actions, the same request limiter (one budget per agent),
 * the same body limit; `fetch` is the app's own, for requests the fast path leaves to it.
 */
export function buildApp(deps: AppDeps) {
  const { logger, metrics, settings } = deps;
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  app.onError(errorHandler(logger));
  app.notFound(notFound);
  app.use('*', requestContext(logger, metrics));
  app.use('*', secureHeaders());
  app.route('/', healthRoutes(deps.store, deps.policy, metrics, deps.clusterHealth));
  const requestLimiter =
    deps.requestLimiter ?? createMemoryRequestLimiter(settings.rateLimitPerMinute, deps.clock);

  const limitedJson = jsonBody(settings.bodyLimitBytes);
  const rateLimit = agentRateLimit(settings.rateLimitPerMinute, requestLimiter);
  for (const path of ['/api/v1/permissions', '/api/v1/permissions/*']) {
    app.use(path, agentAuth(deps.agents), rateLimit, limitedJson);
  }
  const humanRoutes = ['/api/v1/approvals', '/api/v1/agents', '/api/v1/policies'];
  for (const path of humanRoutes.flatMap((route) => [route, `${route}/*`])) {
    app.use(path, humanAuth(deps.users), limitedJson);
  }
  const links = {
    approvalUrl: (id: string) => `${settings.publicUrl()}/requests/${id}`,
    eventsUrl: (id: string) => `${settings.publicUrl()}/api/v1/permissions/${id}/events`,
  };
  const actions = permissionActions(deps.permissions, links, metrics);
  app.route('/api/v1', permissionRoutes(deps.permissions, links, actions));
  app.route('/api/v1', permissionEventRoutes(deps.permissions, deps.events));
  app.route('/api/v1', approvalRoutes(deps));
  app.route('/api/v1', agentRoutes(deps));
  app.route(
    '/api/v1',
    policyVersionRoutes({
      policyHistory: deps.policyHistory,
      store: deps.store,
      inForce: () => deps.policy.current().version,
    }),
  );

  app.openAPIRegistry.registerComponent('securitySchemes', 'agentKey', {
    type: 'http',
    scheme: 'bearer',
    description: 'An agent API key, ak_…',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'userToken', {
    type: 'http',
    scheme: 'bearer',
    description: 'A personal user token, uat_… (or a dashboard session cookie with X-CSRF-Token)',
  });
  app.doc31(OPENAPI_PATH, OPENAPI_DOCUMENT);
  app.route('/api/docs', docsRoutes(OPENAPI_PATH));
  if (deps.slackRoutes) app.route('/', deps.slackRoutes);
  for (const routes of deps.channelRoutes ?? []) app.route('/', routes);
  // The dashboard last: it answers every non-API path (HTML 404s included) and steps aside for /api.
  // /docs renders the API reference from the same document /api/v1/openapi.json serves.
  const openApi = () => app.getOpenAPI31Document(OPENAPI_DOCUMENT);
  app.route('/', createDashboard({ ...deps, docs: { openApi } }));
  const fastRoutes: FastRouteDeps = {
    agents: deps.agents,
    actions,
    requestLimiter,
    rateLimitPerMinute: settings.rateLimitPerMinute,
    bodyLimitBytes: settings.bodyLimitBytes,
    logger,
    metrics,
    fetch: (request, env) => app.fetch(request, env),
  };
  return { app, fastRoutes };
}

export type App = ReturnType<typeof createApp>;

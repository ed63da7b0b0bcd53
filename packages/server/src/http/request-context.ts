import { newId } from '@agent-otp/core';
import type { MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Logger } from 'pino';
import type { Metrics } from '../metrics.ts';
import type { AppEnv } from './env.ts';

export const SAFE_REQUEST_ID = /^[A-Za-z0-9_.-]{1,64}$/;

/**
 * Gives every request an id (a caller's X-Request-Id is kept when it is safe to echo), logs one
 * line per request and records metrics. Logs carry the route pattern, never bodies or headers,
 * so tokens and keys cannot reach them.
 */
export function requestContext(logger: Logger, metrics: Metrics): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const started = performance.now();
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && SAFE_REQUEST_ID.test(incoming) ? incoming : newId('request');
    c.set('requestId', requestId);
    c.header('X-Request-Id', requestId);
    await next();
    const route = routeOf(c);
    const seconds = (performance.now() - started) / 1000;
    const status = c.res.status;
    metrics.httpRequests.inc({ method: c.req.method, route, status });
    metrics.httpDuration.observe({ route }, seconds);
    const level = status >= 500 ? 'error' : 'info';
    if (logger.isLevelEnabled(level)) {
      logger[level](
        {
          requestId,
          method: c.req.method,
          route,
          status,
          ms: Math.round(seconds * 100000) / 100,
          agentId: c.get('agent')?.id,
        },
        'request',
      );
    }
  };
}

/**
 * The route pattern that answered (e.g. `/api/v1/permissions/:id`), for logs and metric labels:
 * the last matched handler that is not a catch-all middleware (method ALL).
 */
function routeOf(c: Parameters<typeof matchedRoutes>[0]): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const route = routes[i];
    if (route && route.method !== 'ALL') return route.path;
  }
  return 'unmatched';
}

import type { Store } from '@agent-otp/core';
import { Hono } from 'hono';
import type { Metrics } from '../metrics.ts';
import type { PolicySource } from '../policy-source.ts';

/** Liveness, readiness (database reachable, policy loaded) and Prometheus metrics. */
export function healthRoutes(store: Store, policy: PolicySource, metrics: Metrics) {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    try {
      await store.ping();
    } catch {
      return c.json({ status: 'unavailable', database: 'unreachable' }, 503);
    }
    return c.json({
      status: 'ready',
      database: 'ok',
      policy: { version: policy.current().version, lastError: policy.lastError() },
    });
  });
  app.get('/metrics', async (c) =>
    c.body(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }),
  );
  return app;
}

import type { Store } from '@agent-otp/core';
import { Hono } from 'hono';
import type { ClusterHealth } from '../cluster/cluster.ts';
import type { Metrics } from '../metrics.ts';
import type { PolicySource } from '../policy-source.ts';

/**
 * Liveness, readiness and Prometheus metrics. Ready = the database answers and, in a cluster,
 * Redis (or the LISTEN/NOTIFY channel) is connected: an instance that cannot share events and
 * limits is taken out of the load balancer rather than answering with a stale view. Decisions
 * live in the database, so a not-ready instance never decided wrongly. A policy mismatch between
 * instances is reported (`policyMismatch`) but keeps readiness: every instance would be taken
 * out at once during a rolling policy change.
 */
export function healthRoutes(
  store: Store,
  policy: PolicySource,
  metrics: Metrics,
  clusterHealth?: () => Promise<ClusterHealth>,
) {
  const app = new Hono();
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    try {
      await store.ping();
    } catch {
      return c.json({ status: 'unavailable', reason: 'database unreachable', database: 'unreachable' }, 503);
    }
    const cluster = await clusterHealth?.();
    const body = {
      database: 'ok',
      policy: { version: policy.current().version, lastError: policy.lastError() },
      ...(cluster
        ? {
            redis: cluster.redis,
            events: cluster.events,
            policyMismatch: cluster.cluster.policyMismatch,
            cluster: cluster.cluster,
          }
        : {}),
    };
    if (cluster && !cluster.ready)
      return c.json({ status: 'unavailable', reason: cluster.reason, ...body }, 503);
    return c.json({ status: 'ready', ...body });
  });
  app.get('/metrics', async (c) =>
    c.body(await metrics.registry.metrics(), 200, { 'content-type': metrics.registry.contentType }),
  );
  return app;
}

import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of one app instance (its own registry, so tests can run several). */
export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  return {
    registry,
    httpRequests: new Counter({
      name: 'agent_otp_http_requests_total',
      help: 'HTTP requests by method, route and status',
      labelNames: ['method', 'route', 'status'] as const,
      registers: [registry],
    }),
    httpDuration: new Histogram({
      name: 'agent_otp_http_request_duration_seconds',
      help: 'HTTP request duration by route',
      labelNames: ['route'] as const,
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    decisions: new Counter({
      name: 'agent_otp_permission_decisions_total',
      help: 'Permission requests by policy decision',
      labelNames: ['decision'] as const,
      registers: [registry],
    }),
    uses: new Counter({
      name: 'agent_otp_token_uses_total',
      help: 'Token uses by outcome code',
      labelNames: ['outcome'] as const,
      registers: [registry],
    }),
    policyVersionInfo: new Gauge({
      name: 'agent_otp_policy_version_info',
      help: 'The policy version this instance decides by (always 1)',
      labelNames: ['version'] as const,
      registers: [registry],
    }),
    clusterPolicyVersions: new Gauge({
      name: 'agent_otp_cluster_policy_versions',
      help: 'Distinct policy versions among the instances seen lately (1 when they agree)',
      registers: [registry],
    }),
    clusterInstances: new Gauge({
      name: 'agent_otp_cluster_instances',
      help: 'Instances seen lately (this one included; 1 without Redis)',
      registers: [registry],
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

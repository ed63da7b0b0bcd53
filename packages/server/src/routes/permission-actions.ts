import type { Agent, JsonObject, PermissionService } from '@agent-otp/core';
import type { Metrics } from '../metrics.ts';
import { type Links, presentRequestOutcome } from './presenters.ts';

/**
 * What the three hot agent routes do once their input is valid: call the service, count, shape
 * the answer's data and status. Shared by the Hono routes (routes/permissions.ts) and the plain
 * node:http path (http/fast-routes), so both answer the same.
 */
export function permissionActions(permissions: PermissionService, links: Links, metrics: Metrics) {
  return {
    async request(
      agent: Agent,
      input: Parameters<PermissionService['request']>[1],
      idempotencyKey: string | undefined,
    ) {
      const outcome = await permissions.request(agent, input, { idempotencyKey });
      // A replay made no decision: only new requests are counted.
      if (outcome.status !== 'replayed') metrics.decisions.inc({ decision: outcome.permission.decision });
      const { body, status } = presentRequestOutcome(outcome, links);
      return { data: body, status };
    },

    async verify(agent: Agent, id: string, token: string) {
      const outcome = await permissions.verify(agent, id, token);
      if (!outcome.valid) return { valid: false as const, reason: outcome.reason };
      const p = outcome.permission;
      return {
        valid: true as const,
        status: p.status,
        action: p.action,
        resource: p.resource,
        scope: p.grantedScope ?? {},
        usesRemaining: p.usesRemaining,
        expiresAt: new Date(p.expiresAt).toISOString(),
        enforcement: p.enforcement,
        unenforced: outcome.unenforced,
      };
    },

    async use(agent: Agent, id: string, token: string, actionDetails: JsonObject | undefined) {
      try {
        const { permission, unchecked } = await permissions.use(agent, id, token, actionDetails);
        metrics.uses.inc({ outcome: 'OK' });
        return {
          success: true as const,
          usesRemaining: permission.usesRemaining,
          status: permission.status,
          unchecked,
        };
      } catch (error) {
        metrics.uses.inc({ outcome: (error as { code?: string }).code ?? 'ERROR' });
        throw error;
      }
    },
  };
}

export type PermissionActions = ReturnType<typeof permissionActions>;

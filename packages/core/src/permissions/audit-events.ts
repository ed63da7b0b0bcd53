import { newId } from '../ids.ts';
import type { Actor, AuditEventInput, JsonObject, Permission } from '../types.ts';

/** Builds the audit event for something that happened to a permission. */
export function permissionEvent(
  event: string,
  permission: Pick<Permission, 'id' | 'agentId' | 'policyVersion'>,
  actor: Actor,
  at: number,
  details: JsonObject = {},
): AuditEventInput {
  return {
    id: newId('audit'),
    at,
    event,
    actor,
    agentId: permission.agentId,
    permissionId: permission.id,
    policyVersion: permission.policyVersion,
    details,
  };
}

const SECRET_LIKE = /\b(?:otp|ak|uat)_[A-Za-z0-9_-]{16,}/g;

/**
 * Action details are recorded as the agent's account of what it did, with anything shaped like
 * a token or key replaced, so a careless agent cannot write a credential into the audit log.
 */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return value.replace(SECRET_LIKE, '[redacted]');
  if (value === null || typeof value !== 'object' || depth > 8) return value;
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1));
  const out: JsonObject = {};
  for (const [key, item] of Object.entries(value)) out[key] = redactSecrets(item, depth + 1);
  return out;
}

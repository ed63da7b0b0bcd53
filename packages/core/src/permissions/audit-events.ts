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

/**
 * Action details are recorded as the agent's account of what it did, with anything shaped like
 * a token or key replaced (the store redacts every audit entry again as it appends it).
 */
export { redactSecrets } from '../redact.ts';

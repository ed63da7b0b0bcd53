import { createHash } from 'node:crypto';
import type { PermissionChange } from '../events.ts';
import { ID_PREFIX } from '../ids.ts';
import type { WebhookEventType } from './types.ts';

/**
 * The webhook events a change announces. A request decided by the policy at once announces its
 * request and its outcome; a cancelled pending request is announced as `permission.revoked`
 * (the agent's revoke cancels a pending request), with `data.status` saying `cancelled`.
 * Votes short of a quorum and token hand-overs announce nothing.
 */
export function webhookEventsOf(change: PermissionChange): WebhookEventType[] {
  switch (change.kind) {
    case 'created':
      if (change.status === 'approved') return ['permission.requested', 'permission.approved'];
      if (change.status === 'denied') return ['permission.requested', 'permission.denied'];
      return ['permission.requested'];
    case 'approved':
    case 'denied':
    case 'expired':
    case 'used':
    case 'revoked':
      return [`permission.${change.kind}`];
    case 'cancelled':
      return ['permission.revoked'];
    default:
      return [];
  }
}

/**
 * The event id: the same for the same event of the same permission wherever it is computed.
 * Each type happens at most once per permission (every transition is a compare-and-set into a
 * state that never returns), so several instances hearing one change queue it once, and a
 * receiver sees one id however often it is retried.
 */
export function webhookEventId(permissionId: string, type: WebhookEventType): string {
  const digest = createHash('sha256').update(`${permissionId}\n${type}`).digest('base64url');
  return `${ID_PREFIX.webhookEvent}_${digest.slice(0, 27)}`;
}

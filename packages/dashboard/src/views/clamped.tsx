import type { AuditEntry } from '@agent-otp/core';
import { Alert } from './parts.tsx';

interface Clamp {
  key: string;
  asked: unknown;
  granted: unknown;
}

/** The `clamped` detail of an approval audit entry, as written by the approval service. */
export function clampsOf(details: Record<string, unknown>): Clamp[] {
  const list = details.clamped;
  if (!Array.isArray(list)) return [];
  return list.filter((c): c is Clamp => typeof c === 'object' && c !== null && typeof c.key === 'string');
}

/** "max_amount: asked 50000, granted 25000" for each clamped key. */
export function clampText(clamps: Clamp[]): string {
  return clamps
    .map((c) => `${c.key}: asked ${JSON.stringify(c.asked)}, granted ${JSON.stringify(c.granted)}`)
    .join('; ');
}

/**
 * After a user approved: says which values of their scope edit were kept at the stricter grant,
 * read from their own vote in the audit, so the notice shows what the server recorded.
 */
export function ClampedNotice({ entries, userId }: { entries: AuditEntry[]; userId: string }) {
  // One vote per user and request: the store refuses a second one.
  const vote = entries.find(
    (e) => e.event === 'approval.vote' && e.actor.type === 'user' && e.actor.id === userId,
  );
  const clamps = vote ? clampsOf(vote.details) : [];
  if (clamps.length === 0) return null;
  return (
    <Alert kind="warn">
      Your scope edit asked for more than the request allows; an approval can only narrow, so the stricter
      value was granted. {clampText(clamps)}
    </Alert>
  );
}

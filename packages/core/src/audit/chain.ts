import { createHash } from 'node:crypto';
import type { AuditEntry, AuditEventInput, AuditStripeHead } from '../types.ts';
import { canonicalJson } from './canonical-json.ts';

/** The hash that precedes the first entry of every stripe. */
export const GENESIS_HASH = '0'.repeat(64);

/** The event of a cross-anchor entry: it records the head of every stripe (see anchorHeads). */
export const ANCHOR_EVENT = 'audit.anchor';

/** Where an entry sits: its place in the global order and in its stripe's chain. */
export interface AuditPosition {
  seq: number;
  stripe: number;
  stripeSeq: number;
}

const fields = (entry: AuditEventInput) => ({
  id: entry.id,
  at: entry.at,
  event: entry.event,
  actor: entry.actor,
  agentId: entry.agentId,
  permissionId: entry.permissionId,
  policyVersion: entry.policyVersion,
  details: entry.details,
});

/**
 * Each entry's hash covers its position (global seq, stripe, place in the stripe), its content
 * and the previous entry's hash in its stripe, so changing, moving, inserting or deleting any
 * entry breaks every hash after it in that stripe.
 */
export function hashAuditEntry(entry: AuditEventInput, position: AuditPosition, prevHash: string): string {
  const body = canonicalJson({
    v: 2,
    seq: position.seq,
    stripe: position.stripe,
    stripeSeq: position.stripeSeq,
    prevHash,
    ...fields(entry),
  });
  return createHash('sha256').update(body).digest('hex');
}

/**
 * The form of entries written before the log had stripes. They are all stripe 0 with stripeSeq
 * equal to seq, so the seq this hash covers is also their stripe position; they keep verifying
 * as they were written, and history is never rehashed.
 */
export function hashLegacyAuditEntry(entry: AuditEventInput, seq: number, prevHash: string): string {
  const body = canonicalJson({ seq, prevHash, ...fields(entry) });
  return createHash('sha256').update(body).digest('hex');
}

/** True when the entry's hash is its content's, in the current form (or the legacy one where allowed). */
export function auditHashMatches(entry: AuditEntry): boolean {
  if (hashAuditEntry(entry, entry, entry.prevHash) === entry.hash) return true;
  return (
    entry.stripe === 0 &&
    entry.stripeSeq === entry.seq &&
    hashLegacyAuditEntry(entry, entry.seq, entry.prevHash) === entry.hash
  );
}

/** The head of an empty stripe. */
export const emptyStripeHead = (stripe: number): AuditStripeHead => ({
  stripe,
  stripeSeq: 0,
  hash: GENESIS_HASH,
});

/** Links an event to its stripe's head, at global position `seq`, giving the entry to store. */
export function chainAuditEntry(entry: AuditEventInput, head: AuditStripeHead, seq: number): AuditEntry {
  const position = { seq, stripe: head.stripe, stripeSeq: head.stripeSeq + 1 };
  return { ...entry, ...position, prevHash: head.hash, hash: hashAuditEntry(entry, position, head.hash) };
}

/** The heads a cross-anchor entry records, or null when its details are not that shape. */
export function anchorHeads(entry: AuditEntry): AuditStripeHead[] | null {
  const heads = entry.details.heads;
  if (!Array.isArray(heads)) return null;
  const parsed: AuditStripeHead[] = [];
  for (const head of heads) {
    if (typeof head !== 'object' || head === null || Array.isArray(head)) return null;
    const { stripe, stripeSeq, hash } = head as Record<string, unknown>;
    if (!Number.isSafeInteger(stripe) || !Number.isSafeInteger(stripeSeq) || typeof hash !== 'string')
      return null;
    parsed.push({ stripe: stripe as number, stripeSeq: stripeSeq as number, hash });
  }
  return parsed;
}

import { createHash } from 'node:crypto';
import type { AuditEntry, AuditEventInput } from '../types.ts';
import { canonicalJson } from './canonical-json.ts';

/** The hash that precedes the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * Each entry's hash covers its sequence number, its content and the previous entry's hash, so
 * changing, inserting or deleting any entry breaks every hash after it.
 */
export function hashAuditEntry(entry: AuditEventInput, seq: number, prevHash: string): string {
  const body = canonicalJson({
    seq,
    prevHash,
    id: entry.id,
    at: entry.at,
    event: entry.event,
    actor: entry.actor,
    agentId: entry.agentId,
    permissionId: entry.permissionId,
    policyVersion: entry.policyVersion,
    details: entry.details,
  });
  return createHash('sha256').update(body).digest('hex');
}

/** Links an event to the chain head, giving the entry to store. */
export function chainAuditEntry(
  entry: AuditEventInput,
  head: { seq: number; hash: string } | null,
): AuditEntry {
  const seq = (head?.seq ?? 0) + 1;
  const prevHash = head?.hash ?? GENESIS_HASH;
  return { ...entry, seq, prevHash, hash: hashAuditEntry(entry, seq, prevHash) };
}

export type ChainVerification =
  | { ok: true; entries: number; headHash: string }
  | { ok: false; entries: number; brokenAtSeq: number; reason: string };

/**
 * Verifies entries in chain order (streamed page by page by the caller). Detects edited
 * entries (hash mismatch), deleted or inserted ones (sequence gap or prevHash mismatch).
 * `from` continues after an entry already verified (its seq and hash) instead of the genesis.
 */
export function createChainVerifier(from?: { seq: number; hash: string }) {
  let expectedSeq = (from?.seq ?? 0) + 1;
  let prevHash = from?.hash ?? GENESIS_HASH;
  let count = 0;
  let failure: { brokenAtSeq: number; reason: string } | null = null;

  return {
    add(entry: AuditEntry): boolean {
      if (failure) return false;
      if (entry.seq !== expectedSeq) {
        failure = {
          brokenAtSeq: expectedSeq,
          reason: `entry ${expectedSeq} is missing (found ${entry.seq} next)`,
        };
      } else if (entry.prevHash !== prevHash) {
        failure = {
          brokenAtSeq: entry.seq,
          reason: `entry ${entry.seq} does not link to the entry before it`,
        };
      } else if (hashAuditEntry(entry, entry.seq, entry.prevHash) !== entry.hash) {
        failure = {
          brokenAtSeq: entry.seq,
          reason: `entry ${entry.seq} was modified (its hash does not match)`,
        };
      }
      if (failure) return false;
      count += 1;
      expectedSeq += 1;
      prevHash = entry.hash;
      return true;
    },
    result(): ChainVerification {
      return failure
        ? { ok: false, entries: count, ...failure }
        : { ok: true, entries: count, headHash: prevHash };
    },
  };
}

import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Store } from '../store.ts';
import type { AuditEntry } from '../types.ts';
import { createChainVerifier } from './chain.ts';
import { type AuditAnchor, type CheckpointSet, newestCheckpoint, readCheckpoints } from './checkpoint.ts';

/** What the chain's head is anchored to outside the database. */
export type AnchorStatus =
  | { status: 'not_anchored'; location: string | null }
  | { status: 'anchored'; location: string; seq: number; hash: string; at: number; checkpoints: number };

/**
 * `problem` says what failed: `chain` (an entry edited, removed or inserted), `rewritten` (the
 * entry at a checkpoint's seq has another hash), `truncated` (the chain ends before the newest
 * checkpoint; `missingEntries` counts the cut entries), `checkpoint` (a stored checkpoint is not
 * valid: forged, edited or corrupt).
 */
export type AuditVerification =
  | { ok: true; entries: number; headHash: string; anchor: AnchorStatus }
  | {
      ok: false;
      problem: 'chain' | 'rewritten' | 'truncated' | 'checkpoint';
      entries: number;
      brokenAtSeq: number | null;
      reason: string;
      missingEntries?: number;
      anchor: AnchorStatus;
    };

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The chain verifier plus the checkpoints: every checkpoint's entry must be in the chain with
 * exactly the checkpoint's hash, and the chain must reach the newest checkpoint. Entries are
 * added in chain order, as for createChainVerifier. `location` names where checkpoints were looked
 * for when there were none.
 */
export function createAuditVerifier(
  set: CheckpointSet | null,
  location: string | null = set?.location ?? null,
) {
  const chain = createChainVerifier();
  const pending = [...(set?.checkpoints ?? [])].sort((a, b) => a.seq - b.seq);
  let next = 0;
  let rewritten: { seq: number; reason: string } | null = null;
  let head = 0;

  const newest = newestCheckpoint(set?.checkpoints ?? []);
  const anchor: AnchorStatus =
    set && newest
      ? {
          status: 'anchored',
          location: set.location,
          seq: newest.seq,
          hash: newest.hash,
          at: newest.at,
          checkpoints: set.checkpoints.length,
        }
      : { status: 'not_anchored', location };

  return {
    add(entry: AuditEntry): boolean {
      if (rewritten || !chain.add(entry)) return false;
      head = entry.seq;
      for (; next < pending.length && (pending[next]?.seq ?? 0) <= entry.seq; next += 1) {
        const checkpoint = pending[next] as (typeof pending)[number];
        if (checkpoint.seq === entry.seq && checkpoint.hash !== entry.hash) {
          rewritten = {
            seq: entry.seq,
            reason: `entry ${entry.seq} is not the one the checkpoint of ${iso(checkpoint.at)} signed: the chain was rewritten`,
          };
          return false;
        }
      }
      return true;
    },
    result(): AuditVerification {
      const verdict = chain.result();
      if (!verdict.ok) return { ...verdict, problem: 'chain', anchor };
      const failed = { ok: false as const, entries: verdict.entries, anchor };
      if (rewritten)
        return { ...failed, problem: 'rewritten', brokenAtSeq: rewritten.seq, reason: rewritten.reason };
      const bad = set?.invalid[0];
      if (set && bad) {
        return {
          ...failed,
          problem: 'checkpoint',
          brokenAtSeq: null,
          reason: `checkpoint file ${set.location} line ${bad.line} is not a valid checkpoint: ${bad.reason}`,
        };
      }
      if (newest && newest.seq > head) {
        const missing = newest.seq - head;
        return {
          ...failed,
          problem: 'truncated',
          brokenAtSeq: head + 1,
          missingEntries: missing,
          reason:
            `truncated: the chain ends at entry ${head} but the checkpoint of ${iso(newest.at)} signed entry ` +
            `${newest.seq}: the newest ${missing} ${missing === 1 ? 'entry was' : 'entries were'} removed`,
        };
      }
      return { ok: true, entries: verdict.entries, headHash: verdict.headHash, anchor };
    },
  };
}

/**
 * Verifies the whole audit log against the checkpoints (none when `anchor` is null), reading
 * the store page by page and yielding to the event loop between pages, so a server can run it
 * without stalling other requests.
 */
export async function verifyAuditLog(
  store: Pick<Store, 'listAudit'>,
  anchor: AuditAnchor | null,
  pageSize = 1000,
): Promise<AuditVerification> {
  // Checkpoints first, then the chain: the server signs only committed entries and the chain only
  // grows, so every checkpoint read before the walk names an entry the walk will reach. The other
  // order could see a checkpoint signed after the walk ended and report a false truncation.
  const set = anchor ? await readCheckpoints(anchor) : null;
  const verifier = createAuditVerifier(set, anchor?.log.location ?? null);
  let afterSeq = 0;
  for (;;) {
    const page = await store.listAudit({ afterSeq, limit: pageSize });
    for (const entry of page) if (!verifier.add(entry)) return verifier.result();
    const last = page.at(-1);
    if (!last || page.length < pageSize) return verifier.result();
    afterSeq = last.seq;
    await nextTurn();
  }
}

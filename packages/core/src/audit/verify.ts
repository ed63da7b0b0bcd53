import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Store } from '../store.ts';
import type { AuditEntry } from '../types.ts';
import { type AuditClaim, type ChainProblem, createChainVerifier } from './chain-verifier.ts';
import {
  type AuditAnchor,
  type CheckpointSet,
  checkpointEntries,
  newestCheckpoint,
  readCheckpoints,
} from './checkpoint.ts';

/** What the log's heads are anchored to outside the database. */
export type AnchorStatus =
  | { status: 'not_anchored'; location: string | null }
  | {
      status: 'anchored';
      location: string;
      /** The highest seq the newest checkpoint covers, and that entry's hash. */
      seq: number;
      hash: string;
      /** How many entries it covers (every stripe up to its signed head) and in how many stripes. */
      entries: number;
      stripes: number;
      at: number;
      checkpoints: number;
    };

/**
 * `problem` says what failed: `chain` (an entry edited, removed, inserted or moved, or a stripe
 * the head table does not know), `rewritten` (the entry at a checkpoint's, a cross-anchor's or a
 * head row's place has another hash), `truncated` (a stripe ends before what a checkpoint, a
 * cross-anchor or its head row recorded; `missingEntries` counts the cut entries), `checkpoint`
 * (a stored checkpoint is not valid: forged, edited or corrupt).
 */
export type AuditVerification =
  | {
      ok: true;
      entries: number;
      headHash: string;
      stripes: number;
      /** Entries appended while the check ran (past the heads it started from): not checked. */
      appendedDuringCheck: number;
      anchor: AnchorStatus;
    }
  | {
      ok: false;
      problem: ChainProblem | 'checkpoint';
      entries: number;
      brokenAtSeq: number | null;
      reason: string;
      missingEntries?: number;
      anchor: AnchorStatus;
    };

const iso = (ms: number) => new Date(ms).toISOString();

function anchorStatus(set: CheckpointSet | null, location: string | null): AnchorStatus {
  const newest = newestCheckpoint(set?.checkpoints ?? []);
  if (!set || !newest) return { status: 'not_anchored', location };
  return {
    status: 'anchored',
    location: set.location,
    seq: newest.seq,
    hash: newest.hash,
    entries: checkpointEntries(newest),
    stripes: newest.heads.length,
    at: newest.at,
    checkpoints: set.checkpoints.length,
  };
}

/** Every signed checkpoint's heads as claims the chain must meet. */
const checkpointClaims = (set: CheckpointSet | null): AuditClaim[] =>
  (set?.checkpoints ?? []).flatMap((c) =>
    c.heads.map((h) => ({
      stripe: h.stripe,
      stripeSeq: h.stripeSeq,
      hash: h.hash,
      by: `the checkpoint of ${iso(c.at)} signed`,
    })),
  );

/**
 * Verifies the whole audit log: every stripe's chain (links, hashes, places, order), the
 * cross-anchors inside the log, the store's head rows and the signed checkpoints (none when
 * `anchor` is null). It reads the log page by page in seq order and yields to the event loop
 * between pages, so a server can run it without stalling other requests.
 *
 * Order matters with writers running: checkpoints first, then the head rows, then the walk. The
 * server signs only committed heads and stripes only grow, so every checkpoint read first names
 * an entry at or below the heads read next, and every entry up to those heads is committed before
 * the walk starts, so the walk sees each of them (on PostgreSQL a lower seq can commit after a
 * higher one; such entries are past the heads and are left for the next check).
 */
export async function verifyAuditLog(
  store: Pick<Store, 'listAudit' | 'auditHeads'>,
  anchor: AuditAnchor | null,
  pageSize = 1000,
): Promise<AuditVerification> {
  const set = anchor ? await readCheckpoints(anchor) : null;
  const status = anchorStatus(set, anchor?.log.location ?? null);
  const heads = await store.auditHeads();
  const bound = new Map(heads.map((h) => [h.stripe, h.stripeSeq]));
  const verifier = createChainVerifier([
    ...checkpointClaims(set),
    ...heads.map((h) => ({ ...h, by: `the audit_heads row of stripe ${h.stripe} records` })),
  ]);
  const fail = (problem: ChainProblem | 'checkpoint', brokenAtSeq: number | null, reason: string) => ({
    ok: false as const,
    problem,
    entries: (verifier.result() as { entries: number }).entries,
    brokenAtSeq,
    reason,
    anchor: status,
  });

  /** Past the heads read above: appended while the check runs (checked below, not verified). */
  const beyond = new Map<number, number>();
  let appended = 0;
  let unknownStripe: AuditEntry | null = null;
  let afterSeq = 0;
  for (;;) {
    const page = await store.listAudit({ afterSeq, limit: pageSize });
    for (const entry of page) {
      const limit = bound.get(entry.stripe);
      if (limit === undefined) unknownStripe ??= entry;
      else if (entry.stripeSeq > limit) {
        beyond.set(entry.stripe, Math.max(beyond.get(entry.stripe) ?? 0, entry.stripeSeq));
        appended += 1;
        continue;
      }
      if (!verifier.add(entry)) break;
    }
    const last = page.at(-1);
    if (verifier.failed() || !last || page.length < pageSize) break;
    afterSeq = last.seq;
    await nextTurn();
  }

  const broken = verifier.failed();
  if (broken) return { ...broken, anchor: status };
  const bad = set?.invalid[0];
  if (set && bad) {
    return fail(
      'checkpoint',
      null,
      `checkpoint file ${set.location} line ${bad.line} is not a valid checkpoint: ${bad.reason}`,
    );
  }
  if (beyond.size > 0) {
    // Entries past a head are new only if the head has moved over them since; a head row that
    // still stops short of them was edited, or they were inserted behind the writers' backs.
    const now = new Map((await store.auditHeads()).map((h) => [h.stripe, h.stripeSeq]));
    for (const [stripe, highest] of beyond) {
      if ((now.get(stripe) ?? 0) < highest) {
        return fail(
          'chain',
          null,
          `stripe ${stripe} has entries after the head its audit_heads row records (entry ${bound.get(stripe)}): the row was edited or entries were inserted`,
        );
      }
    }
  }
  const verdict = verifier.result();
  if (!verdict.ok) return { ...verdict, anchor: status };
  if (unknownStripe) {
    return fail(
      'chain',
      unknownStripe.seq,
      `entry ${unknownStripe.seq} is in stripe ${unknownStripe.stripe}, which the audit_heads table does not have`,
    );
  }
  for (const claim of verdict.deferred) {
    const [entry] = await store.listAudit({
      stripe: claim.stripe,
      afterStripeSeq: claim.stripeSeq - 1,
      limit: 1,
    });
    if (entry?.stripeSeq === claim.stripeSeq && entry.hash !== claim.hash) {
      return fail(
        'rewritten',
        entry.seq,
        `entry ${entry.seq} (entry ${claim.stripeSeq} of stripe ${claim.stripe}) is not the one ${claim.by}: the chain was rewritten`,
      );
    }
  }
  return {
    ok: true,
    entries: verdict.entries,
    headHash: verdict.headHash,
    stripes: heads.length,
    appendedDuringCheck: appended,
    anchor: status,
  };
}

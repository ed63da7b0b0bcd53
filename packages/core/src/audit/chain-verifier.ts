import type { AuditEntry, AuditStripeHead } from '../types.ts';
import { ANCHOR_EVENT, anchorHeads, auditHashMatches, GENESIS_HASH } from './chain.ts';

/** A head of a stripe with the global seq of that entry: where a walk of the stripe stands. */
export interface StripeTip extends AuditStripeHead {
  seq: number;
}

/**
 * Verifies one stripe's chain, entry by entry in stripe order: each entry must be the next in
 * the stripe, link to the one before, carry its own hash, and come later in the global order.
 * `from` continues after an entry already verified instead of the genesis.
 */
export function createStripeVerifier(stripe: number, from?: StripeTip) {
  const tip: StripeTip = from ? { ...from } : { stripe, stripeSeq: 0, seq: 0, hash: GENESIS_HASH };
  return {
    tip: (): StripeTip => ({ ...tip }),
    /** Null when the entry continues the stripe, else why it does not. */
    add(entry: AuditEntry): string | null {
      const next = tip.stripeSeq + 1;
      if (entry.stripe !== stripe) return `entry ${entry.seq} is not in stripe ${stripe}`;
      if (entry.stripeSeq !== next) {
        return entry.stripeSeq < next
          ? `entry ${entry.seq} repeats place ${entry.stripeSeq} of stripe ${stripe}`
          : `entry ${next} of stripe ${stripe} is missing (found its entry ${entry.stripeSeq} next, at seq ${entry.seq})`;
      }
      if (entry.seq <= tip.seq) return `entry ${entry.seq} is out of order in stripe ${stripe}`;
      if (entry.prevHash !== tip.hash) return `entry ${entry.seq} does not link to the entry before it`;
      if (!auditHashMatches(entry)) return `entry ${entry.seq} was modified (its hash does not match)`;
      Object.assign(tip, { stripeSeq: entry.stripeSeq, seq: entry.seq, hash: entry.hash });
      return null;
    },
  };
}

/**
 * Something that says stripe `stripe` had entry `stripeSeq` with hash `hash`: a signed
 * checkpoint, a cross-anchor entry, or the store's head row. `by` names it for messages and ends
 * with its verb ("the checkpoint of … signed").
 */
export interface AuditClaim extends AuditStripeHead {
  by: string;
}

export type ChainProblem = 'chain' | 'rewritten' | 'truncated';

export type ChainVerification =
  | {
      ok: true;
      entries: number;
      /** The hash of the entry with the highest seq (the genesis hash when there is none). */
      headHash: string;
      /** Where every stripe's chain ends. */
      heads: StripeTip[];
      /** Claims about entries that had left the recent window; verifyAuditLog looks them up. */
      deferred: AuditClaim[];
    }
  | {
      ok: false;
      problem: ChainProblem;
      entries: number;
      brokenAtSeq: number | null;
      reason: string;
      missingEntries?: number;
    };

/** How many recent hashes per stripe are kept to check a cross-anchor about entries just passed. */
const RECENT = 4096;

interface StripeState {
  verifier: ReturnType<typeof createStripeVerifier>;
  /** stripeSeq → [seq, hash] of the newest entries, oldest first. */
  recent: Map<number, [number, string]>;
  /** Claims about entries not reached yet, lowest stripeSeq first. */
  pending: AuditClaim[];
}

/**
 * Verifies the whole log fed in global `seq` order (every stripe interleaved), and the claims
 * about it: cross-anchor entries found on the way, plus any given up front (checkpoints, head
 * rows). A claim must match the entry at its place; one about an entry beyond where its stripe
 * ends means the stripe's tail was cut.
 */
export function createChainVerifier(initialClaims: readonly AuditClaim[] = []) {
  const stripes = new Map<number, StripeState>();
  const deferred: AuditClaim[] = [];
  let count = 0;
  let lastSeq = 0;
  let headHash = GENESIS_HASH;
  let failure: Extract<ChainVerification, { ok: false }> | null = null;

  const fail = (problem: ChainProblem, brokenAtSeq: number | null, reason: string) => {
    failure = { ok: false, problem, entries: count, brokenAtSeq, reason };
    return false;
  };
  const stateOf = (stripe: number): StripeState => {
    let state = stripes.get(stripe);
    if (!state) {
      state = { verifier: createStripeVerifier(stripe), recent: new Map(), pending: [] };
      stripes.set(stripe, state);
    }
    return state;
  };
  const rewritten = (claim: AuditClaim, seq: number) =>
    fail(
      'rewritten',
      seq,
      `entry ${seq} (entry ${claim.stripeSeq} of stripe ${claim.stripe}) is not the one ${claim.by}: the chain was rewritten`,
    );

  function claim(c: AuditClaim): boolean {
    if (c.stripeSeq < 1) return true;
    const state = stateOf(c.stripe);
    if (c.stripeSeq > state.verifier.tip().stripeSeq) {
      const at = state.pending.findIndex((p) => p.stripeSeq > c.stripeSeq);
      state.pending.splice(at < 0 ? state.pending.length : at, 0, c);
      return true;
    }
    const seen = state.recent.get(c.stripeSeq);
    if (!seen) deferred.push(c);
    else if (seen[1] !== c.hash) return rewritten(c, seen[0]);
    return true;
  }

  for (const c of initialClaims) claim(c);

  return {
    add(entry: AuditEntry): boolean {
      if (failure) return false;
      if (entry.seq <= lastSeq) return fail('chain', entry.seq, `entry ${entry.seq} is out of order`);
      const state = stateOf(entry.stripe);
      const broken = state.verifier.add(entry);
      if (broken) return fail('chain', entry.seq, broken);
      state.recent.set(entry.stripeSeq, [entry.seq, entry.hash]);
      if (state.recent.size > RECENT) state.recent.delete(state.recent.keys().next().value as number);
      while (state.pending[0] && state.pending[0].stripeSeq <= entry.stripeSeq) {
        const due = state.pending.shift() as AuditClaim;
        if (due.hash !== entry.hash) return rewritten(due, entry.seq);
      }
      count += 1;
      lastSeq = entry.seq;
      headHash = entry.hash;
      if (entry.event === ANCHOR_EVENT && entry.actor.type === 'system') {
        const heads = anchorHeads(entry);
        if (!heads) return fail('chain', entry.seq, `the cross-anchor entry ${entry.seq} is malformed`);
        const by = `the cross-anchor at entry ${entry.seq} recorded`;
        for (const head of heads) if (!claim({ ...head, by })) return false;
      }
      return true;
    },
    /** Adds a claim (e.g. a head row) about the log; false once the log is known broken. */
    claim: (c: AuditClaim): boolean => !failure && claim(c),
    /** The failure found while adding, before the end-of-log checks. */
    failed: (): Extract<ChainVerification, { ok: false }> | null => failure,
    result(): ChainVerification {
      if (failure) return failure;
      for (const [stripe, state] of [...stripes].sort(([a], [b]) => a - b)) {
        const top = state.pending.at(-1)?.stripeSeq;
        // Of the claims on the furthest entry, the first given: a signed checkpoint before a head row.
        const newest = state.pending.find((p) => p.stripeSeq === top);
        if (!newest) continue;
        const tip = state.verifier.tip();
        const missing = newest.stripeSeq - tip.stripeSeq;
        return {
          ok: false,
          problem: 'truncated',
          entries: count,
          brokenAtSeq: tip.seq + 1,
          missingEntries: missing,
          reason:
            `truncated: the chain of stripe ${stripe} ends at entry ${tip.stripeSeq} but ${newest.by} entry ` +
            `${newest.stripeSeq}: the newest ${missing} ${missing === 1 ? 'entry was' : 'entries were'} removed`,
        };
      }
      const heads = [...stripes.values()].map((s) => s.verifier.tip()).sort((a, b) => a.stripe - b.stripe);
      return { ok: true, entries: count, headHash, heads, deferred: [...deferred] };
    },
  };
}

import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Clock } from '../clock.ts';
import type { Store } from '../store.ts';
import { createStripeVerifier, type StripeTip } from './chain-verifier.ts';
import {
  type AuditAnchor,
  type AuditCheckpoint,
  checkpointEntries,
  newestCheckpoint,
  readCheckpoints,
} from './checkpoint.ts';

export interface CheckpointerOptions {
  store: Pick<Store, 'listAudit' | 'auditHeads'>;
  anchor: AuditAnchor;
  clock: Clock;
  /** A checkpoint is due once the heads are this many entries past the last one… */
  everyEntries: number;
  /** …or once the head has moved and this long has passed since the last one. */
  intervalMs: number;
  pageSize?: number;
}

export type CheckpointOutcome =
  | { status: 'written'; checkpoint: AuditCheckpoint }
  /** Nothing new since the last checkpoint, or not due yet. */
  | { status: 'current' | 'not_due' }
  /** The chain no longer continues the last checkpoint: nothing is signed over it. */
  | { status: 'diverged'; reason: string };

/**
 * Signs checkpoints of the audit log's heads, one per stripe. It signs only what it has verified:
 * each stripe's new entries must continue, entry by entry with recomputed hashes, the chain that
 * ended at the last checkpoint's head of that stripe (from the genesis for the first one). So a
 * stripe cut or rewritten in the database while the server runs is never blessed by a new
 * checkpoint; the old ones stay and `audit verify` reports the difference. Reads see committed
 * entries only, so a checkpoint never names an entry that a crash could still take back; each
 * stripe is read in its own order, in which its entries also commit, so none is skipped.
 *
 * Runs are serialised; the caller drives them (a timer, and `force` at shutdown).
 */
export function createAuditCheckpointer(options: CheckpointerOptions) {
  const { store, anchor, clock } = options;
  const pageSize = options.pageSize ?? 1000;
  let loaded = false;
  let last: AuditCheckpoint | null = null;
  /** Per stripe, the newest entry verified to continue `last` (or the genesis). */
  const tips = new Map<number, StripeTip>();

  async function load(): Promise<void> {
    if (loaded) return;
    // Invalid lines are skipped here and reported by `audit verify`; the newest valid checkpoint
    // is the one the log must continue.
    last = newestCheckpoint((await readCheckpoints(anchor))?.checkpoints ?? []);
    for (const head of last?.heads ?? []) tips.set(head.stripe, { ...head });
    loaded = true;
  }

  /** Walks one stripe from its verified tip to its committed end; a reason when it does not continue. */
  async function catchUpStripe(stripe: number): Promise<string | null> {
    const tip = tips.get(stripe);
    if (tip && tip.stripeSeq > 0) {
      const [entry] = await store.listAudit({ stripe, afterStripeSeq: tip.stripeSeq - 1, limit: 1 });
      if (entry?.stripeSeq !== tip.stripeSeq) return `entry ${tip.seq}, signed by a checkpoint, is missing`;
      if (entry.hash !== tip.hash) return `entry ${tip.seq} no longer has the hash a checkpoint signed`;
    }
    const verifier = createStripeVerifier(stripe, tip);
    for (;;) {
      const page = await store.listAudit({
        stripe,
        afterStripeSeq: verifier.tip().stripeSeq,
        limit: pageSize,
      });
      for (const entry of page) {
        const broken = verifier.add(entry);
        if (broken) return broken;
      }
      tips.set(stripe, verifier.tip());
      if (page.length < pageSize) return null;
      await nextTurn();
    }
  }

  async function catchUp(): Promise<string | null> {
    const stripes = new Set([...(await store.auditHeads()).map((h) => h.stripe), ...tips.keys()]);
    for (const stripe of [...stripes].sort((a, b) => a - b)) {
      const diverged = await catchUpStripe(stripe);
      if (diverged) return diverged;
    }
    return null;
  }

  async function step(force: boolean): Promise<CheckpointOutcome> {
    await load();
    const diverged = await catchUp();
    if (diverged) return { status: 'diverged', reason: diverged };
    const heads = [...tips.values()];
    const covered = heads.reduce((sum, h) => sum + h.stripeSeq, 0);
    const signed = last ? checkpointEntries(last) : 0;
    if (covered === 0 || covered === signed) return { status: 'current' };
    const now = clock.now();
    const due =
      force || !last || covered - signed >= options.everyEntries || now - last.at >= options.intervalMs;
    if (!due) return { status: 'not_due' };
    const checkpoint = anchor.signer.sign(heads, now);
    await anchor.log.append(JSON.stringify(checkpoint));
    last = checkpoint;
    return { status: 'written', checkpoint };
  }
  let queue: Promise<unknown> = Promise.resolve();
  return {
    /** Verifies the new entries and signs the head when a checkpoint is due (always with `force`). */
    run(runOptions: { force?: boolean } = {}): Promise<CheckpointOutcome> {
      const result = queue.then(() => step(runOptions.force === true));
      queue = result.catch(() => undefined);
      return result;
    },
  };
}

export type AuditCheckpointer = ReturnType<typeof createAuditCheckpointer>;

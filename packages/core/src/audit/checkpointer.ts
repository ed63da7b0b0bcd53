import { setImmediate as nextTurn } from 'node:timers/promises';
import type { Clock } from '../clock.ts';
import type { Store } from '../store.ts';
import { createChainVerifier } from './chain.ts';
import { type AuditAnchor, type AuditCheckpoint, newestCheckpoint, readCheckpoints } from './checkpoint.ts';

export interface CheckpointerOptions {
  store: Pick<Store, 'listAudit'>;
  anchor: AuditAnchor;
  clock: Clock;
  /** A checkpoint is due once the head is this many entries past the last one… */
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

type Head = { seq: number; hash: string };

/**
 * Signs checkpoints of the audit chain's head. It signs only what it has verified: each new
 * head must continue, entry by entry with recomputed hashes, the chain that ended at the last
 * checkpoint (from the genesis for the first one). So a chain cut or rewritten in the database
 * while the server runs is never blessed by a new checkpoint; the old ones stay and `audit
 * verify` reports the difference. Reads see committed entries only, so a checkpoint never names
 * an entry that a crash could still take back.
 *
 * Runs are serialised; the caller drives them (a timer, and `force` at shutdown).
 */
export function createAuditCheckpointer(options: CheckpointerOptions) {
  const { store, anchor, clock } = options;
  const pageSize = options.pageSize ?? 1000;
  let loaded = false;
  let last: AuditCheckpoint | null = null;
  /** The newest entry verified to continue `last` (or the genesis). */
  let tip: Head | null = null;

  async function load(): Promise<void> {
    if (loaded) return;
    // Invalid lines are skipped here and reported by `audit verify`; the newest valid checkpoint
    // is the one the chain must continue.
    last = newestCheckpoint((await readCheckpoints(anchor))?.checkpoints ?? []);
    tip = last ? { seq: last.seq, hash: last.hash } : null;
    loaded = true;
  }

  /** Walks from the verified tip to the committed head; a reason when the chain does not continue. */
  async function catchUp(): Promise<string | null> {
    if (tip) {
      const [entry] = await store.listAudit({ afterSeq: tip.seq - 1, limit: 1 });
      if (entry?.seq !== tip.seq) return `entry ${tip.seq}, signed by a checkpoint, is missing`;
      if (entry.hash !== tip.hash) return `entry ${tip.seq} no longer has the hash a checkpoint signed`;
    }
    const verifier = createChainVerifier(tip ?? undefined);
    for (;;) {
      const page = await store.listAudit({ afterSeq: tip?.seq ?? 0, limit: pageSize });
      for (const entry of page) {
        if (!verifier.add(entry)) {
          const result = verifier.result();
          return result.ok ? 'unreachable' : result.reason;
        }
        tip = { seq: entry.seq, hash: entry.hash };
      }
      if (page.length < pageSize) return null;
      await nextTurn();
    }
  }

  async function step(force: boolean): Promise<CheckpointOutcome> {
    await load();
    const diverged = await catchUp();
    if (diverged) return { status: 'diverged', reason: diverged };
    if (!tip || tip.seq === last?.seq) return { status: 'current' };
    const now = clock.now();
    const due =
      force || !last || tip.seq - last.seq >= options.everyEntries || now - last.at >= options.intervalMs;
    if (!due) return { status: 'not_due' };
    const checkpoint = anchor.signer.sign(tip, now);
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

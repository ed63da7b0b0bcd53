import {
  ANCHOR_EVENT,
  type AuditEntry,
  type AuditEventInput,
  type AuditStripeHead,
  chainAuditEntry,
  type JsonObject,
  newId,
  redactSecrets,
  redactText,
} from '@agent-otp/core';
import type { SqlDriver, SqlExecutor } from './sql-driver.ts';

// Locks the stripe's head row (a no-op write: SQLite already holds its one write lock, PostgreSQL
// takes the row lock and, once it has it, returns the newest committed head) and reads it.
const LOCK_HEAD_SQL =
  'UPDATE audit_heads SET stripe_seq = stripe_seq WHERE stripe = ? RETURNING stripe_seq, hash';
const SET_HEAD_SQL = 'UPDATE audit_heads SET stripe_seq = ?, hash = ? WHERE stripe = ?';
const ALL_HEADS_SQL = 'SELECT stripe, stripe_seq, hash FROM audit_heads ORDER BY stripe';
const STRIPE_COUNT_SQL = 'SELECT COUNT(*) AS n FROM audit_heads';
// SQLite has one writer at a time, so the next number is dense; PostgreSQL takes it from a
// sequence, which needs no lock (and leaves a gap where a transaction rolls back).
const NEXT_SEQ_SQL = {
  sqlite: 'SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM audit_log',
  postgres: "SELECT nextval('audit_log_seq') AS seq",
} as const;
const INSERT_SQL =
  'INSERT INTO audit_log (seq, stripe, stripe_seq, id, at, event, actor_type, actor_id, agent_id, permission_id, ' +
  'policy_version, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';

type Int = number | string | bigint;

/**
 * The event exactly as it will read back from the row: the hash must cover what is stored, or
 * the verifier would later report an untouched entry as modified (a Date in `details` reads back
 * as a string, an `undefined` agent id as null, extra actor fields are not stored at all).
 * This is also the one place every audit entry passes: token-shaped strings in the details
 * (values and keys, at any depth) and the actor are redacted here, before the entry is hashed,
 * so no service can write a credential into the audit log and the chain stays verifiable.
 */
function asStored(event: AuditEventInput): AuditEventInput {
  return {
    id: event.id,
    at: event.at,
    event: event.event,
    actor: { type: event.actor.type, id: redactText(event.actor.id) },
    agentId: event.agentId ?? null,
    permissionId: event.permissionId ?? null,
    policyVersion: event.policyVersion ?? null,
    details: redactSecrets(JSON.parse(JSON.stringify(event.details ?? {}))) as JsonObject,
  };
}

/** FNV-1a with a final avalanche (murmur3's fmix32): FNV's low bits alone spread poorly. */
function spread(text: string, stripes: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193);
  hash = Math.imul(hash ^ (hash >>> 16), 0x85ebca6b);
  hash = Math.imul(hash ^ (hash >>> 13), 0xc2b2ae35);
  return ((hash ^ (hash >>> 16)) >>> 0) % stripes;
}

/**
 * The stripe a transaction's entries go to: the permission's (else the agent's), so one
 * permission's history reads in one chain and its writers, which contend on its row anyway, add
 * no new contention; events of neither go to a random stripe.
 */
function stripeFor(event: AuditEventInput, stripes: number, anyStripe: boolean): number {
  if (stripes === 1) return 0;
  const key = anyStripe ? null : (event.permissionId ?? event.agentId);
  return key ? spread(key, stripes) : Math.floor(Math.random() * stripes);
}

export interface AuditWriterOptions {
  /** A cross-anchor entry is added each time a stripe passes a multiple of this many entries. */
  anchorEvery: number;
}

/** Appends audit entries inside a caller's transaction (one call per transaction). */
export interface AuditWriter {
  /**
   * `anyStripe`: the entries record no state change (a verify, a refused use), so they need not
   * read in their permission's chain and go to a random stripe: an agent hammering one spent
   * token then spreads its writes instead of queueing them all on one stripe's lock.
   */
  append(
    tx: SqlExecutor,
    events: readonly AuditEventInput[],
    options?: { anyStripe?: boolean },
  ): Promise<void>;
}

/**
 * Appends to one stripe per transaction, holding only that stripe's head row: writers on other
 * stripes go on in parallel. The head is read under the lock in the same transaction, and
 * (stripe, stripe_seq) is unique, so no two writers can extend the same head: no stripe forks.
 * With more than one stripe, a cross-anchor entry now and then records every stripe's head,
 * so a stripe cut short or rewritten shows against the others.
 */
export function createAuditWriter(
  driver: Pick<SqlDriver, 'dialect'>,
  options: AuditWriterOptions,
): AuditWriter {
  /** The stripe count, read once: stripes are only ever added (by migrate), never removed. */
  let stripes: number | null = null;
  const nextSeqSql = NEXT_SEQ_SQL[driver.dialect];

  async function insert(tx: SqlExecutor, entry: AuditEntry): Promise<void> {
    await tx.run(INSERT_SQL, [
      entry.seq,
      entry.stripe,
      entry.stripeSeq,
      entry.id,
      entry.at,
      entry.event,
      entry.actor.type,
      entry.actor.id,
      entry.agentId,
      entry.permissionId,
      entry.policyVersion,
      JSON.stringify(entry.details),
      entry.prevHash,
      entry.hash,
    ]);
  }

  /** The stripe's head and the last global seq, read under the stripe's lock. */
  async function readHead(tx: SqlExecutor, stripe: number): Promise<{ head: AuditStripeHead; seq: number }> {
    const row = await tx.get<{ stripe_seq: Int; hash: string }>(LOCK_HEAD_SQL, [stripe]);
    if (!row) throw new Error(`audit stripe ${stripe} has no head row`);
    return { head: { stripe, stripeSeq: Number(row.stripe_seq), hash: row.hash }, seq: 0 };
  }

  return {
    async append(tx, events, appendOptions = {}) {
      const first = events[0];
      if (!first) return;
      stripes ??= Number((await tx.get<{ n: Int }>(STRIPE_COUNT_SQL))?.n ?? 0);
      if (stripes < 1) throw new Error('the audit log has no stripes: run the database migrations');
      const stripe = stripeFor(first, stripes, appendOptions.anyStripe === true);
      // In a group commit on one stripe (SQLite's default), the head is read and locked once per
      // batch and written once before its COMMIT: the batch holds the only write lock, so no
      // other writer can move it in between. A transaction of the batch that rolls back restores
      // the head it started from. With several stripes each transaction reads and writes its
      // stripe's row, since a cross-anchor must see the other stripes' heads in the database.
      const batch = stripes === 1 ? tx.batch : undefined;
      const memoKey = `audit-head:${stripe}`;
      const kept = batch?.memo.get(memoKey) as { head: AuditStripeHead; seq: number } | undefined;
      const startState = kept ?? (await readHead(tx, stripe));
      let head = startState.head;
      const start = head.stripeSeq;
      // Taken under the stripe's lock, so seq grows along each stripe on every database.
      let seq = startState.seq;
      const nextSeq = async () => {
        if (driver.dialect === 'sqlite' && seq > 0) seq += 1;
        else seq = Number((await tx.get<{ seq: Int }>(nextSeqSql))?.seq);
        return seq;
      };
      for (const event of events) {
        const entry = chainAuditEntry(asStored(event), head, await nextSeq());
        await insert(tx, entry);
        head = entry;
      }
      if (
        stripes > 1 &&
        Math.floor(head.stripeSeq / options.anchorEvery) > Math.floor(start / options.anchorEvery)
      ) {
        head = await appendAnchor(tx, head, await nextSeq(), (events.at(-1) ?? first).at);
      }
      if (!batch) {
        await tx.run(SET_HEAD_SQL, [head.stripeSeq, head.hash, stripe]);
        return;
      }
      const ended = { head: { stripe, stripeSeq: head.stripeSeq, hash: head.hash }, seq };
      batch.memo.set(memoKey, ended);
      batch.onRollback(() => (kept ? batch.memo.set(memoKey, kept) : batch.memo.delete(memoKey)));
      batch.beforeCommit(memoKey, (final) => {
        const last = batch.memo.get(memoKey) as typeof ended | undefined;
        return last
          ? final.run(SET_HEAD_SQL, [last.head.stripeSeq, last.head.hash, stripe])
          : Promise.resolve();
      });
    },
  };

  /** A cross-anchor: every stripe's committed head (this one's as just written), as an entry of this stripe. */
  async function appendAnchor(tx: SqlExecutor, own: AuditStripeHead, seq: number, at: number) {
    const rows = await tx.all<{ stripe: Int; stripe_seq: Int; hash: string }>(ALL_HEADS_SQL);
    const heads = rows.map((r) =>
      Number(r.stripe) === own.stripe
        ? { stripe: own.stripe, stripeSeq: own.stripeSeq, hash: own.hash }
        : { stripe: Number(r.stripe), stripeSeq: Number(r.stripe_seq), hash: r.hash },
    );
    const event: AuditEventInput = {
      id: newId('audit'),
      at,
      event: ANCHOR_EVENT,
      actor: { type: 'system', id: 'audit' },
      agentId: null,
      permissionId: null,
      policyVersion: null,
      details: { heads },
    };
    const entry = chainAuditEntry(event, own, seq);
    await insert(tx, entry);
    return entry;
  }
}

import {
  type AuditEventInput,
  chainAuditEntry,
  type JsonObject,
  redactSecrets,
  redactText,
} from '@agent-otp/core';
import { lockAuditChain } from './dialect-sql.ts';
import type { SqlExecutor } from './sql-driver.ts';

const HEAD_SQL = 'SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1';
const INSERT_SQL =
  'INSERT INTO audit_log (seq, id, at, event, actor_type, actor_id, agent_id, permission_id, policy_version, ' +
  'details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)';

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

/**
 * Appends entries to the hash chain inside the caller's transaction. The head is read in the
 * same transaction that holds the write lock, and `seq` is the primary key, so two writers can
 * never both extend the same head: the chain cannot fork.
 */
export async function appendAuditEntries(tx: SqlExecutor, events: readonly AuditEventInput[]): Promise<void> {
  if (events.length === 0) return;
  await lockAuditChain(tx);
  const row = await tx.get<{ seq: number | string; hash: string }>(HEAD_SQL);
  let head = row ? { seq: Number(row.seq), hash: row.hash } : null;
  for (const event of events) {
    const entry = chainAuditEntry(asStored(event), head);
    await tx.run(INSERT_SQL, [
      entry.seq,
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
    head = { seq: entry.seq, hash: entry.hash };
  }
}

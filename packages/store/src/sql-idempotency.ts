import { AgentOtpError, type Store } from '@agent-otp/core';
import type { AuditWriter } from './audit-append.ts';
import { insertPermissionRow, requireActiveAgent } from './permission-insert.ts';
import { PERMISSION_COLUMNS, type PermissionRow, toPermission } from './rows.ts';
import type { SqlDriver } from './sql-driver.ts';

type IdempotencyMethods = Pick<Store, 'insertPermissionIdempotent' | 'purgeIdempotencyKeys'>;

// An expired claim of the same key is deleted first, so the key is free again after its lifetime.
const DELETE_EXPIRED_KEY = 'DELETE FROM idempotency_keys WHERE agent_id = ? AND key = ? AND expires_at <= ?';
// ON CONFLICT instead of a prior SELECT: two racing requests on PostgreSQL would both pass the
// SELECT; here the second waits for the first to commit and then inserts nothing.
const CLAIM_KEY =
  'INSERT INTO idempotency_keys (agent_id, key, request_hash, permission_id, created_at, expires_at) ' +
  'VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (agent_id, key) DO NOTHING';
const EXISTING = `SELECT k.request_hash AS request_hash, ${PERMISSION_COLUMNS.split(',')
  .map((column) => `p.${column.trim()}`)
  .join(
    ', ',
  )} FROM idempotency_keys k JOIN permissions p ON p.id = k.permission_id WHERE k.agent_id = ? AND k.key = ?`;

/** Idempotent permission requests (see Store.insertPermissionIdempotent). */
export function sqlIdempotencyMethods(driver: SqlDriver, writer: AuditWriter): IdempotencyMethods {
  return {
    insertPermissionIdempotent(permission, audit, key) {
      return driver.transaction(async (tx) => {
        await requireActiveAgent(tx, permission.agentId);
        await tx.run(DELETE_EXPIRED_KEY, [key.agentId, key.key, key.createdAt]);
        const claimed = await tx.run(CLAIM_KEY, [
          key.agentId,
          key.key,
          key.requestHash,
          permission.id,
          key.createdAt,
          key.expiresAt,
        ]);
        if (claimed.changes === 0) {
          const row = await tx.get<PermissionRow & { request_hash: string }>(EXISTING, [
            key.agentId,
            key.key,
          ]);
          // The claim and its permission commit together, so a claim without one is corruption.
          if (!row) throw new AgentOtpError('INTERNAL_ERROR', 'idempotency key without its permission');
          return { created: false as const, permission: toPermission(row), requestHash: row.request_hash };
        }
        await insertPermissionRow(tx, permission, audit, writer);
        return { created: true as const, permission };
      });
    },
    async purgeIdempotencyKeys(now) {
      const { changes } = await driver.run('DELETE FROM idempotency_keys WHERE expires_at <= ?', [now]);
      return changes;
    },
  };
}

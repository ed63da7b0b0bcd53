import {
  AgentOtpError,
  type AuditEventInput,
  type AuditQuery,
  type PermissionPatch,
  type PermissionQuery,
  type PermissionStatus,
  type Store,
} from '@agent-otp/core';
import { sql } from 'kysely';
import { appendAuditEntries } from './audit-append.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { migrateToLatest } from './migrate.ts';
import { insertPermissionRow, requireActiveAgent } from './permission-insert.ts';
import {
  AGENT_COLUMNS,
  type AgentRow,
  type AuditRow,
  PERMISSION_COLUMNS,
  type PermissionRow,
  toAgent,
  toAuditEntry,
  toPermission,
} from './rows.ts';
import { sqlApprovalMethods } from './sql-approvals.ts';
import { sqlDisableMethods } from './sql-disable.ts';
import type { SqlDriver } from './sql-driver.ts';
import { sqlHumanMethods } from './sql-humans.ts';
import { sqlIdempotencyMethods } from './sql-idempotency.ts';

// The spend of one use, as one conditional write (see Store.consumeUse).
const CONSUME_USE =
  "UPDATE permissions SET uses_remaining = CASE WHEN uses_remaining IS NULL THEN NULL ELSE uses_remaining - 1 END, status = CASE WHEN uses_remaining = 1 THEN 'used' ELSE status END, updated_at = ? " +
  "WHERE id = ? AND status = 'approved' AND token_hash = ? AND expires_at > ? AND (uses_remaining IS NULL OR uses_remaining > 0) " +
  `RETURNING ${PERMISSION_COLUMNS}`;

/** Patchable permission fields and their columns; JSON fields are serialised on write. */
const PATCH_COLUMNS: Record<keyof PermissionPatch, string> = {
  status: 'status',
  grantedScope: 'granted_scope',
  reason: 'reason',
  tokenHash: 'token_hash',
  usesRemaining: 'uses_remaining',
  decidedAt: 'decided_at',
  expiresAt: 'expires_at',
  ttlSeconds: 'ttl_seconds',
};

/** The Store port over any SqlDriver (SQLite now; PostgreSQL implements the same driver). */
export function createSqlStore(driver: SqlDriver): Store {
  const { kysely } = driver;

  const agentBy = async (column: 'id' | 'name' | 'key_hash', value: string) => {
    const row = await driver.get<AgentRow>(`SELECT ${AGENT_COLUMNS} FROM agents WHERE ${column} = ?`, [
      value,
    ]);
    return row ? toAgent(row) : null;
  };

  const updateAgent = (id: string, set: string, params: unknown[], audit: AuditEventInput) =>
    driver.transaction(async (tx) => {
      const row = await tx.get<AgentRow>(`UPDATE agents SET ${set} WHERE id = ? RETURNING ${AGENT_COLUMNS}`, [
        ...params,
        id,
      ]);
      if (!row) return null;
      await appendAuditEntries(tx, [audit]);
      return toAgent(row);
    });

  /** One conditional UPDATE of a permission and its audit entries, in one transaction. */
  const patchWhere = (
    id: string,
    patch: PermissionPatch,
    audit: AuditEventInput[],
    condition: string,
    conditionParams: readonly unknown[],
  ) => {
    const fields = Object.entries(patch).filter(([, value]) => value !== undefined) as [
      keyof PermissionPatch,
      unknown,
    ][];
    const set = fields.map(([key]) => `${PATCH_COLUMNS[key]} = ?`).join(', ');
    const values = fields.map(([key, value]) =>
      key === 'grantedScope' && value !== null ? JSON.stringify(value) : value,
    );
    const sql =
      `UPDATE permissions SET ${set ? `${set}, ` : ''}updated_at = ? ` +
      `WHERE id = ? AND ${condition} RETURNING ${PERMISSION_COLUMNS}`;
    const now = audit[0]?.at ?? Date.now();
    return driver.transaction(async (tx) => {
      const row = await tx.get<PermissionRow>(sql, [...values, now, id, ...conditionParams]);
      if (!row) return null;
      await appendAuditEntries(tx, audit);
      return toPermission(row);
    });
  };

  return {
    ...sqlHumanMethods(driver),
    ...sqlApprovalMethods(driver),
    ...sqlDisableMethods(driver),
    ...sqlIdempotencyMethods(driver),
    async migrate() {
      await migrateToLatest(kysely);
    },
    async ping() {
      await driver.get('SELECT 1 AS ok');
    },
    close: () => driver.close(),

    async createAgent(agent, audit) {
      await driver.transaction(async (tx) => {
        // Only a unique violation of the agent row itself is a name conflict; one from the audit
        // insert (a duplicate event id) is a programming error and must not read as "name taken".
        try {
          await tx.run(`INSERT INTO agents (${AGENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`, [
            agent.id,
            agent.name,
            agent.status,
            agent.keyHash,
            agent.keyPrefix,
            agent.createdAt,
            agent.updatedAt,
          ]);
        } catch (error) {
          if (driver.isUniqueViolation(error)) {
            throw new AgentOtpError('CONFLICT', `an agent named "${agent.name}" already exists`, {
              field: 'name',
            });
          }
          throw error;
        }
        await appendAuditEntries(tx, [audit]);
      });
    },
    getAgent: (id) => agentBy('id', id),
    getAgentByName: (name) => agentBy('name', name),
    getAgentByKeyHash: (keyHash) => agentBy('key_hash', keyHash),
    async listAgents() {
      const rows = await driver.all<AgentRow>(`SELECT ${AGENT_COLUMNS} FROM agents ORDER BY created_at, id`);
      return rows.map(toAgent);
    },
    updateAgentKey: (id, keyHash, keyPrefix, now, audit) =>
      updateAgent(id, 'key_hash = ?, key_prefix = ?, updated_at = ?', [keyHash, keyPrefix, now], audit),

    async insertPermission(permission, audit) {
      await driver.transaction(async (tx) => {
        // Checked in the same transaction (and, on PostgreSQL, holding the agent row): a request
        // racing a disable either lands first, and the disable then ends it, or is refused here.
        await requireActiveAgent(tx, permission.agentId);
        await insertPermissionRow(tx, permission, audit);
      });
    },
    async getPermission(id) {
      const row = await driver.get<PermissionRow>(
        `SELECT ${PERMISSION_COLUMNS} FROM permissions WHERE id = ?`,
        [id],
      );
      return row ? toPermission(row) : null;
    },
    async listPermissions(query: PermissionQuery) {
      let q = kysely.selectFrom('permissions').selectAll();
      if (query.agentId) q = q.where('agent_id', '=', query.agentId);
      if (query.status) q = q.where('status', '=', query.status);
      if (query.statuses) q = q.where('status', 'in', query.statuses.length > 0 ? [...query.statuses] : ['']);
      if (query.action) q = q.where('action', '=', query.action);
      if (query.since !== undefined) q = q.where('created_at', '>=', query.since);
      if (query.until !== undefined) q = q.where('created_at', '<', query.until);
      if (query.text) {
        const pattern = `%${likeEscape(query.text.toLowerCase())}%`;
        // lower() on both sides: SQLite's LIKE ignores ASCII case and PostgreSQL's does not.
        const like = (column: 'id' | 'action' | 'resource' | 'reason') =>
          sql<boolean>`lower(${sql.ref(column)}) LIKE ${pattern} ESCAPE '\\'`;
        q = q.where((eb) => eb.or([like('id'), like('action'), like('resource'), like('reason')]));
      }
      if (query.cursor) {
        const { createdAt, id } = decodeCursor(query.cursor);
        q = q.where((eb) =>
          eb.or([
            eb('created_at', '<', createdAt),
            eb.and([eb('created_at', '=', createdAt), eb('id', '<', id)]),
          ]),
        );
      }
      const compiled = q
        .orderBy('created_at', 'desc')
        .orderBy('id', 'desc')
        .limit(query.limit + 1)
        .compile();
      const rows = await driver.all<PermissionRow>(compiled.sql, compiled.parameters);
      const items = rows.slice(0, query.limit).map(toPermission);
      const last = items[items.length - 1];
      return {
        items,
        nextCursor: rows.length > query.limit && last ? encodeCursor(last.createdAt, last.id) : null,
      };
    },
    transitionPermission(id, from: readonly PermissionStatus[], patch, audit) {
      // An empty `from` can never match; PostgreSQL rejects `IN ()` outright, so answer here.
      if (from.length === 0) return Promise.resolve(null);
      return patchWhere(id, patch, audit, `status IN (${from.map(() => '?').join(', ')})`, from);
    },
    approvePending(id, patch, audit) {
      return patchWhere(
        id,
        patch,
        audit,
        "status = 'pending' AND NOT EXISTS (SELECT 1 FROM approval_votes v WHERE v.permission_id = permissions.id AND v.decision = 'deny')",
        [],
      );
    },
    consumeUse(id, tokenHash, now, audit) {
      return driver.transaction(async (tx) => {
        const row = await tx.get<PermissionRow>(CONSUME_USE, [now, id, tokenHash, now]);
        if (!row) return null;
        await appendAuditEntries(tx, audit);
        return toPermission(row);
      });
    },
    async listDueForExpiry(now, limit) {
      const rows = await driver.all<PermissionRow>(
        `SELECT ${PERMISSION_COLUMNS} FROM permissions WHERE status IN ('pending', 'approved') AND expires_at <= ? ORDER BY expires_at, id LIMIT ?`,
        [now, limit],
      );
      return rows.map(toPermission);
    },

    appendAudit: (entries) => driver.transaction((tx) => appendAuditEntries(tx, entries)),
    async listAudit(query: AuditQuery) {
      let q = kysely.selectFrom('audit_log').selectAll();
      if (query.afterSeq !== undefined) q = q.where('seq', '>', query.afterSeq);
      if (query.beforeSeq !== undefined) q = q.where('seq', '<', query.beforeSeq);
      if (query.agentId) q = q.where('agent_id', '=', query.agentId);
      if (query.permissionId) q = q.where('permission_id', '=', query.permissionId);
      if (query.event) q = q.where('event', '=', query.event);
      if (query.since !== undefined) q = q.where('at', '>=', query.since);
      if (query.until !== undefined) q = q.where('at', '<', query.until);
      const compiled = q
        .orderBy('seq', query.order === 'desc' ? 'desc' : 'asc')
        .limit(query.limit)
        .compile();
      return (await driver.all<AuditRow>(compiled.sql, compiled.parameters)).map(toAuditEntry);
    },
  };
}

/** A LIKE pattern's literal text: its wildcards and the escape character itself, escaped. */
function likeEscape(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

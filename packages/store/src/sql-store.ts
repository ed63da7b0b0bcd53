import {
  AgentOtpError,
  type AuditEventInput,
  type AuditQuery,
  GENESIS_HASH,
  type PermissionPatch,
  type PermissionQuery,
  type PermissionStatus,
  type Store,
} from '@agent-otp/core';
import { sql } from 'kysely';
import { createAuditWriter } from './audit-append.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { dialectSql } from './dialect-sql.ts';
import { migrateToLatest } from './migrate.ts';
import { insertPermissionRow, requireActiveAgent } from './permission-insert.ts';
import {
  AGENT_COLUMNS,
  type AgentRow,
  type AuditHeadRow,
  type AuditRow,
  PERMISSION_COLUMNS,
  type PermissionRow,
  toAgent,
  toAuditEntry,
  toAuditHead,
  toPermission,
} from './rows.ts';
import { sqlApprovalMethods } from './sql-approvals.ts';
import { sqlDisableMethods } from './sql-disable.ts';
import type { SqlDriver } from './sql-driver.ts';
import { sqlHumanMethods } from './sql-humans.ts';
import { sqlIdempotencyMethods } from './sql-idempotency.ts';
import { sqlPolicyVersionMethods } from './sql-policy-versions.ts';
import { sqlSlackMethods } from './sql-slack.ts';
import { sqlTelegramMethods } from './sql-telegram.ts';
import { sqlWebhookMethods } from './sql-webhooks.ts';

/**
 * Adds the head rows of missing stripes, up to `count` (each starts empty, at the genesis). Safe
 * to run from several processes at once; never removes a stripe.
 */
async function addAuditStripes(driver: SqlDriver, count: number): Promise<void> {
  for (let stripe = 1; stripe < count; stripe += 1) {
    await driver.run(
      'INSERT INTO audit_heads (stripe, stripe_seq, hash) VALUES (?, 0, ?) ON CONFLICT (stripe) DO NOTHING',
      [stripe, GENESIS_HASH],
    );
  }
}

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

export interface SqlStoreOptions {
  /**
   * How many hash chains (stripes) the audit log has at least: writers on different stripes do
   * not wait for each other. Default 1 on SQLite (one writer at a time anyway) and 16 on
   * PostgreSQL. `migrate()` adds missing stripes; a log never loses stripes, so a lower number
   * than the database has changes nothing.
   */
  auditStripes?: number;
  /** A cross-anchor entry each time a stripe passes a multiple of this many entries (default 128). */
  auditAnchorEvery?: number;
}

const MAX_AUDIT_STRIPES = 256;

/** The Store port over any SqlDriver (SQLite now; PostgreSQL implements the same driver). */
export function createSqlStore(driver: SqlDriver, options: SqlStoreOptions = {}): Store {
  const { kysely } = driver;
  const stripes = options.auditStripes ?? (driver.dialect === 'postgres' ? 16 : 1);
  const anchorEvery = options.auditAnchorEvery ?? 128;
  if (!Number.isInteger(stripes) || stripes < 1 || stripes > MAX_AUDIT_STRIPES)
    throw new Error(`auditStripes must be an integer from 1 to ${MAX_AUDIT_STRIPES}, got ${stripes}`);
  if (!Number.isInteger(anchorEvery) || anchorEvery < 1)
    throw new Error(`auditAnchorEvery must be a positive integer, got ${anchorEvery}`);
  const writer = createAuditWriter(driver, { anchorEvery });

  const agentBy = async (column: 'id' | 'name', value: string) => {
    const row = await driver.get<AgentRow>(`SELECT ${AGENT_COLUMNS} FROM agents WHERE ${column} = ?`, [
      value,
    ]);
    return row ? toAgent(row) : null;
  };

  /** One conditional UPDATE of an agent (`where` adds a compare-and-set) with its audit entry. */
  const updateAgent = (
    id: string,
    set: string,
    params: unknown[],
    audit: AuditEventInput,
    where: [string, unknown[]] = ['1 = 1', []],
  ) =>
    driver.transaction(async (tx) => {
      const row = await tx.get<AgentRow>(
        `UPDATE agents SET ${set} WHERE id = ? AND ${where[0]} RETURNING ${AGENT_COLUMNS}`,
        [...params, id, ...where[1]],
      );
      if (!row) return null;
      await writer.append(tx, [audit]);
      return toAgent(row);
    });

  /** One conditional UPDATE of a permission and its audit entries, in one transaction. */
  const patchWhere = (
    id: string,
    patch: PermissionPatch,
    audit: AuditEventInput[],
    condition: string,
    conditionParams: readonly unknown[],
    /** The condition reads another table: lock the row first (see dialect-sql.ts). */
    lockFirst = false,
  ) => {
    // A human's decision is what a waiting agent waits for: committed at once (TransactionOptions).
    const urgent = patch.status === 'approved' || patch.status === 'denied';
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
    const lock = lockFirst ? dialectSql(driver.dialect).lockPermission : null;
    return driver.transaction(
      async (tx) => {
        if (lock) await tx.get(lock, [id]);
        const row = await tx.get<PermissionRow>(sql, [...values, now, id, ...conditionParams]);
        if (!row) return null;
        await writer.append(tx, audit);
        return toPermission(row);
      },
      { urgent },
    );
  };

  return {
    ...sqlHumanMethods(driver, writer),
    ...sqlApprovalMethods(driver, writer),
    ...sqlDisableMethods(driver, writer),
    ...sqlIdempotencyMethods(driver, writer),
    ...sqlWebhookMethods(driver, writer),
    ...sqlSlackMethods(driver, writer),
    ...sqlTelegramMethods(driver, writer),
    ...sqlPolicyVersionMethods(driver, writer),
    async migrate() {
      await migrateToLatest(kysely);
      await addAuditStripes(driver, stripes);
    },
    async ping() {
      await driver.get('SELECT 1 AS ok');
    },
    close: () => driver.close(),
    async claimSetting(key, value, now) {
      // Not a transaction: ON CONFLICT waits for a concurrent insert of the key to commit, and
      // the SELECT that follows is a new statement that sees whichever value won.
      await driver.run(
        'INSERT INTO settings (key, value, created_at) VALUES (?, ?, ?) ON CONFLICT (key) DO NOTHING',
        [key, value, now],
      );
      const row = await driver.get<{ value: string }>('SELECT value FROM settings WHERE key = ?', [key]);
      if (!row) throw new AgentOtpError('INTERNAL_ERROR', `setting ${key} vanished after it was stored`);
      return row.value;
    },

    async createAgent(agent, audit) {
      await driver.transaction(async (tx) => {
        // Only a unique violation of the agent row itself is a name conflict; one from the audit
        // insert (a duplicate event id) is a programming error and must not read as "name taken".
        try {
          await tx.run(`INSERT INTO agents (${AGENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, [
            agent.id,
            agent.name,
            agent.status,
            agent.keyHash,
            agent.keyPrefix,
            agent.expiresAt,
            agent.previousKey?.hash ?? null,
            agent.previousKey?.prefix ?? null,
            agent.previousKey?.expiresAt ?? null,
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
        await writer.append(tx, [audit]);
      });
    },
    getAgent: (id) => agentBy('id', id),
    getAgentByName: (name) => agentBy('name', name),
    // One statement over two indexes (the unique key_hash and agents_previous_key_hash).
    async getAgentByKeyHash(keyHash) {
      const row = await driver.get<AgentRow>(
        `SELECT ${AGENT_COLUMNS} FROM agents WHERE key_hash = ? OR previous_key_hash = ?`,
        [keyHash, keyHash],
      );
      return row ? toAgent(row) : null;
    },
    async listAgents() {
      const rows = await driver.all<AgentRow>(`SELECT ${AGENT_COLUMNS} FROM agents ORDER BY created_at, id`);
      return rows.map(toAgent);
    },
    // The right-hand sides read the row as it was, so the replaced key moves to previous_* in
    // the same write that installs the new one: no moment where neither key is found.
    updateAgentKey: (id, keyHash, keyPrefix, now, audit, previousKeyUntil = null) =>
      previousKeyUntil === null
        ? updateAgent(
            id,
            'key_hash = ?, key_prefix = ?, previous_key_hash = NULL, previous_key_prefix = NULL, ' +
              'previous_key_expires_at = NULL, updated_at = ?',
            [keyHash, keyPrefix, now],
            audit,
          )
        : updateAgent(
            id,
            'previous_key_hash = key_hash, previous_key_prefix = key_prefix, previous_key_expires_at = ?, ' +
              'key_hash = ?, key_prefix = ?, updated_at = ?',
            [previousKeyUntil, keyHash, keyPrefix, now],
            audit,
          ),
    setAgentExpiry: (id, expiresAt, now, audit) =>
      updateAgent(id, 'expires_at = ?, updated_at = ?', [expiresAt, now], audit),
    revokePreviousAgentKey: (id, now, audit) =>
      updateAgent(
        id,
        'previous_key_hash = NULL, previous_key_prefix = NULL, previous_key_expires_at = NULL, updated_at = ?',
        [now],
        audit,
        ['previous_key_hash IS NOT NULL AND previous_key_expires_at > ?', [now]],
      ),

    async insertPermission(permission, audit) {
      await driver.transaction(async (tx) => {
        // Checked in the same transaction (and, on PostgreSQL, holding the agent row): a request
        // racing a disable either lands first, and the disable then ends it, or is refused here.
        await requireActiveAgent(tx, permission.agentId);
        await insertPermissionRow(tx, permission, audit, writer);
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
        true,
      );
    },
    consumeUse(id, tokenHash, now, audit) {
      return driver.transaction(async (tx) => {
        const row = await tx.get<PermissionRow>(CONSUME_USE, [now, id, tokenHash, now]);
        if (!row) return null;
        await writer.append(tx, audit);
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

    appendAudit: (entries) => driver.transaction((tx) => writer.append(tx, entries, { anyStripe: true })),
    async auditHeads() {
      const rows = await driver.all<AuditHeadRow>(
        'SELECT stripe, stripe_seq, hash FROM audit_heads ORDER BY stripe',
      );
      return rows.map(toAuditHead);
    },
    async listAudit(query: AuditQuery) {
      let q = kysely.selectFrom('audit_log').selectAll();
      if (query.stripe !== undefined) q = q.where('stripe', '=', query.stripe);
      if (query.afterStripeSeq !== undefined) q = q.where('stripe_seq', '>', query.afterStripeSeq);
      if (query.afterSeq !== undefined) q = q.where('seq', '>', query.afterSeq);
      if (query.beforeSeq !== undefined) q = q.where('seq', '<', query.beforeSeq);
      if (query.agentId) q = q.where('agent_id', '=', query.agentId);
      if (query.permissionId) q = q.where('permission_id', '=', query.permissionId);
      if (query.event) q = q.where('event', '=', query.event);
      if (query.since !== undefined) q = q.where('at', '>=', query.since);
      if (query.until !== undefined) q = q.where('at', '<', query.until);
      const compiled = q
        // One stripe reads in its chain order (the unique index on stripe, stripe_seq).
        .orderBy(query.stripe === undefined ? 'seq' : 'stripe_seq', query.order === 'desc' ? 'desc' : 'asc')
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

import { type Kysely, SqliteAdapter } from 'kysely';

/**
 * Agents, permissions and the audit chain. Times are epoch milliseconds (bigint); JSON is
 * stored as text so both SQLite and PostgreSQL return exactly what was written.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('agents')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('name', 'text', (c) => c.notNull().unique())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('key_prefix', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('permissions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('agent_id', 'text', (c) => c.notNull().references('agents.id'))
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('resource', 'text')
    .addColumn('requested_scope', 'text', (c) => c.notNull())
    .addColumn('granted_scope', 'text')
    .addColumn('context', 'text', (c) => c.notNull())
    .addColumn('ttl_seconds', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('decision', 'text', (c) => c.notNull())
    .addColumn('policy_rule', 'text')
    .addColumn('policy_version', 'text', (c) => c.notNull())
    .addColumn('reason', 'text')
    .addColumn('token_hash', 'text')
    .addColumn('uses_remaining', 'integer')
    .addColumn('approvals_required', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('decided_at', 'bigint')
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('permissions_agent_created')
    .on('permissions')
    .columns(['agent_id', 'created_at', 'id'])
    .execute();
  await db.schema
    .createIndex('permissions_status_expires')
    .on('permissions')
    .columns(['status', 'expires_at'])
    .execute();

  // In SQLite, `integer primary key` makes seq the rowid itself (no second index to write);
  // elsewhere seq is a 64-bit key. Audit ids are 128-bit random and not indexed: the chain is
  // keyed by seq, and every index here is written on every audited request.
  const seqType = db.getExecutor().adapter instanceof SqliteAdapter ? 'integer' : 'bigint';
  await db.schema
    .createTable('audit_log')
    .addColumn('seq', seqType, (c) => c.primaryKey())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('event', 'text', (c) => c.notNull())
    .addColumn('actor_type', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text', (c) => c.notNull())
    .addColumn('agent_id', 'text')
    .addColumn('permission_id', 'text')
    .addColumn('policy_version', 'text')
    .addColumn('details', 'text', (c) => c.notNull())
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('audit_agent').on('audit_log').columns(['agent_id', 'seq']).execute();
  await db.schema.createIndex('audit_permission').on('audit_log').columns(['permission_id', 'seq']).execute();
  // No index on event or time: every index is written on every audited request, while
  // filtering by them is an occasional admin query that can scan in sequence order.
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('audit_log').execute();
  await db.schema.dropTable('permissions').execute();
  await db.schema.dropTable('agents').execute();
}

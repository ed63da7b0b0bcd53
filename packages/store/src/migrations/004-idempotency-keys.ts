import type { Kysely } from 'kysely';

/**
 * Idempotency keys of permission requests. The primary key (agent_id, key) is what makes a
 * repeated request race-free: of concurrent inserts of one key, one wins and the others see
 * its row. `permission_id` carries no foreign key on purpose: the claim is inserted first, in
 * the same transaction as its permission, so that a losing caller writes nothing at all.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('idempotency_keys')
    .addColumn('agent_id', 'text', (c) => c.notNull().references('agents.id'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('permission_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('idempotency_keys_pk', ['agent_id', 'key'])
    .execute();
  // For the purge of expired keys by the expiry sweeper.
  await db.schema
    .createIndex('idempotency_keys_expires')
    .on('idempotency_keys')
    .column('expires_at')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('idempotency_keys').execute();
}

import type { Kysely } from 'kysely';

/**
 * Settings of the installation that live with its data, one value per key. The first is the
 * fingerprint of the server secret (an HMAC under it, never the secret), so an instance started
 * with another secret file is refused instead of silently failing every key and token check.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('settings')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('settings').execute();
}

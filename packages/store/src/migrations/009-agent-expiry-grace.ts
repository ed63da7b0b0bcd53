import type { Kysely } from 'kysely';

/**
 * An agent's optional expiry, and the key a rotation with a grace period keeps alive for a
 * while: only its HMAC (like the current key's), its display prefix and when the grace ends.
 * Keys are looked up by hash, so the previous key's hash is indexed like the current one; it is
 * not unique because it is NULL on most rows.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('agents').addColumn('expires_at', 'bigint').execute();
  await db.schema.alterTable('agents').addColumn('previous_key_hash', 'text').execute();
  await db.schema.alterTable('agents').addColumn('previous_key_prefix', 'text').execute();
  await db.schema.alterTable('agents').addColumn('previous_key_expires_at', 'bigint').execute();
  await db.schema.createIndex('agents_previous_key_hash').on('agents').column('previous_key_hash').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('agents_previous_key_hash').execute();
  for (const column of [
    'previous_key_expires_at',
    'previous_key_prefix',
    'previous_key_hash',
    'expires_at',
  ]) {
    await db.schema.alterTable('agents').dropColumn(column).execute();
  }
}

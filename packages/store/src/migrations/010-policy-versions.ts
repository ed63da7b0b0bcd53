import type { Kysely } from 'kysely';

/**
 * Every policy version a server has run: its content hash, the YAML source, the first time it
 * went into force and what put it there. One row per version (the primary key), so instances
 * starting with the same file record it once.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('policy_versions')
    .addColumn('version', 'text', (c) => c.primaryKey())
    .addColumn('source', 'text', (c) => c.notNull())
    .addColumn('first_in_force_at', 'bigint', (c) => c.notNull())
    .addColumn('origin', 'text', (c) => c.notNull())
    .addColumn('actor_type', 'text', (c) => c.notNull())
    .addColumn('actor_id', 'text', (c) => c.notNull())
    .addColumn('rules', 'integer', (c) => c.notNull())
    .execute();
  // The history lists newest first and pages by (first_in_force_at, version).
  await db.schema
    .createIndex('policy_versions_recent')
    .on('policy_versions')
    .columns(['first_in_force_at', 'version'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('policy_versions').execute();
}

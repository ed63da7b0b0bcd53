import type { Kysely } from 'kysely';

/**
 * How `use` treats absent details (`lenient` or `strict`), stored with each permission when its
 * rule decides it, so a later policy reload cannot change an issued token's rules. Rows written
 * before this column existed were issued under the lenient behaviour and keep it.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('permissions')
    .addColumn('enforcement', 'text', (c) => c.notNull().defaultTo('lenient'))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('permissions').dropColumn('enforcement').execute();
}

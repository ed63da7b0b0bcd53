import { type Kysely, SqliteAdapter, sql } from 'kysely';

/** The hash before the first entry of a stripe (GENESIS_HASH in core; a migration stays frozen). */
const GENESIS = '0'.repeat(64);

/**
 * The audit log as several hash chains ("stripes", see docs/architecture.md): each entry gets
 * its place in a stripe, and `audit_heads` holds each stripe's newest entry, the row a writer
 * locks to extend that stripe. Existing entries become stripe 0's chain exactly as they are:
 * their place is their seq and their hashes are not touched. Only stripe 0 is created here; the
 * store adds the stripes it is configured for (and never removes any).
 *
 * On PostgreSQL the global `seq` comes from a sequence from now on (no global lock; gaps where a
 * transaction rolled back); SQLite, one writer at a time, keeps taking the next number.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  const sqlite = db.getExecutor().adapter instanceof SqliteAdapter;
  const seqType = sqlite ? 'integer' : 'bigint';
  await db.schema
    .alterTable('audit_log')
    .addColumn('stripe', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
  await db.schema
    .alterTable('audit_log')
    .addColumn('stripe_seq', seqType, (c) => c.notNull().defaultTo(0))
    .execute();
  await sql`UPDATE audit_log SET stripe_seq = seq`.execute(db);
  // One entry per place in a stripe: two writers can never both extend the same head.
  await db.schema
    .createIndex('audit_stripe')
    .on('audit_log')
    .columns(['stripe', 'stripe_seq'])
    .unique()
    .execute();
  await db.schema
    .createTable('audit_heads')
    .addColumn('stripe', 'integer', (c) => c.primaryKey())
    .addColumn('stripe_seq', seqType, (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull())
    .execute();
  const { rows } = await sql<{ seq: number | string; hash: string }>`
    SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1`.execute(db);
  const head = rows[0];
  await sql`INSERT INTO audit_heads (stripe, stripe_seq, hash) VALUES (0, ${head ? Number(head.seq) : 0}, ${head?.hash ?? GENESIS})`.execute(
    db,
  );
  if (!sqlite) {
    await sql`CREATE SEQUENCE audit_log_seq`.execute(db);
    await sql`SELECT setval('audit_log_seq', (SELECT COALESCE(MAX(seq), 0) FROM audit_log) + 1, false)`.execute(
      db,
    );
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (!(db.getExecutor().adapter instanceof SqliteAdapter)) {
    await sql`DROP SEQUENCE audit_log_seq`.execute(db);
  }
  await db.schema.dropTable('audit_heads').execute();
  await db.schema.dropIndex('audit_stripe').execute();
  await db.schema.alterTable('audit_log').dropColumn('stripe_seq').execute();
  await db.schema.alterTable('audit_log').dropColumn('stripe').execute();
}

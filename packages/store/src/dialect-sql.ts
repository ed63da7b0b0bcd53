export type Dialect = 'sqlite' | 'postgres';

/**
 * The only statements that differ between the databases; everything else in this package is
 * portable SQL. SQLite runs one write transaction at a time (BEGIN IMMEDIATE), so it needs no
 * row or advisory locks; PostgreSQL runs them concurrently under READ COMMITTED and needs each
 * lock named here (the audit log's stripe locks are portable: see audit-append.ts).
 */
const STATEMENTS = {
  sqlite: {
    // A plain read: SQLite serialises write transactions, so it sees a committed disable or runs
    // wholly before it (and a no-op UPDATE would be written to the WAL on every request).
    lockActiveAgent: "SELECT id FROM agents WHERE id = ? AND status = 'active'",
    lockPermission: null,
  },
  postgres: {
    // FOR SHARE: requests of one agent proceed in parallel while a disable's UPDATE of the row
    // waits for them; a request arriving after the disable waits for it and re-checks the status.
    lockActiveAgent: "SELECT id FROM agents WHERE id = ? AND status = 'active' FOR SHARE",
    // Taken before an UPDATE whose condition reads another table (approvePending reads the
    // votes): once the lock is held, the next statement's snapshot sees what the lock holder
    // committed, which a re-check of the UPDATE itself would not (it re-reads only the row).
    lockPermission: 'SELECT id FROM permissions WHERE id = ? FOR UPDATE',
  },
} as const satisfies Record<Dialect, Record<string, string | null>>;

export function dialectSql(dialect: Dialect) {
  return STATEMENTS[dialect];
}

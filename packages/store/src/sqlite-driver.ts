import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type { Database as Tables, SqlDriver, SqlExecutor } from './sql-driver.ts';

type Statement = Database.Statement<unknown[], unknown>;

/**
 * better-sqlite3 with WAL. One connection serves the process, so transactions are serialised
 * by an in-process queue: while one transaction awaits between its statements, no other
 * statement may run on the connection (it would join the open transaction). Other processes
 * (the CLI on the same file) are kept out by SQLite's own lock, waited on for up to 5 s.
 */
export function createSqliteDriver(file: string): SqlDriver {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');

  const statements = new Map<string, Statement>();
  const prepare = (sql: string): Statement => {
    let statement = statements.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      statements.set(sql, statement);
    }
    return statement;
  };

  const direct: SqlExecutor = {
    get: async <T>(sql: string, params: readonly unknown[] = []) => prepare(sql).get(...params) as T | undefined,
    all: async <T>(sql: string, params: readonly unknown[] = []) => prepare(sql).all(...params) as T[],
    run: async (sql: string, params: readonly unknown[] = []) => ({ changes: prepare(sql).run(...params).changes }),
  };

  // The queue: `tail` settles when the last queued transaction has finished.
  let tail: Promise<unknown> = Promise.resolve();
  let busy = false;
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(async () => {
      busy = true;
      try {
        return await fn();
      } finally {
        busy = false;
      }
    });
    tail = run.catch(() => undefined);
    return run;
  };
  // Single statements run at once when no transaction is open (the common case), else queue.
  const single = <T>(fn: () => Promise<T>): Promise<T> => (busy ? exclusive(fn) : fn());

  return {
    dialect: 'sqlite',
    kysely: new Kysely<Tables>({ dialect: new SqliteDialect({ database: db }) }),
    get: (sql, params) => single(() => direct.get(sql, params)),
    all: (sql, params) => single(() => direct.all(sql, params)),
    run: (sql, params) => single(() => direct.run(sql, params)),
    transaction: (fn) =>
      exclusive(async () => {
        prepare('BEGIN IMMEDIATE').run();
        try {
          const result = await fn(direct);
          prepare('COMMIT').run();
          return result;
        } catch (error) {
          if (db.inTransaction) prepare('ROLLBACK').run();
          throw error;
        }
      }),
    isUniqueViolation: (error) =>
      error instanceof Error && (error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE',
    close: async () => {
      await tail;
      db.close();
    },
  };
}

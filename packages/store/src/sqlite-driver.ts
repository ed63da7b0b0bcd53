import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { Kysely, SqliteDialect } from 'kysely';
import type {
  CommitBatch,
  SqlDriver,
  SqlExecutor,
  Database as Tables,
  TransactionOptions,
} from './sql-driver.ts';

type Statement = Database.Statement<unknown[], unknown>;

/** How long a statement or a transaction waits for another connection's write lock. */
const LOCK_TIMEOUT_MS = 5000;

/**
 * better-sqlite3 with WAL. One connection serves the process, so transactions are serialised
 * by an in-process queue: while one transaction awaits between its statements, no other
 * statement may run on the connection (it would join the open transaction). Other processes
 * (the CLI on the same file) are kept out by SQLite's own lock, waited on for up to 5 s.
 *
 * A transaction waits for that lock asynchronously: SQLite's busy handler sleeps inside the
 * synchronous call and would freeze the event loop, and when the lock holder is another
 * connection in the same process (whose transaction resumes on this event loop) it could never
 * be released, so every contended BEGIN failed after 5 s.
 */
export function createSqliteDriver(file: string): SqlDriver {
  if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
  const db = new Database(file);
  // The database holds hashes and the audit log: readable by the service's user only.
  if (file !== ':memory:') chmodSync(file, 0o600);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma(`busy_timeout = ${LOCK_TIMEOUT_MS}`);
  db.pragma('foreign_keys = ON');
  // Checkpoints are run by `checkpointLater` below, not inside a COMMIT: SQLite's automatic
  // checkpoint copies the WAL into the database (and fsyncs it) within whichever commit crosses
  // the threshold, a stall of 10–30 ms that an agent waiting on that commit saw (the tail of
  // the approval-to-token latency).
  db.pragma('wal_autocheckpoint = 0');

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
    dialect: 'sqlite',
    get: async <T>(sql: string, params: readonly unknown[] = []) =>
      prepare(sql).get(...params) as T | undefined,
    all: async <T>(sql: string, params: readonly unknown[] = []) => prepare(sql).all(...params) as T[],
    run: async (sql: string, params: readonly unknown[] = []) => ({
      changes: prepare(sql).run(...params).changes,
    }),
  };

  // The queue: `tail` settles when the last queued transaction has finished.
  let tail: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn);
    tail = run.catch(() => undefined);
    return run;
  };
  // Single statements run at once when no transaction is open on the connection (the common
  // case, and also while a queued transaction is still waiting for the lock), else they queue.
  const single = <T>(fn: () => Promise<T>): Promise<T> => (db.inTransaction ? exclusive(fn) : fn());

  // Tries BEGIN IMMEDIATE without SQLite's blocking busy handler and retries with a short
  // randomised backoff, so the event loop keeps running while another connection commits.
  const begin = async (): Promise<void> => {
    const deadline = Date.now() + LOCK_TIMEOUT_MS;
    for (let attempt = 0; ; attempt += 1) {
      prepare('PRAGMA busy_timeout = 0').run();
      try {
        prepare('BEGIN IMMEDIATE').run();
        return;
      } catch (error) {
        if ((error as { code?: string }).code !== 'SQLITE_BUSY' || Date.now() >= deadline) throw error;
      } finally {
        prepare(`PRAGMA busy_timeout = ${LOCK_TIMEOUT_MS}`).run();
      }
      await sleep(Math.min(2 ** attempt, 20) * (0.5 + Math.random()));
    }
  };

  // Group commit. Every write transaction is queued; one flush runs all queued transactions in
  // a single SQLite transaction, each inside its own SAVEPOINT, so one that fails rolls back
  // alone. Callers are answered only after the COMMIT, so nothing is acknowledged that is not
  // committed. Under concurrent load this turns N commits (each writing its pages to the WAL)
  // into one, which is where SQLite spends most of a small write's time.
  interface Job {
    fn: (tx: SqlExecutor) => Promise<unknown>;
    resolve: (value: unknown) => void;
    reject: (error: unknown) => void;
  }
  const MAX_BATCH = 256;
  let waiting: Job[] = [];
  /** The flush waiting for setImmediate, if any; close() waits for it. */
  let scheduled: Promise<unknown> = Promise.resolve();

  // Pages written since the last checkpoint, as SQLite's automatic checkpoint counts them
  // (its default threshold is 1000 pages); the checkpoint runs on the next turn of the loop,
  // after the commits and the work they resolve (a waiting agent's hand-over), in the queue so
  // that it never runs inside a transaction.
  const CHECKPOINT_PAGES = 1000;
  let checkpointDue: Promise<unknown> | undefined;
  const checkpointLater = () => {
    if (checkpointDue) return;
    const [wal] = db.pragma('wal_checkpoint(NOOP)') as { log: number }[];
    if (!wal || wal.log < CHECKPOINT_PAGES) return;
    checkpointDue = new Promise((done) =>
      setImmediate(() =>
        done(
          exclusive(async () => {
            checkpointDue = undefined;
            db.pragma('wal_checkpoint(PASSIVE)');
          }),
        ),
      ),
    );
  };

  const flush = async (): Promise<void> => {
    const jobs = waiting.slice(0, MAX_BATCH);
    waiting = waiting.slice(MAX_BATCH);
    if (waiting.length > 0) void exclusive(flush);
    if (jobs.length === 0) return;
    try {
      await begin();
    } catch (error) {
      for (const job of jobs) job.reject(error);
      return;
    }
    const outcomes: { ok: boolean; value?: unknown; error?: unknown }[] = [];
    // What the batch's transactions share (see SqlExecutor.batch): this connection holds
    // SQLite's write lock from BEGIN IMMEDIATE to COMMIT, so no other writer can interleave.
    const memo = new Map<string, unknown>();
    const finalWrites = new Map<string, (tx: SqlExecutor) => Promise<unknown>>();
    let undos: (() => void)[] = [];
    const batch: CommitBatch = {
      memo,
      onRollback: (undo) => undos.push(undo),
      beforeCommit: (key, write) => finalWrites.set(key, write),
    };
    const inBatch: SqlExecutor = { ...direct, batch };
    for (const job of jobs) {
      prepare('SAVEPOINT job').run();
      undos = [];
      try {
        const value = await job.fn(inBatch);
        prepare('RELEASE job').run();
        outcomes.push({ ok: true, value });
      } catch (error) {
        if (!db.inTransaction) {
          // SQLite aborted the whole transaction (e.g. disk full): nothing of the batch stands.
          for (const each of jobs) each.reject(error);
          return;
        }
        prepare('ROLLBACK TO job').run();
        prepare('RELEASE job').run();
        for (const undo of undos.reverse()) undo();
        outcomes.push({ ok: false, error });
      }
    }
    try {
      // A failed final write fails the whole batch: nothing of it is committed or acknowledged.
      for (const write of finalWrites.values()) await write(direct);
      prepare('COMMIT').run();
      checkpointLater();
    } catch (error) {
      if (db.inTransaction) prepare('ROLLBACK').run();
      for (const job of jobs) job.reject(error);
      return;
    }
    jobs.forEach((job, i) => {
      const outcome = outcomes[i] as { ok: boolean; value?: unknown; error?: unknown };
      if (outcome.ok) job.resolve(outcome.value);
      else job.reject(outcome.error);
    });
  };

  return {
    dialect: 'sqlite',
    kysely: new Kysely<Tables>({ dialect: new SqliteDialect({ database: db }) }),
    get: (sql, params) => single(() => direct.get(sql, params)),
    all: (sql, params) => single(() => direct.all(sql, params)),
    run: (sql, params) => single(() => direct.run(sql, params)),
    transaction: <T>(fn: (tx: SqlExecutor) => Promise<T>, options?: TransactionOptions) =>
      new Promise<T>((resolve, reject) => {
        waiting.push({ fn, resolve: resolve as (value: unknown) => void, reject });
        // Urgent: flushed as soon as the current task's microtasks are done, taking whatever is
        // queued along. Not a setImmediate: that waits behind every callback the loop has ready
        // (under load, the other requests' work), milliseconds a waiting agent would see.
        // A flush that finds the queue already taken returns at once.
        if (options?.urgent) {
          scheduled = exclusive(flush);
          return;
        }
        // The first waiting job schedules the flush that will take it and all that follow. The
        // flush waits for setImmediate, i.e. until the requests whose bytes have already arrived
        // have run up to their own transaction: that is what fills a batch under load.
        if (waiting.length === 1) {
          scheduled = new Promise((done) => setImmediate(() => done(exclusive(flush))));
        }
      }),
    isUniqueViolation: (error) =>
      error instanceof Error && (error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE',
    close: async () => {
      // Let every transaction already asked for run to its end (graceful shutdown).
      do {
        await scheduled;
        await checkpointDue;
        await tail;
      } while (waiting.length > 0 || checkpointDue);
      db.close();
    },
  };
}

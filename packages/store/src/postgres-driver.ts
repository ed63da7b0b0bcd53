import { createHash } from 'node:crypto';
import { AgentOtpError, lazyRequire } from '@agent-otp/core';
import { Kysely, PostgresDialect } from 'kysely';
import type pg from 'pg';
import type { SqlDriver, SqlExecutor, Database as Tables } from './sql-driver.ts';

/** pg, loaded when a PostgreSQL store is opened (a SQLite server never loads it). */
const loadPg = lazyRequire<typeof pg>(import.meta.url, 'pg');

/** Pool settings; every one has a default fit for one server instance. */
export interface PostgresOptions {
  /** Most connections this process opens (default 10). */
  maxConnections?: number;
  /** A statement running longer is cancelled by the server (default 10 s; includes lock waits). */
  statementTimeoutMs?: number;
  /** An idle pooled connection is closed after this long (default 30 s). */
  idleTimeoutMs?: number;
  /**
   * How long a statement waits for a pooled connection, or for a new one to open (default 15 s;
   * pg uses one setting for both). Past it the caller gets SERVICE_UNAVAILABLE (503), not a 500.
   */
  connectTimeoutMs?: number;
  /** A transaction left idle this long is ended by the server (default 60 s). */
  idleInTransactionTimeoutMs?: number;
  /** Errors of idle pooled connections (the server restarted, the network dropped). */
  onPoolError?: (error: Error) => void;
}

export const POSTGRES_DEFAULTS = {
  maxConnections: 10,
  statementTimeoutMs: 10_000,
  idleTimeoutMs: 30_000,
  connectTimeoutMs: 15_000,
  idleInTransactionTimeoutMs: 60_000,
} as const;

const INT8_OID = 20;

/**
 * Times are epoch milliseconds in bigint columns, which pg returns as strings. They are read as
 * numbers; one beyond 2^53 would silently lose precision as a number, so reading it fails instead.
 */
export function parseInt8(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) {
    throw new RangeError(
      `bigint value ${value} is beyond Number.MAX_SAFE_INTEGER and cannot be read exactly`,
    );
  }
  return n;
}

const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? parseInt8 : loadPg().types.getTypeParser(oid, format)) as never,
};

/**
 * `?` placeholders to PostgreSQL's `$1..$n`, skipping quoted strings and identifiers. SQL that
 * Kysely compiled for PostgreSQL already has `$n` and no `?`, so it passes unchanged.
 */
export function toPostgresPlaceholders(sql: string): string {
  let out = '';
  let n = 0;
  let quote: string | null = null;
  for (const ch of sql) {
    if (quote) {
      if (ch === quote) quote = null;
      out += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      out += ch;
    } else if (ch === '?') {
      n += 1;
      out += `$${n}`;
    } else {
      out += ch;
    }
  }
  return out;
}

/**
 * PostgreSQL text cannot hold NUL, and a parameter with one fails the statement (SQLSTATE 22021)
 * where SQLite would simply find nothing. Such a value never came from this product (ids, names
 * and hashes have none), so it is refused as invalid input rather than surfacing as a 500.
 */
function rejectNul(params: readonly unknown[]): void {
  for (const param of params) {
    if (typeof param === 'string' && param.includes('\u0000')) {
      throw new AgentOtpError(
        'VALIDATION_ERROR',
        'a value contains a NUL character, which is never valid here',
      );
    }
  }
}

/**
 * PostgreSQL through one `pg` Pool, shared by the hand-written statements and by Kysely (for
 * migrations and dynamic queries). Transactions run on one pooled client under READ COMMITTED;
 * the statements that must lock rows or the audit chain do so themselves (dialect-sql.ts).
 */
export function createPostgresDriver(url: string, options: PostgresOptions = {}): SqlDriver {
  const settings = { ...POSTGRES_DEFAULTS, ...options };
  const pool = new (loadPg().Pool)({
    connectionString: url,
    max: settings.maxConnections,
    idleTimeoutMillis: settings.idleTimeoutMs,
    connectionTimeoutMillis: settings.connectTimeoutMs,
    statement_timeout: settings.statementTimeoutMs,
    idle_in_transaction_session_timeout: settings.idleInTransactionTimeoutMs,
    application_name: 'agent-otp',
    types,
  });
  // An idle client's error is emitted on the pool; unhandled it would end the process. The
  // client is discarded by the pool and the next query opens a new one.
  pool.on('error', (error) => options.onPoolError?.(error));

  // Each distinct SQL string is translated once and becomes a named prepared statement: each
  // connection parses and plans it on first use only, then sends just its name and values (no
  // SQL text, no parse and plan per query on the server). The store's statements are a small
  // fixed set, and Kysely's compiled SQL repeats by shape (its values are parameters).
  // `SELECT *` stays unnamed: once another instance's migration adds a column, a prepared one
  // would fail ("cached plan must not change result type") until its connection closed.
  const statements = new Map<string, { name?: string; text: string }>();
  const MAX_CACHED = 2000;
  const statement = (sql: string) => {
    let found = statements.get(sql);
    if (found === undefined) {
      const text = toPostgresPlaceholders(sql);
      // Named by a hash of the text: a connection refuses a name reused for other text, so the
      // same text must get the same name, also after the cache below was cleared.
      found = /\bselect\s+\*/i.test(text)
        ? { text }
        : { name: `aotp_${createHash('sha256').update(text).digest('base64url').slice(0, 22)}`, text };
      if (statements.size >= MAX_CACHED) statements.clear();
      statements.set(sql, found);
    }
    return found;
  };

  const on = (client: pg.Pool | pg.PoolClient): SqlExecutor => {
    const query = async <T>(sql: string, params: readonly unknown[] = []) => {
      rejectNul(params);
      const config = { ...statement(sql), values: params as unknown[] };
      return client === pool
        ? busyAsUnavailable(pool.query<T & pg.QueryResultRow>(config))
        : client.query<T & pg.QueryResultRow>(config);
    };
    return {
      dialect: 'postgres',
      get: async <T>(sql: string, params?: readonly unknown[]) => (await query<T>(sql, params)).rows[0],
      all: async <T>(sql: string, params?: readonly unknown[]) => (await query<T>(sql, params)).rows,
      run: async (sql: string, params?: readonly unknown[]) => ({
        changes: (await query(sql, params)).rowCount ?? 0,
      }),
    };
  };

  // pg-pool's own words when no connection was free (or could be opened) in time: under a
  // burst that is the database being busy, which the caller may retry; never an internal error.
  const busyAsUnavailable = <T>(work: Promise<T>): Promise<T> =>
    work.catch((error: unknown) => {
      if (error instanceof Error && error.message === 'timeout exceeded when trying to connect') {
        throw new AgentOtpError(
          'SERVICE_UNAVAILABLE',
          `the database had no free connection within ${settings.connectTimeoutMs} ms; try again`,
        );
      }
      throw error;
    });

  const kysely = new Kysely<Tables>({ dialect: new PostgresDialect({ pool }) });

  // What has been asked for and not yet settled: close() lets it finish (graceful shutdown),
  // where ending the pool at once would refuse a transaction still waiting for its connection.
  const inflight = new Set<Promise<unknown>>();
  const tracked = <T>(work: Promise<T>): Promise<T> => {
    inflight.add(work);
    const forget = () => inflight.delete(work);
    work.then(forget, forget);
    return work;
  };
  const direct = on(pool);

  const transaction = async <T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> => {
    const client = await busyAsUnavailable(pool.connect());
    let broken: Error | undefined;
    try {
      await client.query('BEGIN');
      try {
        const value = await fn(on(client));
        await client.query('COMMIT');
        return value;
      } catch (error) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          // The connection is in an unknown state: the pool must not hand it out again.
          broken = rollbackError as Error;
        }
        throw error;
      }
    } finally {
      client.release(broken);
    }
  };

  return {
    dialect: 'postgres',
    kysely,
    get: (sql, params) => tracked(direct.get(sql, params)),
    all: (sql, params) => tracked(direct.all(sql, params)),
    run: (sql, params) => tracked(direct.run(sql, params)),
    transaction: (fn) => tracked(transaction(fn)),
    isUniqueViolation: (error) => error instanceof Error && (error as { code?: string }).code === '23505',
    async close() {
      while (inflight.size > 0) await Promise.allSettled([...inflight]);
      // Kysely ends the pool it was given once it has used it; end it here when it has not.
      await kysely.destroy();
      if (!pool.ended) await pool.end();
    },
  };
}

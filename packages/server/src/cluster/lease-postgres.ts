import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { Logger } from 'pino';
import { loadPg } from '../optional-deps.ts';
import { type LeaseBackend, newHolderId } from './lease.ts';

/** The first key of every advisory lock this product takes ('AOTP'), so they stand apart from others'. */
export const NAMESPACE = 0x414f5450;

/** The second key: the lease's name hashed to a non-negative int4. */
export function advisoryKey(name: string): number {
  return createHash('sha256').update(name).digest().readUInt32BE(0) & 0x7fffffff;
}

/**
 * Leases as session-level advisory locks (`pg_try_advisory_lock`) on one dedicated connection,
 * for a cluster with PostgreSQL and no Redis. A lock lives as long as the session: when the
 * process dies its connection closes and PostgreSQL releases the lock at once. Renewal checks,
 * on the same session, that the lock is still held; `idle_session_timeout` makes the server end
 * a session that stopped renewing (a frozen or cut-off holder), so its lock cannot outlive it.
 * The application_name names the holder, so `pg_stat_activity` shows who leads.
 */
export function createPostgresLease(options: {
  url: string;
  idleTimeoutMs: number;
  logger: Logger;
}): LeaseBackend {
  const holder = newHolderId();
  let client: pg.Client | null = null;
  let connecting: Promise<pg.Client> | null = null;

  function connect(): Promise<pg.Client> {
    connecting ??= (async () => {
      const fresh = new (loadPg().Client)({
        connectionString: options.url,
        application_name: `agent-otp lease ${holder}`.slice(0, 63),
        keepAlive: true,
        connectionTimeoutMillis: 5000,
        // A renewal that hangs counts as lost rather than arriving after the lease should have ended.
        query_timeout: Math.max(1000, Math.floor(options.idleTimeoutMs / 2)),
      });
      fresh.on('error', (error) => {
        options.logger.warn({ err: error }, 'lease connection (PostgreSQL) lost');
        if (client === fresh) client = null;
        fresh.end().catch(() => undefined);
      });
      try {
        await fresh.connect();
        // PostgreSQL 14+; older servers keep the lock until TCP notices the dead peer.
        await fresh
          .query(`SET idle_session_timeout = ${Math.max(1000, options.idleTimeoutMs * 2)}`)
          .catch(() => undefined);
      } catch (error) {
        fresh.end().catch(() => undefined);
        throw error;
      }
      client = fresh;
      return fresh;
    })().finally(() => {
      connecting = null;
    });
    return connecting;
  }

  async function holds(session: pg.Client, name: string): Promise<boolean> {
    const result = await session.query<{ held: boolean }>(
      `SELECT EXISTS (
         SELECT 1 FROM pg_locks
         WHERE locktype = 'advisory' AND pid = pg_backend_pid()
           AND classid = $1::int4::oid AND objid = $2::int4::oid AND objsubid = 2 AND granted
       ) AS held`,
      [NAMESPACE, advisoryKey(name)],
    );
    return result.rows[0]?.held === true;
  }

  // One statement at a time on the session: pg does not queue concurrent queries on a client
  // for much longer, and two overlapping acquires of one name could both see "not held" and
  // take the lock twice (session locks nest).
  let tail: Promise<unknown> = Promise.resolve();
  const serial = <T>(work: () => Promise<T>): Promise<T> => {
    const run = tail.then(work, work);
    tail = run.catch(() => undefined);
    return run;
  };

  return {
    kind: 'postgres',
    holder,
    acquire: (name) =>
      serial(async () => {
        const session = client ?? (await connect());
        // Session locks nest: taking one this session already holds would need two unlocks.
        if (await holds(session, name)) return true;
        const result = await session.query<{ taken: boolean }>(
          'SELECT pg_try_advisory_lock($1, $2) AS taken',
          [NAMESPACE, advisoryKey(name)],
        );
        return result.rows[0]?.taken === true;
      }),
    renew: (name) =>
      serial(async () => {
        // No reconnecting here: a new session would not hold the old session's lock.
        if (!client) return false;
        return holds(client, name);
      }),
    release: (name) =>
      serial(async () => {
        if (!client) return;
        await client.query('SELECT pg_advisory_unlock($1, $2)', [NAMESPACE, advisoryKey(name)]);
      }),
    async close() {
      const session = client ?? (await connecting?.catch(() => null)) ?? null;
      client = null;
      await session?.end().catch(() => undefined);
    },
  };
}

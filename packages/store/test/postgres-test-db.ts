import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * Fresh PostgreSQL databases for tests, shared by every package's tests. The server to use is
 * AGENT_OTP_TEST_POSTGRES_URL (any database on it; the user must be allowed to CREATE DATABASE),
 * else 127.0.0.1:5432 as `postgres` or `root`. When none answers, tests that need PostgreSQL are
 * skipped with the reason, unless AGENT_OTP_REQUIRE_POSTGRES=1, which makes that a failure.
 */
const CANDIDATES = process.env.AGENT_OTP_TEST_POSTGRES_URL
  ? [process.env.AGENT_OTP_TEST_POSTGRES_URL]
  : ['postgres://postgres@127.0.0.1:5432/postgres', 'postgres://root@127.0.0.1:5432/postgres'];

export const POSTGRES_REQUIRED = process.env.AGENT_OTP_REQUIRE_POSTGRES === '1';

export type PostgresProbe = { ok: true; adminUrl: string } | { ok: false; reason: string };

let probed: Promise<PostgresProbe> | undefined;

/** Which server URL can create databases, or why none can (checked once per process). */
export function probePostgres(): Promise<PostgresProbe> {
  probed ??= (async () => {
    const failures: string[] = [];
    for (const url of CANDIDATES) {
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
      try {
        await client.connect();
        await client.query('SELECT 1');
        return { ok: true as const, adminUrl: url };
      } catch (error) {
        failures.push(`${redact(url)}: ${(error as Error).message}`);
      } finally {
        await client.end().catch(() => undefined);
      }
    }
    return { ok: false as const, reason: `PostgreSQL is not reachable (${failures.join('; ')})` };
  })();
  return probed;
}

/**
 * Why the tests named `what` cannot run, or null when PostgreSQL is there. Throws instead when
 * AGENT_OTP_REQUIRE_POSTGRES=1, so a CI job meant to test PostgreSQL cannot pass by skipping.
 */
export async function postgresSkipReason(what: string): Promise<string | null> {
  const probe = await probePostgres();
  if (probe.ok) return null;
  if (POSTGRES_REQUIRED) throw new Error(`AGENT_OTP_REQUIRE_POSTGRES=1 but ${probe.reason}`);
  return `skipped ${what}: ${probe.reason} (set AGENT_OTP_TEST_POSTGRES_URL, or AGENT_OTP_REQUIRE_POSTGRES=1 to fail)`;
}

export interface TestDatabase {
  name: string;
  /** URL of the new, empty database. */
  url: string;
  /** Drops the database, ending any connection still open to it. */
  drop(): Promise<void>;
}

const redact = (url: string) => url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');

async function admin<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 5000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** CREATE DATABASE agent_otp_t_<random> on the test server; drop() removes it. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const probe = await probePostgres();
  if (!probe.ok) throw new Error(probe.reason);
  const name = `agent_otp_t_${randomBytes(6).toString('hex')}`;
  await admin(probe.adminUrl, (client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(probe.adminUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    name,
    url: url.toString(),
    async drop() {
      if (dropped) return;
      dropped = true;
      await admin(probe.adminUrl, (client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

import { randomBytes } from 'node:crypto';
import { postgresSkipReason, probePostgres } from '@agent-otp/store/postgres-test-db';
import { advisoryKey, NAMESPACE } from '../src/cluster/lease-postgres.ts';
import {
  createOwnDatabase,
  type OwnRedis,
  postgresLeaseHolder,
  redisDeletePrefix,
  redisGet,
  redisServerAvailable,
  startOwnRedis,
} from './cluster-services.ts';

/**
 * The ways several instances can share state, each a setup the multi-instance tests run on.
 * A setup whose service is missing here is skipped, with the reason in the test output:
 *
 * - `shared SQLite file`: one data directory (database, secret, policies) for every instance;
 *   no lease store, so every instance runs the singletons (their work is compare-and-set).
 * - `shared SQLite file + Redis leases`: the same, with REDIS_URL: singletons under Redis leases.
 *   Uses REDIS_URL when the tests are run with it (under a key prefix of their own), otherwise
 *   a redis-server of its own on a free port.
 * - `PostgreSQL` / `PostgreSQL + Redis`: only when the tests run with DATABASE_URL=postgres://…
 *   (a database of their own is created on that server and dropped after). Each instance has
 *   its own data directory holding a copy of one server secret; the policy and checkpoint files
 *   are shared, as on a volume.
 */

export interface PreparedSetup {
  /** Environment for every instance (undefined removes a variable the test runner has). */
  env: Record<string, string | undefined>;
  /** One data directory for all, or one per instance with a shared secret. */
  sharedDataDir: boolean;
  /** The holder id (host/pid/random) of a lease, or null when none or no lease store. */
  leaseHolder(name: string): Promise<string | null>;
  /** The redis-server this setup started, when it started one (tests may kill it). */
  ownRedis: OwnRedis | null;
  cleanup(): Promise<void>;
}

export interface ClusterSetup {
  name: string;
  /** Why this setup cannot run here; null when it can. */
  skip: string | null;
  /** Whether singletons run under leases (one leader) rather than on every instance. */
  leases: boolean;
  /** Whether a change on one instance wakes waiters on the others (Redis pub/sub or LISTEN/NOTIFY). */
  crossEvents: boolean;
  prepare(): Promise<PreparedSetup>;
}

const envRedis = process.env.REDIS_URL?.trim() || null;
// The PostgreSQL server the setups create their databases on: DATABASE_URL when the tests are run
// with one, else the one the store's tests use (AGENT_OTP_TEST_POSTGRES_URL or 127.0.0.1:5432).
const givenDatabase = /^postgres(ql)?:/i.test(process.env.DATABASE_URL ?? '')
  ? (process.env.DATABASE_URL as string)
  : null;
const postgresSkip = givenDatabase ? null : await postgresSkipReason('the PostgreSQL cluster setups');
const probe = await probePostgres();
const envDatabase = givenDatabase ?? (probe.ok ? probe.adminUrl : null);
const NO_SERVICES = { REDIS_URL: undefined, DATABASE_URL: undefined, AGENT_OTP_REDIS_PREFIX: undefined };

async function redisPart(): Promise<{
  env: Record<string, string>;
  holder: (name: string) => Promise<string | null>;
  own: OwnRedis | null;
  cleanup: () => Promise<void>;
}> {
  const prefix = `agent-otp-test-${randomBytes(4).toString('hex')}:`;
  const own = envRedis ? null : await startOwnRedis();
  const url = envRedis ?? (own as OwnRedis).url;
  return {
    env: { REDIS_URL: url, AGENT_OTP_REDIS_PREFIX: prefix },
    holder: (name) => redisGet(url, `${prefix}lease:${name}`).catch(() => null),
    own,
    async cleanup() {
      if (own) await own.kill();
      else await redisDeletePrefix(url, prefix);
    },
  };
}

const redisSkip = envRedis || redisServerAvailable() ? null : 'needs REDIS_URL or a redis-server binary';

export const CLUSTER_SETUPS: ClusterSetup[] = [
  {
    name: 'shared SQLite file',
    skip: null,
    leases: false,
    crossEvents: false,
    async prepare() {
      return {
        env: NO_SERVICES,
        sharedDataDir: true,
        leaseHolder: async () => null,
        ownRedis: null,
        cleanup: async () => {},
      };
    },
  },
  {
    name: 'shared SQLite file + Redis leases',
    skip: redisSkip,
    leases: true,
    crossEvents: true,
    async prepare() {
      const redis = await redisPart();
      return {
        env: { ...NO_SERVICES, ...redis.env },
        sharedDataDir: true,
        leaseHolder: redis.holder,
        ownRedis: redis.own,
        cleanup: redis.cleanup,
      };
    },
  },
  {
    name: 'PostgreSQL',
    skip: postgresSkip,
    leases: true,
    crossEvents: true,
    async prepare() {
      const database = await createOwnDatabase(envDatabase as string);
      return {
        env: { ...NO_SERVICES, DATABASE_URL: database.url },
        sharedDataDir: false,
        leaseHolder: async (name) => {
          const application = await postgresLeaseHolder(database.url, NAMESPACE, advisoryKey(name));
          return application?.replace(/^agent-otp lease /, '') ?? null;
        },
        ownRedis: null,
        cleanup: () => database.drop(),
      };
    },
  },
  {
    name: 'PostgreSQL + Redis',
    skip: postgresSkip ?? redisSkip,
    leases: true,
    crossEvents: true,
    async prepare() {
      const database = await createOwnDatabase(envDatabase as string);
      const redis = await redisPart();
      return {
        env: { ...NO_SERVICES, DATABASE_URL: database.url, ...redis.env },
        sharedDataDir: false,
        leaseHolder: redis.holder,
        ownRedis: redis.own,
        async cleanup() {
          await redis.cleanup();
          await database.drop();
        },
      };
    },
  },
];

/** The process id in a lease holder id (`host/pid/random`). */
export function holderPid(holder: string | null): number | null {
  const match = holder ? /\/(\d+)\/[0-9a-f]+$/.exec(holder) : null;
  return match ? Number(match[1]) : null;
}

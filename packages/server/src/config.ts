import { resolve } from 'node:path';
import { createProxyTrust } from '@agent-otp/dashboard';
import { POSTGRES_DEFAULTS, type PostgresOptions } from '@agent-otp/store';
import { z } from 'zod';
import { type SlackConfig, SlackEnvSchema, slackConfig } from './channels/slack/index.ts';
import { parseTelegramEnv, type TelegramConfig } from './channels/telegram/index.ts';
import { type WebhookConfig, WebhookEnvSchema, webhookConfig } from './channels/webhooks/index.ts';
import { type LeaseConfig, parseLeaseConfig } from './cluster/lease-config.ts';

/**
 * Configuration, parsed once from the environment at start. A bad value stops the start with a
 * message naming the variable. The result is passed into factories; nothing else reads env.
 */
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const EnvSchema = z
  .object({
    PORT: int(0, 65535).default(8787),
    HOST: z.string().min(1).default('127.0.0.1'),
    AGENT_OTP_DATA_DIR: z.string().min(1).default('./.agent-otp'),
    AGENT_OTP_POLICY_FILE: z.string().min(1).optional(),
    AGENT_OTP_PUBLIC_URL: z.url().optional(),
    AGENT_OTP_LOG_LEVEL: z
      .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
      .default('info'),
    AGENT_OTP_BODY_LIMIT: int(1024, 10 * 1024 * 1024).default(64 * 1024),
    AGENT_OTP_RATE_LIMIT: int(1, 1_000_000).default(600),
    AGENT_OTP_DEFAULT_TTL: int(30, 3600).default(300),
    AGENT_OTP_APPROVAL_TIMEOUT: int(10, 7 * 24 * 3600).default(900),
    AGENT_OTP_SWEEP_INTERVAL_MS: int(100, 3_600_000).default(5000),
    AGENT_OTP_POLICY_WATCH: z.enum(['true', 'false']).default('true'),
    AGENT_OTP_ADMIN_PASSWORD: z.string().min(12, 'must have at least 12 characters').optional(),
    AGENT_OTP_SESSION_TTL: int(300, 30 * 24 * 3600).default(12 * 3600),
    AGENT_OTP_TRUSTED_PROXIES: z.string().default(''),
    AGENT_OTP_AUDIT_CHECKPOINT_FILE: z.string().min(1).optional(),
    AGENT_OTP_AUDIT_CHECKPOINT_INTERVAL_MS: int(100, 3_600_000).default(5000),
    AGENT_OTP_SCOPE_ENFORCEMENT: z.enum(['lenient', 'strict']).default('lenient'),
    REDIS_URL: z
      .string()
      .regex(/^(rediss?:\/\/\S+)?$/, 'must be a redis:// or rediss:// URL')
      .optional(),
    AGENT_OTP_REDIS_PREFIX: z
      .string()
      .regex(/^[A-Za-z0-9:._-]{1,64}$/, 'letters, digits and : . _ - only (at most 64)')
      .default('agent-otp:'),
    AGENT_OTP_PG_CHANNEL: z
      .string()
      .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a PostgreSQL identifier: lower-case letters, digits and _')
      .default('agent_otp_events'),
    AGENT_OTP_INSTANCE_ID: z
      .string()
      .regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits and . _ - only (at most 64)')
      .optional(),
    AGENT_OTP_EVENTS_RECHECK_MS: int(200, 60_000).default(2000),
    AGENT_OTP_CLUSTER_HEARTBEAT_MS: int(100, 60_000).default(5000),
    // Empty counts as unset: container setups often pass every variable, set or not.
    DATABASE_URL: z
      .string()
      .optional()
      .transform((value) => (value === '' ? undefined : value)),
    AGENT_OTP_SERVER_SECRET_FILE: z.string().min(1).optional(),
    AGENT_OTP_PG_POOL_MAX: int(1, 1000).default(POSTGRES_DEFAULTS.maxConnections),
    AGENT_OTP_PG_STATEMENT_TIMEOUT_MS: int(100, 3_600_000).default(POSTGRES_DEFAULTS.statementTimeoutMs),
    AGENT_OTP_PG_IDLE_TIMEOUT_MS: int(1000, 3_600_000).default(POSTGRES_DEFAULTS.idleTimeoutMs),
    AGENT_OTP_PG_CONNECT_TIMEOUT_MS: int(100, 600_000).default(POSTGRES_DEFAULTS.connectTimeoutMs),
  })
  .extend(WebhookEnvSchema.shape)
  .extend(SlackEnvSchema.shape);

/** Where the data lives: the SQLite file in the data directory, or a PostgreSQL database. */
export type DatabaseConfig =
  | { kind: 'sqlite'; file: string }
  | {
      kind: 'postgres';
      /** Holds the password, if any: never log it. */
      url: string;
      pool: Required<Omit<PostgresOptions, 'onPoolError'>>;
    };

export interface Config {
  port: number;
  host: string;
  dataDir: string;
  policyFile: string;
  /** The SQLite file (used when `database.kind` is sqlite; the CLI checks it exists). */
  databaseFile: string;
  database: DatabaseConfig;
  /** The secret that keys every API-key and token hash; the same file on every instance of one database. */
  serverSecretFile: string;
  /** Where the dashboard is reached, for approvalUrl links; null = the address the server listens on. */
  publicUrl: string | null;
  logLevel: string;
  bodyLimitBytes: number;
  /** Requests per minute per agent. */
  rateLimitPerMinute: number;
  defaultTtlSeconds: number;
  approvalTimeoutSeconds: number;
  sweepIntervalMs: number;
  watchPolicy: boolean;
  /** Password of the `admin` user created on first start; generated and printed once when absent. */
  adminPassword: string | undefined;
  sessionTtlSeconds: number;
  /** Reverse proxies (IPs, CIDR ranges) whose X-Forwarded-For names the client; none by default. */
  trustedProxies: string[];
  /** Signed checkpoints of the audit chain's head, kept outside the database. */
  auditCheckpointFile: string;
  auditCheckpointIntervalMs: number;
  /** How `use` treats absent details for policy rules that set no `enforcement` of their own. */
  scopeEnforcement: 'lenient' | 'strict';
  /** Where singleton work (the expiry sweeper, checkpoints, pollers) takes its leases. */
  lease: LeaseConfig;
  /** Outgoing webhooks: timeouts, retries, private addresses (see docs/webhooks.md). */
  webhooks: WebhookConfig;
  /** Slack approvals; null when SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET are not set (see docs/slack.md). */
  slack: SlackConfig | null;
  /** Several instances: events, rate limits, login throttles and policy versions go through Redis. */
  redisUrl: string | null;
  /** Prefix of every Redis key and channel this service uses (several deployments, one Redis). */
  redisPrefix: string;
  /** DATABASE_URL when it names PostgreSQL: events go over LISTEN/NOTIFY when Redis is absent. */
  postgresEventsUrl: string | null;
  /** The LISTEN/NOTIFY channel of those events. */
  pgChannel: string;
  /** This instance's name in the cluster (readiness, metrics, logs); generated when absent. */
  instanceId: string | null;
  /** While the events channel is down, waiters re-read this often. */
  eventsRecheckMs: number;
  /** How often this instance announces its policy version and reads the others'. */
  clusterHeartbeatMs: number;
  /** The Telegram approval channel; null when TELEGRAM_BOT_TOKEN is not set. */
  telegram: TelegramConfig | null;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function parseConfig(env: Record<string, string | undefined>): Config {
  const parsed = EnvSchema.safeParse(env);
  const telegram = parseTelegramEnv(env);
  if (!parsed.success || telegram.errors.length > 0) {
    const lines = (parsed.error?.issues ?? []).map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`invalid configuration: ${[...lines, ...telegram.errors].join('; ')}`);
  }
  const e = parsed.data;
  const trustedProxies = e.AGENT_OTP_TRUSTED_PROXIES.split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  try {
    createProxyTrust(trustedProxies);
  } catch (error) {
    throw new ConfigError(`invalid configuration: AGENT_OTP_TRUSTED_PROXIES: ${(error as Error).message}`);
  }
  const slack = slackConfig(e);
  if (typeof slack === 'string') throw new ConfigError(`invalid configuration: ${slack}`);
  const dataDir = resolve(e.AGENT_OTP_DATA_DIR);
  const databaseFile = `${dataDir}/agent-otp.db`;
  const database = databaseConfig(e, databaseFile);
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir,
    policyFile: resolve(e.AGENT_OTP_POLICY_FILE ?? `${dataDir}/policies.yaml`),
    databaseFile,
    database,
    serverSecretFile: resolve(e.AGENT_OTP_SERVER_SECRET_FILE ?? `${dataDir}/server-secret`),
    publicUrl: e.AGENT_OTP_PUBLIC_URL?.replace(/\/$/, '') ?? null,
    logLevel: e.AGENT_OTP_LOG_LEVEL,
    bodyLimitBytes: e.AGENT_OTP_BODY_LIMIT,
    rateLimitPerMinute: e.AGENT_OTP_RATE_LIMIT,
    defaultTtlSeconds: e.AGENT_OTP_DEFAULT_TTL,
    approvalTimeoutSeconds: e.AGENT_OTP_APPROVAL_TIMEOUT,
    sweepIntervalMs: e.AGENT_OTP_SWEEP_INTERVAL_MS,
    watchPolicy: e.AGENT_OTP_POLICY_WATCH === 'true',
    adminPassword: e.AGENT_OTP_ADMIN_PASSWORD,
    sessionTtlSeconds: e.AGENT_OTP_SESSION_TTL,
    trustedProxies,
    auditCheckpointFile: resolve(e.AGENT_OTP_AUDIT_CHECKPOINT_FILE ?? `${dataDir}/audit-checkpoints.jsonl`),
    auditCheckpointIntervalMs: e.AGENT_OTP_AUDIT_CHECKPOINT_INTERVAL_MS,
    scopeEnforcement: e.AGENT_OTP_SCOPE_ENFORCEMENT,
    lease: parseLeaseConfig(env),
    webhooks: webhookConfig(e),
    slack,
    redisUrl: e.REDIS_URL || null,
    redisPrefix: e.AGENT_OTP_REDIS_PREFIX,
    postgresEventsUrl: database.kind === 'postgres' ? database.url : null,
    pgChannel: e.AGENT_OTP_PG_CHANNEL,
    instanceId: e.AGENT_OTP_INSTANCE_ID ?? null,
    eventsRecheckMs: e.AGENT_OTP_EVENTS_RECHECK_MS,
    clusterHeartbeatMs: e.AGENT_OTP_CLUSTER_HEARTBEAT_MS,
    telegram: telegram.config,
  };
}

/** DATABASE_URL selects PostgreSQL; anything else that is set is a mistake, not a fallback. */
function databaseConfig(e: z.infer<typeof EnvSchema>, file: string): DatabaseConfig {
  const url = e.DATABASE_URL;
  if (url === undefined) return { kind: 'sqlite', file };
  let parsed: URL | undefined;
  try {
    parsed = new URL(url);
  } catch {
    parsed = undefined;
  }
  // The value is not echoed: it may hold the database password.
  if (!parsed || (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:')) {
    throw new ConfigError(
      'invalid configuration: DATABASE_URL: must be a postgres:// or postgresql:// URL ' +
        '(leave it unset to use the SQLite file in the data directory)',
    );
  }
  return {
    kind: 'postgres',
    url,
    pool: {
      maxConnections: e.AGENT_OTP_PG_POOL_MAX,
      statementTimeoutMs: e.AGENT_OTP_PG_STATEMENT_TIMEOUT_MS,
      idleTimeoutMs: e.AGENT_OTP_PG_IDLE_TIMEOUT_MS,
      connectTimeoutMs: e.AGENT_OTP_PG_CONNECT_TIMEOUT_MS,
      idleInTransactionTimeoutMs: POSTGRES_DEFAULTS.idleInTransactionTimeoutMs,
    },
  };
}

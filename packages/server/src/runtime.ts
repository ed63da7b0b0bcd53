import {
  type Clock,
  createAgentService,
  createApprovalService,
  createCheckpointSigner,
  createLocalEvents,
  createPermissionService,
  createSecretHasher,
  createUserService,
  type Store,
  systemClock,
} from '@agent-otp/core';
import { createPostgresStore, createSqliteStore } from '@agent-otp/store';
import type { Logger } from 'pino';
import { createApp } from './app.ts';
import { createCheckpointFile } from './audit-checkpoints.ts';
import type { Config } from './config.ts';
import { prepareDataDir } from './data-dir.ts';
import { type ModeChange, secureDatabaseFiles } from './file-modes.ts';
import { createLogger } from './logger.ts';
import { createMetrics } from './metrics.ts';
import { createPolicySource } from './policy-source.ts';
import { requireSharedSecret } from './server-secret.ts';

export interface RuntimeOptions {
  logger?: Logger;
  clock?: Clock;
  /** Use this store instead of the configured one (tests). */
  store?: Store;
  /** Admin tools: an invalid policy file means deny-all instead of an error. */
  lenientPolicy?: boolean;
}

/**
 * The composition root: everything the server, the CLI's admin commands and the tests need,
 * wired from one Config. Nothing here listens on a port.
 */
export async function createRuntime(config: Config, options: RuntimeOptions = {}) {
  const logger = options.logger ?? createLogger(config.logLevel);
  const clock = options.clock ?? systemClock;
  const { serverSecret, created, tightened } = prepareDataDir(
    config.dataDir,
    config.policyFile,
    config.serverSecretFile,
  );
  for (const path of created) logger.info({ path }, 'first start: created');
  const narrowed = (changes: ModeChange[]) => {
    for (const change of changes) logger.warn(change, 'narrowed permissions open to other users');
  };
  narrowed(tightened);
  if (!options.store && config.database.kind === 'sqlite') narrowed(secureDatabaseFiles(config.databaseFile));
  const store = options.store ?? openStore(config, logger);
  try {
    await store.migrate();
    await requireSharedSecret(store, serverSecret, config.serverSecretFile, clock.now());
  } catch (error) {
    await store.close();
    throw error;
  }
  const hasher = createSecretHasher(serverSecret);
  const policy = createPolicySource(config.policyFile, logger, {
    watch: config.watchPolicy,
    lenient: options.lenientPolicy,
  });
  const events = createLocalEvents();
  const agents = createAgentService({ store, clock, hasher, events });
  const permissions = createPermissionService({
    store,
    clock,
    hasher,
    events,
    policy: policy.current,
    defaults: {
      ttlSeconds: config.defaultTtlSeconds,
      approvalTimeoutSeconds: config.approvalTimeoutSeconds,
      scopeEnforcement: config.scopeEnforcement,
    },
  });
  const approvals = createApprovalService({ store, clock, events, permissions });
  const users = createUserService({
    store,
    clock,
    hasher,
    serverSecret,
    sessionTtlSeconds: config.sessionTtlSeconds,
  });
  const metrics = createMetrics();
  // Checkpoints of the audit chain, signed under a key from the server secret and kept outside
  // the database (the server writes them; `audit verify` and the dashboard check them).
  const auditAnchor = {
    log: createCheckpointFile(config.auditCheckpointFile),
    signer: createCheckpointSigner(serverSecret),
  };
  // The base of links in responses: configured, or set by startServer once the port is known.
  const urls = { publicUrl: config.publicUrl ?? `http://localhost:${config.port}` };
  const app = createApp({
    store,
    agents,
    permissions,
    approvals,
    users,
    events,
    policy,
    logger,
    metrics,
    clock,
    trustedProxies: config.trustedProxies,
    auditAnchor,
    settings: {
      publicUrl: () => urls.publicUrl,
      bodyLimitBytes: config.bodyLimitBytes,
      rateLimitPerMinute: config.rateLimitPerMinute,
    },
  });
  return {
    config,
    logger,
    clock,
    store,
    hasher,
    policy,
    agents,
    permissions,
    approvals,
    users,
    events,
    metrics,
    auditAnchor,
    app,
    urls,
    async close() {
      policy.close();
      await store.close();
    },
  };
}

/** The configured store: PostgreSQL when DATABASE_URL names one, else the SQLite file. */
function openStore(config: Config, logger: Logger): Store {
  const { database } = config;
  if (database.kind === 'sqlite') return createSqliteStore(database.file);
  return createPostgresStore(database.url, {
    ...database.pool,
    onPoolError: (error) => logger.warn({ err: error.message }, 'a pooled database connection failed'),
  });
}

export type Runtime = Awaited<ReturnType<typeof createRuntime>>;

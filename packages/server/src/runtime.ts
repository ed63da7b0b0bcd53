import {
  type Clock,
  createAgentService,
  createApprovalService,
  createCheckpointSigner,
  createPermissionService,
  createPolicyHistory,
  createSecretHasher,
  createUserService,
  type Store,
  systemClock,
} from '@agent-otp/core';
import { createPostgresStore, createSqliteStore } from '@agent-otp/store';
import type { Logger } from 'pino';
import { buildApp } from './app.ts';
import { createCheckpointFile } from './audit-checkpoints.ts';
import { createSlackChannel } from './channels/slack/index.ts';
import { createTelegramChannel, createTelegramLinks } from './channels/telegram/index.ts';
import { createWebhookChannel } from './channels/webhooks/index.ts';
import { createCluster } from './cluster/cluster.ts';
import { createLeader } from './cluster/leader.ts';
import { createLeaseBackend } from './cluster/lease.ts';
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
  /**
   * Announce this process's policy version to the other instances (default true). Admin
   * commands pass false: they are no instance of the cluster, though their events still reach it.
   */
  announce?: boolean;
  /**
   * Record the policy in force in the policy history, at start and on each change (default:
   * unless lenientPolicy). Only a process that decides with the policy should: admin tools and
   * the test runtimes that inspect their work pass false.
   */
  recordPolicy?: boolean;
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
  const policyHistory = createPolicyHistory({ store, clock });
  // The server records each policy version it runs; admin tools (lenient) run none.
  const recordPolicy = options.recordPolicy ?? !options.lenientPolicy;
  const policy = createPolicySource(config.policyFile, logger, {
    watch: config.watchPolicy,
    lenient: options.lenientPolicy,
    onInForce: recordPolicy
      ? ({ policy: next, source, origin, actor }) => policyHistory.recordInForce(next, source, origin, actor)
      : undefined,
  });
  if (recordPolicy) {
    try {
      await policyHistory.recordInForce(policy.current(), policy.source(), 'start');
    } catch (error) {
      policy.close();
      await store.close();
      throw error;
    }
  }
  const metrics = createMetrics();
  // Events, request limits and login throttles: in this process, or shared through Redis
  // (or events over PostgreSQL LISTEN/NOTIFY) when several instances serve one database.
  const cluster = createCluster(config, {
    logger,
    clock,
    metrics,
    policyVersion: () => policy.current().version,
    announce: options.announce,
  });
  const events = cluster.events;
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
    loginThrottle: cluster.loginThrottle,
  });
  // Link codes work without the bot (the CLI makes them); the bot runs only with a token.
  const telegramLinks = createTelegramLinks({ store, clock, hasher });
  // Checkpoints of the audit chain, signed under a key from the server secret and kept outside
  // the database (the server writes them; `audit verify` and the dashboard check them).
  const auditAnchor = {
    log: createCheckpointFile(config.auditCheckpointFile),
    signer: createCheckpointSigner(serverSecret),
  };
  // Singleton work runs on one instance at a time under a lease; the lease store connects only
  // when the first singleton starts (the server does; admin commands never do).
  const leader = createLeader({
    backend: () => createLeaseBackend(config.lease, logger),
    ttlMs: config.lease.ttlMs,
    logger,
  });
  // The base of links in responses: configured, or set by startServer once the port is known.
  const urls = { publicUrl: config.publicUrl ?? `http://localhost:${config.port}` };
  const links = {
    approvalUrl: (id: string) => `${urls.publicUrl}/requests/${id}`,
    eventsUrl: (id: string) => `${urls.publicUrl}/api/v1/permissions/${id}/events`,
  };
  // Queues events in every process that changes permissions (the CLI's too); only the server
  // runs the worker that sends them (see server.ts).
  const webhooks = createWebhookChannel({
    store,
    events,
    clock,
    logger,
    links,
    serverSecret,
    config: config.webhooks,
  });
  webhooks.dispatcher.start();
  // Slack: links always (the CLI links accounts); the notifier is started by the server.
  const slack = createSlackChannel({ store, events, approvals, clock, logger, links, config: config.slack });
  const telegram = config.telegram
    ? createTelegramChannel({
        config: config.telegram,
        store,
        events,
        approvals,
        links: telegramLinks,
        clock,
        logger,
        publicUrl: () => urls.publicUrl,
      })
    : null;
  const { app, fastRoutes } = buildApp({
    store,
    agents,
    permissions,
    approvals,
    users,
    events,
    policy,
    policyHistory,
    logger,
    metrics,
    clock,
    webhooks: webhooks.service,
    slackRoutes: slack.routes ?? undefined,
    trustedProxies: config.trustedProxies,
    auditAnchor,
    requestLimiter: cluster.requestLimiter,
    clusterHealth: cluster.health,
    channelRoutes: telegram?.routes ? [telegram.routes] : [],
    telegram: { links: telegramLinks, enabled: telegram !== null },
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
    policyHistory,
    agents,
    permissions,
    approvals,
    users,
    events,
    metrics,
    auditAnchor,
    webhooks,
    slack,
    app,
    /** What the plain node:http path of the hot agent routes shares with the app. */
    fastRoutes,
    urls,
    leader,
    cluster,
    telegramLinks,
    /** The Telegram channel when configured; startServer runs it under a leader lease. */
    telegram,
    async close() {
      await telegram?.stop();
      await leader.close();
      policy.close();
      await webhooks.dispatcher.stop();
      await cluster.close();
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

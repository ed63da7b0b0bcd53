import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { startAuditCheckpoints } from './audit-checkpoints.ts';
import {
  AUDIT_CHECKPOINTS,
  auditCheckpointWork,
  EXPIRY_SWEEPER,
  expirySweeperWork,
  SLACK_NOTIFIER,
  TELEGRAM,
  WEBHOOK_DELIVERY,
} from './cluster/singleton-jobs.ts';
import type { Config } from './config.ts';
import { fastRoutesListener } from './http/fast-routes/listener.ts';
import { createRuntime, type Runtime, type RuntimeOptions } from './runtime.ts';

export interface RunningServer {
  runtime: Runtime;
  url: string;
  port: number;
  /**
   * Stops accepting connections, lets in-flight requests finish, signs an audit checkpoint at
   * the head, then closes the store.
   */
  close(): Promise<void>;
}

/** Starts the HTTP server and competes for the singletons (expiry sweeper, audit checkpoints). */
export async function startServer(
  config: Config,
  options: RuntimeOptions & {
    /** false: every request through the Hono app (tests comparing the two paths). */
    fastPath?: boolean;
  } = {},
): Promise<RunningServer> {
  const runtime = await createRuntime(config, options);
  const { logger } = runtime;
  const admin = await runtime.users.ensureAdmin(config.adminPassword);
  if (admin) {
    logger.info({ user: 'admin', userId: admin.user.id }, 'first start: created the admin user');
    // Shown once, on the console only (never in the JSON log, which may be shipped elsewhere).
    if (admin.generatedPassword && config.logLevel !== 'silent') {
      process.stderr.write(
        `\n  Dashboard login: admin / ${admin.generatedPassword}\n  This password is shown once. Set AGENT_OTP_ADMIN_PASSWORD to choose it.\n\n`,
      );
    }
  } else if (config.adminPassword !== undefined) {
    // Only a first start reads it; changing it later must not look like a password change.
    logger.warn(
      'AGENT_OTP_ADMIN_PASSWORD is ignored: users already exist, so it only sets the first admin. ' +
        'To reset a password: npx agent-otp users set-password --name admin',
    );
  }
  // The hot agent routes are served by a plain node:http listener in front of the Hono app
  // (http/fast-routes); AGENT_OTP_FAST_PATH=0 turns it off, for diagnostics and comparisons only.
  const fastPath = process.env.AGENT_OTP_FAST_PATH !== '0' && options.fastPath !== false;
  const honoListener = getRequestListener(runtime.app.fetch, { hostname: config.host });
  const server = createServer(fastPath ? fastRoutesListener(runtime.fastRoutes, honoListener) : honoListener);
  server.listen(config.port, config.host);
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  const local = ['127.0.0.1', '0.0.0.0', '::', '::1', 'localhost'].includes(config.host);
  if (!config.publicUrl) runtime.urls.publicUrl = local ? `http://localhost:${port}` : url;

  // Singletons: on one instance at a time (leases; see cluster/leader.ts). Alone, always here.
  const sweeper = runtime.leader.run(
    EXPIRY_SWEEPER,
    expirySweeperWork({ permissions: runtime.permissions, logger, intervalMs: config.sweepIntervalMs }),
  );
  const checkpoints = runtime.leader.run(
    AUDIT_CHECKPOINTS,
    auditCheckpointWork(() =>
      startAuditCheckpoints({
        store: runtime.store,
        anchor: runtime.auditAnchor,
        clock: runtime.clock,
        logger,
        intervalMs: config.auditCheckpointIntervalMs,
      }),
    ),
  );
  // The webhook worker is safe on every instance (each attempt is claimed by compare-and-set),
  // but one sender is enough; the Slack notifier posts to people, so it must run on one only.
  const webhookDelivery = runtime.leader.run(WEBHOOK_DELIVERY, {
    start: () => runtime.webhooks.worker.start(),
    stop: () => runtime.webhooks.worker.stop(),
  });
  const slackNotifier = runtime.slack.notifier
    ? runtime.leader.run(SLACK_NOTIFIER, {
        start: () => runtime.slack.notifier?.start(),
        stop: () => runtime.slack.notifier?.stop(),
      })
    : null;
  // Telegram: one instance polls (or registers the webhook) and announces requests; taps arriving
  // by webhook are served by every instance (the routes are mounted on each).
  const telegram = runtime.telegram
    ? runtime.leader.run(TELEGRAM, {
        start: () => runtime.telegram?.start(),
        stop: () => runtime.telegram?.stop(),
      })
    : null;

  logger.info(
    {
      url,
      dataDir: config.dataDir,
      policyFile: config.policyFile,
      policyVersion: runtime.policy.current().version,
    },
    'agent-otp listening',
  );
  // On every start, not only the first: after a restart the operator still needs to know where
  // to go. On the console, like the first admin password; the JSON log above has the URL too.
  if (config.logLevel !== 'silent') {
    process.stderr.write(
      `Agent OTP on ${runtime.urls.publicUrl} (dashboard: /, docs: /docs, API docs: /api/docs)\n`,
    );
  }
  let closing: Promise<void> | null = null;
  return {
    runtime,
    url,
    port,
    close() {
      closing ??= (async () => {
        await sweeper.stop();
        await telegram?.stop();
        // In-flight requests get a grace period; held long-polls and event streams would keep
        // the process up for a minute, so after it every connection is closed.
        const grace = setTimeout(() => (server as Server).closeAllConnections(), 5000);
        grace.unref();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        clearTimeout(grace);
        await webhookDelivery.stop();
        await slackNotifier?.stop();
        // Every request has been answered: the checkpoint writer, if it runs here, signs the head
        // (so nothing acknowledged can be cut unnoticed while the server is down), then every
        // lease is given up so another instance takes the singletons at once.
        await checkpoints.stop();
        await runtime.close();
      })();
      return closing;
    },
  };
}

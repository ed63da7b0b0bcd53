import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { startAuditCheckpoints } from './audit-checkpoints.ts';
import type { Config } from './config.ts';
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

/** Starts the HTTP server and the expiry sweeper. */
export async function startServer(config: Config, options: RuntimeOptions = {}): Promise<RunningServer> {
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
  const server = serve({ fetch: runtime.app.fetch, port: config.port, hostname: config.host });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', resolve);
    server.once('error', reject);
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
  const local = ['127.0.0.1', '0.0.0.0', '::', '::1', 'localhost'].includes(config.host);
  if (!config.publicUrl) runtime.urls.publicUrl = local ? `http://localhost:${port}` : url;

  // Pending requests past their deadline and tokens past their lifetime become `expired`
  // here, not only when someone next reads them.
  let sweeping = false;
  const sweeper = setInterval(async () => {
    if (sweeping) return;
    sweeping = true;
    try {
      const expired = await runtime.permissions.expireDue();
      if (expired > 0) logger.info({ expired }, 'expired permissions past their deadline');
      await runtime.permissions.purgeIdempotencyKeys();
    } catch (error) {
      logger.error({ err: error }, 'expiry sweep failed');
    } finally {
      sweeping = false;
    }
  }, config.sweepIntervalMs);
  sweeper.unref();
  // Single instance: this process polls Telegram (or serves its webhook). See channel.ts for clusters.
  runtime.telegram?.start();
  const checkpoints = startAuditCheckpoints({
    store: runtime.store,
    anchor: runtime.auditAnchor,
    clock: runtime.clock,
    logger,
    intervalMs: config.auditCheckpointIntervalMs,
  });

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
    process.stderr.write(`Agent OTP on ${runtime.urls.publicUrl} (dashboard: /, API docs: /api/docs)\n`);
  }
  let closing: Promise<void> | null = null;
  return {
    runtime,
    url,
    port,
    close() {
      closing ??= (async () => {
        clearInterval(sweeper);
        await runtime.telegram?.stop();
        // In-flight requests get a grace period; held long-polls and event streams would keep
        // the process up for a minute, so after it every connection is closed.
        const grace = setTimeout(() => (server as Server).closeAllConnections(), 5000);
        grace.unref();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        clearTimeout(grace);
        // Every request has been answered: sign the head, so nothing acknowledged can be cut
        // unnoticed while the server is down.
        await checkpoints.stop();
        await runtime.close();
      })();
      return closing;
    },
  };
}

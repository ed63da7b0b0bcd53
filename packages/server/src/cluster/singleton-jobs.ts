import type { PermissionService } from '@agent-otp/core';
import type { Logger } from 'pino';
import { type AuditCheckpoints, startAuditCheckpoints } from '../audit-checkpoints.ts';
import type { SingletonWork } from './leader.ts';

/** The lease names of the server's own singletons (others: `telegram-poller`, `webhook-delivery`, …). */
export const EXPIRY_SWEEPER = 'expiry-sweeper';
export const AUDIT_CHECKPOINTS = 'audit-checkpoints';
export const WEBHOOK_DELIVERY = 'webhook-delivery';
export const SLACK_NOTIFIER = 'slack-notifier';
export const TELEGRAM = 'telegram';

/**
 * Pending requests past their deadline and tokens past their lifetime become `expired` here, not
 * only when someone next reads them. Each expiry is a compare-and-set on the permission, so even
 * two sweepers at once (a lease lost mid-sweep) never expire one twice; the lease only spares
 * the other instances the work.
 */
export function expirySweeperWork(deps: {
  permissions: Pick<PermissionService, 'expireDue' | 'purgeIdempotencyKeys'>;
  logger: Logger;
  intervalMs: number;
}): SingletonWork {
  const { logger } = deps;
  let timer: NodeJS.Timeout | null = null;
  let sweeping: Promise<void> | null = null;
  const sweep = async () => {
    try {
      const expired = await deps.permissions.expireDue();
      if (expired > 0) logger.info({ expired }, 'expired permissions past their deadline');
      await deps.permissions.purgeIdempotencyKeys();
    } catch (error) {
      logger.error({ err: error }, 'expiry sweep failed');
    }
  };
  return {
    start() {
      timer = setInterval(() => {
        sweeping ??= sweep().finally(() => {
          sweeping = null;
        });
      }, deps.intervalMs);
      timer.unref();
    },
    async stop() {
      if (timer) clearInterval(timer);
      timer = null;
      await sweeping;
    },
  };
}

/**
 * The audit checkpoint writer: one signer at a time, so the checkpoint file (shared by the
 * instances) has one writer. Each term of leadership starts a fresh writer that reads the file
 * anew, so it continues the checkpoints the previous leader wrote. At shutdown the head is
 * signed while the lease is still held; a lost lease stops without writing.
 */
export function auditCheckpointWork(start: () => AuditCheckpoints): SingletonWork {
  let running: AuditCheckpoints | null = null;
  return {
    start() {
      running = start();
    },
    async stop(reason) {
      const stopping = running;
      running = null;
      if (!stopping) return;
      if (reason === 'shutdown') await stopping.stop();
      else await stopping.halt();
    },
  };
}

export { startAuditCheckpoints };

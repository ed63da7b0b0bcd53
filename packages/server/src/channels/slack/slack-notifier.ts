import type { PermissionChange, PermissionEvents, Store } from '@agent-otp/core';
import type { WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import type { Links } from '../../routes/presenters.ts';
import { outcomeMessage, pendingMessage } from './slack-messages.ts';

export interface SlackNotifierDeps {
  store: Store;
  events: PermissionEvents;
  logger: Logger;
  links: Links;
  client: WebClient;
  clock: { now(): number };
}

const OUTCOMES = new Set(['approved', 'denied', 'expired', 'cancelled', 'revoked', 'used']);

/**
 * Sends approval messages to linked approvers and edits them with the outcome, however it came
 * (Slack, the dashboard, the API, expiry). Work for one permission runs in order, so an edit
 * never overtakes the message it edits; nothing here blocks or fails the permission flow.
 * Failed calls are retried by the Web API client (backoff; a 429 waits for Retry-After).
 */
export function createSlackNotifier({ store, events, logger, links, client, clock }: SlackNotifierDeps) {
  const queues = new Map<string, Promise<void>>();

  const agentName = async (agentId: string) => (await store.getAgent(agentId))?.name ?? agentId;

  async function announce(permissionId: string): Promise<void> {
    const permission = await store.getPermission(permissionId);
    if (permission?.status !== 'pending') return;
    const name = await agentName(permission.agentId);
    const message = pendingMessage(permission, name, links.approvalUrl(permission.id));
    for (const link of await store.listSlackLinks()) {
      const user = await store.getUser(link.userId);
      if (user?.status !== 'active' || (user.role !== 'admin' && user.role !== 'approver')) continue;
      try {
        // A bot posting to a user id opens (or reuses) the direct message with that user.
        const sent = await client.chat.postMessage({ channel: link.slackUserId, ...message });
        if (!sent.channel || !sent.ts) continue;
        await store.saveSlackMessage({
          permissionId: permission.id,
          slackUserId: link.slackUserId,
          channel: sent.channel,
          ts: sent.ts,
          createdAt: clock.now(),
        });
      } catch (error) {
        logger.warn(
          { err: error, permissionId, slackUser: link.slackUserId },
          'slack: approval message not sent',
        );
      }
    }
    // Decided while the messages were on their way: show the outcome at once.
    const now = await store.getPermission(permissionId);
    if (now && now.status !== 'pending') await settle(permissionId);
  }

  /** Edits every message of the permission to show its state now. */
  async function settle(permissionId: string): Promise<void> {
    const permission = await store.getPermission(permissionId);
    if (!permission || permission.status === 'pending') return;
    const message = outcomeMessage(permission, await agentName(permission.agentId));
    for (const sent of await store.listSlackMessages(permissionId)) {
      try {
        await client.chat.update({ channel: sent.channel, ts: sent.ts, ...message });
      } catch (error) {
        logger.warn({ err: error, permissionId, slackUser: sent.slackUserId }, 'slack: message not updated');
      }
    }
  }

  function enqueue(permissionId: string, work: () => Promise<void>): Promise<void> {
    const previous = queues.get(permissionId) ?? Promise.resolve();
    const next = previous
      .then(work)
      .catch((error: unknown) => logger.error({ err: error, permissionId }, 'slack: notification failed'));
    queues.set(permissionId, next);
    void next.finally(() => {
      if (queues.get(permissionId) === next) queues.delete(permissionId);
    });
    return next;
  }

  function onChange(change: PermissionChange): void {
    if (change.kind === 'created' && change.status === 'pending') {
      void enqueue(change.permissionId, () => announce(change.permissionId));
    } else if (OUTCOMES.has(change.kind)) {
      void enqueue(change.permissionId, () => settle(change.permissionId));
    }
  }

  let unsubscribe: (() => void) | null = null;
  return {
    start() {
      unsubscribe ??= events.subscribeAll(onChange);
    },
    async stop() {
      unsubscribe?.();
      unsubscribe = null;
      await this.idle();
    },
    /** Resolves when the messages and edits under way are done. */
    async idle() {
      while (queues.size > 0) await Promise.all([...queues.values()]);
    },
    settle: (permissionId: string) => enqueue(permissionId, () => settle(permissionId)),
  };
}

export type SlackNotifier = ReturnType<typeof createSlackNotifier>;

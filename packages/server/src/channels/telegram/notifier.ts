import { randomBytes } from 'node:crypto';
import {
  type Clock,
  canDecide,
  type Permission,
  type PermissionChange,
  type PermissionEvents,
  type Store,
  type TelegramMessage,
} from '@agent-otp/core';
import type { Api } from 'grammy';
import type { Logger } from 'pino';
import { decidedText, detailsUrl, keyboard, pendingText } from './message.ts';
import type { SendQueue } from './send-queue.ts';

export interface TelegramNotifierDeps {
  store: Store;
  events: PermissionEvents;
  clock: Clock;
  api: Api;
  queue: SendQueue;
  logger: Logger;
  publicUrl: () => string;
}

/**
 * Sends every new pending request to the linked chats of the users allowed to decide it, and
 * edits every copy when the request is decided (here or elsewhere), expires or is cancelled.
 * Listens to the PermissionEvents port; Telegram calls go through the send queue, so nothing
 * here ever delays or fails the permission flow.
 */
export function createTelegramNotifier({
  store,
  events,
  clock,
  api,
  queue,
  logger,
  publicUrl,
}: TelegramNotifierDeps) {
  const context = async (permission: Permission) => ({
    agent: await store.getAgent(permission.agentId),
    votes: await store.listApprovalVotes(permission.id),
  });

  async function announce(permissionId: string): Promise<void> {
    const permission = await store.getPermission(permissionId);
    if (permission?.status !== 'pending') return;
    const users = new Map((await store.listUsers()).map((u) => [u.id, u]));
    const recipients = (await store.listTelegramLinks()).filter((link) => {
      const user = users.get(link.userId);
      return user !== undefined && user.status === 'active' && canDecide(user);
    });
    if (recipients.length === 0) return;
    const { agent, votes } = await context(permission);
    const url = detailsUrl(publicUrl(), permission.id);
    for (const link of recipients) {
      const message: TelegramMessage = {
        id: randomBytes(16).toString('base64url'),
        permissionId: permission.id,
        userId: link.userId,
        chatId: link.chatId,
        messageId: null,
        finalStatus: null,
        createdAt: clock.now(),
      };
      // Another instance (or an earlier event) has this chat's message already.
      if (!(await store.addTelegramMessage(message))) continue;
      queue.push(`sendMessage ${permission.id}`, async () => {
        const text = pendingText(permission, agent, votes, clock.now());
        const sent = await api.sendMessage(link.chatId, text, { reply_markup: keyboard(message.id, url) });
        await store.setTelegramMessageId(message.id, sent.message_id);
        // Voted on or decided while the message was on its way: those edits found no message
        // id to edit, so bring this copy up to date now.
        const now = await store.getPermission(permission.id);
        const votesNow = await store.listApprovalVotes(permission.id);
        if ((now && now.status !== 'pending') || votesNow.length !== votes.length)
          await refresh(permission.id);
      });
    }
  }

  /** Brings every sent copy up to date: the vote count while pending, the outcome once decided. */
  async function refresh(permissionId: string): Promise<void> {
    const permission = await store.getPermission(permissionId);
    if (!permission) return;
    const messages = (await store.listTelegramMessages(permissionId)).filter((m) => m.messageId !== null);
    if (messages.length === 0) return;
    const { agent, votes } = await context(permission);
    const url = detailsUrl(publicUrl(), permission.id);
    for (const message of messages) {
      const messageId = message.messageId as number;
      if (permission.status === 'pending') {
        // Rendered when the queue gets to it: an older view must never overwrite the outcome.
        queue.push(`editMessageText ${permissionId}`, async () => {
          const current = await store.getPermission(permissionId);
          if (current?.status !== 'pending') return;
          const text = pendingText(current, agent, await store.listApprovalVotes(permissionId), clock.now());
          await api.editMessageText(message.chatId, messageId, text, {
            reply_markup: keyboard(message.id, url),
          });
        });
        continue;
      }
      // One instance edits each copy to the outcome, once.
      if (!(await store.claimTelegramMessageFinal(message.id, permission.status))) continue;
      const text = decidedText(permission, agent, votes, clock.now());
      queue.push(`editMessageText ${permissionId}`, () =>
        api.editMessageText(message.chatId, messageId, text, { reply_markup: keyboard(null, url) }),
      );
    }
  }

  async function onChange(change: PermissionChange) {
    try {
      if (change.kind === 'created' && change.status === 'pending') await announce(change.permissionId);
      else if (change.kind !== 'delivered' && change.kind !== 'used') await refresh(change.permissionId);
    } catch (error) {
      logger.error({ err: error, permissionId: change.permissionId }, 'telegram notification failed');
    }
  }

  let unsubscribe: (() => void) | null = null;
  return {
    announce,
    refresh,
    start() {
      unsubscribe ??= events.subscribeAll((change) => void onChange(change));
    },
    stop() {
      unsubscribe?.();
      unsubscribe = null;
    },
  };
}

export type TelegramNotifier = ReturnType<typeof createTelegramNotifier>;

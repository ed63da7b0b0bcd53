import { randomBytes } from 'node:crypto';
import {
  type Actor,
  AgentOtpError,
  type AuditEventInput,
  type Clock,
  type JsonObject,
  newId,
  type SecretHasher,
  type Store,
  type TelegramLink,
  type User,
} from '@agent-otp/core';

/** How long a link code can be redeemed with /start. */
export const LINK_CODE_TTL_MS = 10 * 60 * 1000;
// 144 bits, base64url: fits Telegram's /start deep-link payload (A-Z a-z 0-9 _ -, up to 64).
const CODE_PATTERN = /^[A-Za-z0-9_-]{24}$/;

export interface TelegramLinkDeps {
  store: Store;
  clock: Clock;
  hasher: SecretHasher;
}

/**
 * Binding a private Telegram chat to a user with a one-time code. The code is shown once (CLI,
 * dashboard) and stored only as a keyed hash; it expires after ten minutes and works once.
 */
export function createTelegramLinks({ store, clock, hasher }: TelegramLinkDeps) {
  const event = (name: string, actor: Actor, user: User, details: JsonObject = {}): AuditEventInput => ({
    id: newId('audit'),
    at: clock.now(),
    event: name,
    actor,
    agentId: null,
    permissionId: null,
    policyVersion: null,
    details: { user: user.name, userId: user.id, ...details },
  });

  /** A new code for `user`; an earlier unused code of theirs stops working. */
  async function createCode(user: User, actor: Actor): Promise<{ code: string; expiresAt: number }> {
    if (user.status !== 'active') throw new AgentOtpError('FORBIDDEN', `user ${user.name} is disabled`);
    const code = randomBytes(18).toString('base64url');
    const now = clock.now();
    const expiresAt = now + LINK_CODE_TTL_MS;
    await store.createTelegramLinkCode(
      { codeHash: hasher.hash(code), userId: user.id, createdAt: now, expiresAt },
      event('telegram.link_code_created', actor, user, { expiresAt }),
    );
    return { code, expiresAt };
  }

  /** Redeems a code from a private chat; null when it is unknown, used, expired or its user disabled. */
  async function redeem(
    code: string,
    chat: { chatId: string; chatLabel: string | null },
  ): Promise<{ link: TelegramLink; user: User } | null> {
    if (!CODE_PATTERN.test(code)) return null;
    let linked: User | null = null;
    const link = await store.redeemTelegramLinkCode(
      hasher.hash(code),
      chat,
      clock.now(),
      (user, replaced) => {
        linked = user;
        return [
          event('telegram.linked', { type: 'user', id: user.id }, user, {
            chatId: chat.chatId,
            ...(replaced && replaced.chatId !== chat.chatId ? { replacedChatId: replaced.chatId } : {}),
          }),
        ];
      },
    );
    return link && linked ? { link, user: linked } : null;
  }

  /** Removes the user's linked chat; NOT_FOUND when none is linked. */
  async function unlink(user: User, actor: Actor): Promise<TelegramLink> {
    const removed = await store.deleteTelegramLink(user.id, (link) => [
      event('telegram.unlinked', actor, user, { chatId: link.chatId }),
    ]);
    if (!removed) throw new AgentOtpError('NOT_FOUND', `user ${user.name} has no linked Telegram chat`);
    return removed;
  }

  return { createCode, redeem, unlink, get: (userId: string) => store.getTelegramLinkByUser(userId) };
}

export type TelegramLinks = ReturnType<typeof createTelegramLinks>;

import type { AuditEventInput, User } from '../types.ts';

/**
 * Storage of the Telegram approval channel: which chat belongs to which user, the one-time codes
 * that bind them, and the approval messages sent (so they can be edited to the outcome). Part
 * of the Store port (see store.ts); every change is one atomic operation with its audit entries.
 */

/** A user's linked private chat. One chat per user and one user per chat. */
export interface TelegramLink {
  userId: string;
  /** Telegram's chat id (a private chat: the same number as the person's Telegram user id). */
  chatId: string;
  /** The Telegram name shown on the account page (`@username` or first name); not trusted. */
  chatLabel: string | null;
  linkedAt: number;
}

/** A one-time link code as stored: only its keyed hash, never the code. */
export interface TelegramLinkCode {
  codeHash: string;
  userId: string;
  createdAt: number;
  expiresAt: number;
}

/**
 * One approval message sent (or about to be sent) to one chat. `id` is the opaque, unguessable
 * value its buttons carry as callback data; a tap is only honoured from the chat it was sent to.
 */
export interface TelegramMessage {
  id: string;
  permissionId: string;
  userId: string;
  chatId: string;
  /** Null until Telegram has accepted the message. */
  messageId: number | null;
  /** The terminal status the message was edited to, once claimed (see claimTelegramMessageFinal). */
  finalStatus: string | null;
  createdAt: number;
}

export interface TelegramStore {
  /**
   * Stores a new link code for its user, replacing that user's earlier unused codes (one live
   * code per user) and dropping expired codes of everyone, with its audit entry.
   */
  createTelegramLinkCode(code: TelegramLinkCode, audit: AuditEventInput): Promise<void>;
  /**
   * Compare-and-set redemption: in one transaction, marks the code used only if it exists, is
   * unused, has not expired at `now` and its user is active; then binds the chat to that user
   * (replacing the user's earlier chat and the chat's earlier user) and writes the entries
   * `audit` builds. Of N concurrent redemptions of one code exactly one wins. Null otherwise.
   */
  redeemTelegramLinkCode(
    codeHash: string,
    chat: { chatId: string; chatLabel: string | null },
    now: number,
    audit: (user: User, replaced: TelegramLink | null) => AuditEventInput[],
  ): Promise<TelegramLink | null>;
  getTelegramLinkByChat(chatId: string): Promise<TelegramLink | null>;
  getTelegramLinkByUser(userId: string): Promise<TelegramLink | null>;
  listTelegramLinks(): Promise<TelegramLink[]>;
  /** Removes a user's link with the audit entries built from it; null when there was none. */
  deleteTelegramLink(
    userId: string,
    audit: (link: TelegramLink) => AuditEventInput[],
  ): Promise<TelegramLink | null>;
  /**
   * Records an approval message before it is sent. Returns false, writing nothing, when this
   * permission already has a message for this chat: of several server instances announcing one
   * request, exactly one sends it.
   */
  addTelegramMessage(message: TelegramMessage): Promise<boolean>;
  /** Records the id Telegram gave the message. */
  setTelegramMessageId(id: string, messageId: number): Promise<void>;
  getTelegramMessage(id: string): Promise<TelegramMessage | null>;
  listTelegramMessages(permissionId: string): Promise<TelegramMessage[]>;
  /**
   * Compare-and-set: marks the message as edited to `status` only if no final edit was claimed
   * yet, so among instances that all hear of a decision exactly one edits each message.
   */
  claimTelegramMessageFinal(id: string, status: string): Promise<boolean>;
}

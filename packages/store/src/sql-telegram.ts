import type { Store, TelegramLink, TelegramMessage } from '@agent-otp/core';
import type { AuditWriter } from './audit-append.ts';
import { toUser, USER_COLUMNS, type UserRow } from './human-rows.ts';
import type { SqlDriver } from './sql-driver.ts';

type Int = number | string;
type TelegramMethods = Pick<
  Store,
  | 'createTelegramLinkCode'
  | 'redeemTelegramLinkCode'
  | 'getTelegramLinkByChat'
  | 'getTelegramLinkByUser'
  | 'listTelegramLinks'
  | 'deleteTelegramLink'
  | 'addTelegramMessage'
  | 'setTelegramMessageId'
  | 'getTelegramMessage'
  | 'listTelegramMessages'
  | 'claimTelegramMessageFinal'
>;

interface LinkRow {
  user_id: string;
  chat_id: string;
  chat_label: string | null;
  linked_at: Int;
}
interface MessageRow {
  id: string;
  permission_id: string;
  user_id: string;
  chat_id: string;
  message_id: Int | null;
  final_status: string | null;
  created_at: Int;
}

const LINK_COLUMNS = 'user_id, chat_id, chat_label, linked_at';
const MESSAGE_COLUMNS = 'id, permission_id, user_id, chat_id, message_id, final_status, created_at';

const toLink = (row: LinkRow): TelegramLink => ({
  userId: row.user_id,
  chatId: row.chat_id,
  chatLabel: row.chat_label,
  linkedAt: Number(row.linked_at),
});

const toMessage = (row: MessageRow): TelegramMessage => ({
  id: row.id,
  permissionId: row.permission_id,
  userId: row.user_id,
  chatId: row.chat_id,
  messageId: row.message_id === null ? null : Number(row.message_id),
  finalStatus: row.final_status,
  createdAt: Number(row.created_at),
});

// The redemption is the compare-and-set: only an unused, unexpired code is marked used, so of
// racing redemptions exactly one gets a row back.
const REDEEM_CODE =
  'UPDATE telegram_link_codes SET used_at = ? WHERE code_hash = ? AND used_at IS NULL AND expires_at > ? RETURNING user_id';
// A no-op UPDATE: it locks the user row on PostgreSQL, so a link cannot land beside a disable.
const ACTIVE_USER = `UPDATE users SET updated_at = updated_at WHERE id = ? AND status = 'active' RETURNING ${USER_COLUMNS}`;

/** Linked Telegram chats, their one-time codes and the approval messages sent to them. */
export function sqlTelegramMethods(driver: SqlDriver, writer: AuditWriter): TelegramMethods {
  const linkBy = async (column: 'chat_id' | 'user_id', value: string) => {
    const row = await driver.get<LinkRow>(`SELECT ${LINK_COLUMNS} FROM telegram_links WHERE ${column} = ?`, [
      value,
    ]);
    return row ? toLink(row) : null;
  };

  return {
    createTelegramLinkCode(code, audit) {
      return driver.transaction(async (tx) => {
        await tx.run('DELETE FROM telegram_link_codes WHERE user_id = ? AND used_at IS NULL', [code.userId]);
        await tx.run('DELETE FROM telegram_link_codes WHERE expires_at <= ?', [code.createdAt]);
        await tx.run(
          'INSERT INTO telegram_link_codes (code_hash, user_id, created_at, expires_at, used_at) VALUES (?, ?, ?, ?, NULL)',
          [code.codeHash, code.userId, code.createdAt, code.expiresAt],
        );
        await writer.append(tx, [audit]);
      });
    },

    redeemTelegramLinkCode(codeHash, chat, now, audit) {
      return driver
        .transaction(async (tx) => {
          const code = await tx.get<{ user_id: string }>(REDEEM_CODE, [now, codeHash, now]);
          if (!code) return null;
          const userRow = await tx.get<UserRow>(ACTIVE_USER, [code.user_id]);
          // Throwing rolls the redemption back; a disabled user's code is simply refused.
          if (!userRow) throw new RedeemRefused();
          const previous = await tx.get<LinkRow>(
            `SELECT ${LINK_COLUMNS} FROM telegram_links WHERE user_id = ?`,
            [code.user_id],
          );
          await tx.run('DELETE FROM telegram_links WHERE user_id = ? OR chat_id = ?', [
            code.user_id,
            chat.chatId,
          ]);
          const link: TelegramLink = {
            userId: code.user_id,
            chatId: chat.chatId,
            chatLabel: chat.chatLabel,
            linkedAt: now,
          };
          await tx.run(
            'INSERT INTO telegram_links (user_id, chat_id, chat_label, linked_at) VALUES (?, ?, ?, ?)',
            [link.userId, link.chatId, link.chatLabel, link.linkedAt],
          );
          await writer.append(tx, audit(toUser(userRow), previous ? toLink(previous) : null));
          return link;
        })
        .catch((error: unknown) => {
          if (error instanceof RedeemRefused) return null;
          throw error;
        });
    },

    getTelegramLinkByChat: (chatId) => linkBy('chat_id', chatId),
    getTelegramLinkByUser: (userId) => linkBy('user_id', userId),
    async listTelegramLinks() {
      const rows = await driver.all<LinkRow>(
        `SELECT ${LINK_COLUMNS} FROM telegram_links ORDER BY linked_at, user_id`,
      );
      return rows.map(toLink);
    },

    deleteTelegramLink(userId, audit) {
      return driver.transaction(async (tx) => {
        const row = await tx.get<LinkRow>(
          `DELETE FROM telegram_links WHERE user_id = ? RETURNING ${LINK_COLUMNS}`,
          [userId],
        );
        if (!row) return null;
        const link = toLink(row);
        await writer.append(tx, audit(link));
        return link;
      });
    },

    async addTelegramMessage(message) {
      // ON CONFLICT DO NOTHING rather than a prior SELECT: racing instances both pass a SELECT.
      const inserted = await driver.run(
        `INSERT INTO telegram_messages (${MESSAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (permission_id, chat_id) DO NOTHING`,
        [
          message.id,
          message.permissionId,
          message.userId,
          message.chatId,
          message.messageId,
          message.finalStatus,
          message.createdAt,
        ],
      );
      return inserted.changes === 1;
    },
    async setTelegramMessageId(id, messageId) {
      await driver.run('UPDATE telegram_messages SET message_id = ? WHERE id = ?', [messageId, id]);
    },
    async getTelegramMessage(id) {
      const row = await driver.get<MessageRow>(
        `SELECT ${MESSAGE_COLUMNS} FROM telegram_messages WHERE id = ?`,
        [id],
      );
      return row ? toMessage(row) : null;
    },
    async listTelegramMessages(permissionId) {
      const rows = await driver.all<MessageRow>(
        `SELECT ${MESSAGE_COLUMNS} FROM telegram_messages WHERE permission_id = ? ORDER BY created_at, id`,
        [permissionId],
      );
      return rows.map(toMessage);
    },
    async claimTelegramMessageFinal(id, status) {
      const claimed = await driver.run(
        'UPDATE telegram_messages SET final_status = ? WHERE id = ? AND final_status IS NULL',
        [status, id],
      );
      return claimed.changes === 1;
    },
  };
}

/** Rolls back a redemption whose user is not active. */
class RedeemRefused extends Error {}

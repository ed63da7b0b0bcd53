import { AgentOtpError, type SlackLink, type SlackMessage, type Store } from '@agent-otp/core';
import type { AuditWriter } from './audit-append.ts';
import type { SqlDriver } from './sql-driver.ts';

type SlackMethods = Pick<
  Store,
  | 'linkSlackUser'
  | 'unlinkSlackUser'
  | 'getSlackLinkBySlackUser'
  | 'listSlackLinks'
  | 'saveSlackMessage'
  | 'listSlackMessages'
>;

interface LinkRow {
  user_id: string;
  slack_user_id: string;
  created_at: number | string;
}

interface MessageRow {
  permission_id: string;
  slack_user_id: string;
  channel: string;
  ts: string;
  created_at: number | string;
}

const toLink = (r: LinkRow): SlackLink => ({
  userId: r.user_id,
  slackUserId: r.slack_user_id,
  createdAt: Number(r.created_at),
});

const toMessage = (r: MessageRow): SlackMessage => ({
  permissionId: r.permission_id,
  slackUserId: r.slack_user_id,
  channel: r.channel,
  ts: r.ts,
  createdAt: Number(r.created_at),
});

/** Slack links and approval messages (see the Store port). */
export function sqlSlackMethods(driver: SqlDriver, writer: AuditWriter): SlackMethods {
  return {
    linkSlackUser(link, audit) {
      return driver.transaction(async (tx) => {
        await tx.run('DELETE FROM slack_links WHERE user_id = ?', [link.userId]);
        try {
          await tx.run('INSERT INTO slack_links (user_id, slack_user_id, created_at) VALUES (?, ?, ?)', [
            link.userId,
            link.slackUserId,
            link.createdAt,
          ]);
        } catch (error) {
          if (driver.isUniqueViolation(error)) {
            throw new AgentOtpError('CONFLICT', `Slack user ${link.slackUserId} is linked to another user`, {
              field: 'slackUserId',
            });
          }
          throw error;
        }
        await writer.append(tx, [audit]);
      });
    },
    unlinkSlackUser(userId, audit) {
      return driver.transaction(async (tx) => {
        const { changes } = await tx.run('DELETE FROM slack_links WHERE user_id = ?', [userId]);
        if (changes === 0) return false;
        await writer.append(tx, [audit]);
        return true;
      });
    },
    async getSlackLinkBySlackUser(slackUserId) {
      const row = await driver.get<LinkRow>(
        'SELECT user_id, slack_user_id, created_at FROM slack_links WHERE slack_user_id = ?',
        [slackUserId],
      );
      return row ? toLink(row) : null;
    },
    async listSlackLinks() {
      const rows = await driver.all<LinkRow>(
        'SELECT user_id, slack_user_id, created_at FROM slack_links ORDER BY created_at, user_id',
      );
      return rows.map(toLink);
    },
    async saveSlackMessage(m) {
      await driver.run(
        'INSERT INTO slack_messages (permission_id, slack_user_id, channel, ts, created_at) VALUES (?, ?, ?, ?, ?) ' +
          'ON CONFLICT (permission_id, slack_user_id) DO NOTHING',
        [m.permissionId, m.slackUserId, m.channel, m.ts, m.createdAt],
      );
    },
    async listSlackMessages(permissionId) {
      const rows = await driver.all<MessageRow>(
        'SELECT permission_id, slack_user_id, channel, ts, created_at FROM slack_messages WHERE permission_id = ? ORDER BY created_at, slack_user_id',
        [permissionId],
      );
      return rows.map(toMessage);
    },
  };
}

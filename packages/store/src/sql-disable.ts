import type { Store } from '@agent-otp/core';
import type { AuditWriter } from './audit-append.ts';
import {
  toUser,
  toUserToken,
  USER_COLUMNS,
  USER_TOKEN_COLUMNS,
  type UserRow,
  type UserTokenRow,
} from './human-rows.ts';
import {
  AGENT_COLUMNS,
  type AgentRow,
  PERMISSION_COLUMNS,
  type PermissionRow,
  toAgent,
  toPermission,
} from './rows.ts';
import type { SqlDriver } from './sql-driver.ts';

type DisableMethods = Pick<Store, 'disableAgent' | 'enableAgent' | 'disableUser'>;

// Each is a compare-and-set on the permission's status, so a use or decision racing the disable
// either commits first (and is then ended here) or finds the permission revoked/cancelled.
const REVOKE_APPROVED =
  "UPDATE permissions SET status = 'revoked', reason = ?, decided_at = COALESCE(decided_at, ?), updated_at = ? " +
  `WHERE agent_id = ? AND status = 'approved' AND expires_at > ? RETURNING ${PERMISSION_COLUMNS}`;
const CANCEL_PENDING =
  "UPDATE permissions SET status = 'cancelled', reason = ?, decided_at = ?, updated_at = ? " +
  `WHERE agent_id = ? AND status = 'pending' AND expires_at > ? RETURNING ${PERMISSION_COLUMNS}`;
const REVOKE_TOKENS = `UPDATE user_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL RETURNING ${USER_TOKEN_COLUMNS}`;

/**
 * Disabling ends credentials for good (Store.disableAgent, Store.disableUser): the status change,
 * the credentials it ends and their audit entries commit in one transaction, or none of it does.
 */
export function sqlDisableMethods(driver: SqlDriver, writer: AuditWriter): DisableMethods {
  return {
    disableAgent(id, now, reason, audit) {
      return driver.transaction(async (tx) => {
        const row = await tx.get<AgentRow>(
          // A previous key of a grace period dies with the current one.
          "UPDATE agents SET status = 'disabled', previous_key_hash = NULL, previous_key_prefix = NULL, " +
            `previous_key_expires_at = NULL, updated_at = ? WHERE id = ? RETURNING ${AGENT_COLUMNS}`,
          [now, id],
        );
        if (!row) return null;
        const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
        const revoked = (await tx.all<PermissionRow>(REVOKE_APPROVED, [reason, now, now, id, now]))
          .map(toPermission)
          .sort(byId);
        const cancelled = (await tx.all<PermissionRow>(CANCEL_PENDING, [reason, now, now, id, now]))
          .map(toPermission)
          .sort(byId);
        const ended = { agent: toAgent(row), revoked, cancelled };
        await writer.append(tx, audit(ended));
        return ended;
      });
    },
    enableAgent(id, keyHash, keyPrefix, now, audit) {
      return driver.transaction(async (tx) => {
        const row = await tx.get<AgentRow>(
          "UPDATE agents SET status = 'active', key_hash = ?, key_prefix = ?, previous_key_hash = NULL, " +
            `previous_key_prefix = NULL, previous_key_expires_at = NULL, updated_at = ? WHERE id = ? RETURNING ${AGENT_COLUMNS}`,
          [keyHash, keyPrefix, now, id],
        );
        if (!row) return null;
        await writer.append(tx, [audit]);
        return toAgent(row);
      });
    },
    disableUser(id, now, audit) {
      return driver.transaction(async (tx) => {
        const row = await tx.get<UserRow>(
          `UPDATE users SET status = 'disabled', updated_at = ? WHERE id = ? RETURNING ${USER_COLUMNS}`,
          [now, id],
        );
        if (!row) return null;
        const sessions = await tx.run('DELETE FROM sessions WHERE user_id = ?', [id]);
        const tokensRevoked = (await tx.all<UserTokenRow>(REVOKE_TOKENS, [now, id]))
          .map(toUserToken)
          .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
        const ended = { user: toUser(row), sessionsEnded: sessions.changes, tokensRevoked };
        await writer.append(tx, audit(ended));
        return ended;
      });
    },
  };
}

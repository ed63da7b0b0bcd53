import { AgentOtpError, type Store } from '@agent-otp/core';
import type { AuditWriter } from './audit-append.ts';
import {
  SESSION_COLUMNS,
  type SessionRow,
  toSession,
  toUser,
  toUserToken,
  USER_COLUMNS,
  USER_TOKEN_COLUMNS,
  type UserRow,
  type UserTokenRow,
} from './human-rows.ts';
import type { SqlDriver, SqlExecutor } from './sql-driver.ts';

type HumanMethods = Pick<
  Store,
  | 'createUser'
  | 'getUser'
  | 'getUserByName'
  | 'listUsers'
  | 'updateUser'
  | 'changeUserRole'
  | 'setUserPassword'
  | 'createUserToken'
  | 'getUserTokenByHash'
  | 'listUserTokens'
  | 'revokeUserToken'
  | 'createSession'
  | 'getSessionByHash'
  | 'deleteSession'
  | 'deleteExpiredSessions'
>;

// A no-op UPDATE rather than a SELECT: on PostgreSQL it locks the user row, so a credential
// minted while disableUser runs waits for it, sees the user disabled and is refused; otherwise it
// could slip in after the disable and come back to life when the user is enabled again.
const LOCK_ACTIVE_USER =
  "UPDATE users SET updated_at = updated_at WHERE id = ? AND status = 'active' RETURNING id";

async function requireActiveUser(tx: SqlExecutor, userId: string): Promise<void> {
  if (!(await tx.get(LOCK_ACTIVE_USER, [userId]))) {
    throw new AgentOtpError('FORBIDDEN', `user ${userId} is disabled or does not exist`);
  }
}

const USER_PATCH = { status: 'status', role: 'role', passwordHash: 'password_hash' } as const;

/** Users, their personal API tokens and browser sessions. */
export function sqlHumanMethods(driver: SqlDriver, writer: AuditWriter): HumanMethods {
  const userBy = async (column: 'id' | 'name', value: string) => {
    const row = await driver.get<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE ${column} = ?`, [value]);
    return row ? toUser(row) : null;
  };

  return {
    async createUser(user, audit) {
      await driver.transaction(async (tx) => {
        try {
          await tx.run(`INSERT INTO users (${USER_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)`, [
            user.id,
            user.name,
            user.role,
            user.status,
            user.passwordHash,
            user.createdAt,
            user.updatedAt,
          ]);
        } catch (error) {
          if (driver.isUniqueViolation(error)) {
            throw new AgentOtpError('CONFLICT', `a user named "${user.name}" already exists`, {
              field: 'name',
            });
          }
          throw error;
        }
        await writer.append(tx, [audit]);
      });
    },
    getUser: (id) => userBy('id', id),
    getUserByName: (name) => userBy('name', name),
    async listUsers() {
      return (await driver.all<UserRow>(`SELECT ${USER_COLUMNS} FROM users ORDER BY created_at, id`)).map(
        toUser,
      );
    },
    updateUser(id, patch, now, audit) {
      const fields = (Object.keys(USER_PATCH) as (keyof typeof USER_PATCH)[]).filter(
        (k) => patch[k] !== undefined,
      );
      const set = [...fields.map((k) => `${USER_PATCH[k]} = ?`), 'updated_at = ?'].join(', ');
      return driver.transaction(async (tx) => {
        const row = await tx.get<UserRow>(`UPDATE users SET ${set} WHERE id = ? RETURNING ${USER_COLUMNS}`, [
          ...fields.map((k) => patch[k]),
          now,
          id,
        ]);
        if (!row) return null;
        await writer.append(tx, [audit]);
        return toUser(row);
      });
    },
    changeUserRole(id, from, to, now, audit) {
      const demotion = from === 'admin' && to !== 'admin';
      return driver.transaction(async (tx) => {
        // Lock every active admin (a no-op UPDATE), so a concurrent demotion waits for this one
        // and then sees its result: the check below can never pass in both.
        if (demotion)
          await tx.run("UPDATE users SET updated_at = updated_at WHERE role = 'admin' AND status = 'active'");
        const lastAdminGuard = demotion
          ? " AND (status <> 'active' OR EXISTS (SELECT 1 FROM users o WHERE o.role = 'admin' AND o.status = 'active' AND o.id <> users.id))"
          : '';
        const row = await tx.get<UserRow>(
          `UPDATE users SET role = ?, updated_at = ? WHERE id = ? AND role = ?${lastAdminGuard} RETURNING ${USER_COLUMNS}`,
          [to, now, id, from],
        );
        if (!row) return null;
        await writer.append(tx, [audit]);
        return toUser(row);
      });
    },
    setUserPassword(id, passwordHash, now, keepSessionId, audit) {
      return driver.transaction(async (tx) => {
        const row = await tx.get<UserRow>(
          `UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ? RETURNING ${USER_COLUMNS}`,
          [passwordHash, now, id],
        );
        if (!row) return null;
        // Whoever held the old password may be logged in: their sessions end with it.
        const sessions =
          keepSessionId === null
            ? await tx.run('DELETE FROM sessions WHERE user_id = ?', [id])
            : await tx.run('DELETE FROM sessions WHERE user_id = ? AND id <> ?', [id, keepSessionId]);
        const sessionsEnded = sessions.changes;
        await writer.append(tx, audit({ sessionsEnded }));
        return { user: toUser(row), sessionsEnded };
      });
    },

    async createUserToken(token, audit) {
      await driver.transaction(async (tx) => {
        await requireActiveUser(tx, token.userId);
        await tx.run(`INSERT INTO user_tokens (${USER_TOKEN_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?)`, [
          token.id,
          token.userId,
          token.name,
          token.tokenHash,
          token.createdAt,
          token.revokedAt,
        ]);
        await writer.append(tx, [audit]);
      });
    },
    async getUserTokenByHash(tokenHash) {
      const row = await driver.get<UserTokenRow>(
        `SELECT ${USER_TOKEN_COLUMNS} FROM user_tokens WHERE token_hash = ? AND revoked_at IS NULL`,
        [tokenHash],
      );
      return row ? toUserToken(row) : null;
    },
    async listUserTokens(userId) {
      const rows = await driver.all<UserTokenRow>(
        `SELECT ${USER_TOKEN_COLUMNS} FROM user_tokens WHERE user_id = ? ORDER BY created_at, id`,
        [userId],
      );
      return rows.map(toUserToken);
    },
    revokeUserToken(id, now, audit) {
      return driver.transaction(async (tx) => {
        const row = await tx.get<UserTokenRow>(
          `UPDATE user_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING ${USER_TOKEN_COLUMNS}`,
          [now, id],
        );
        if (!row) return null;
        await writer.append(tx, [audit]);
        return toUserToken(row);
      });
    },

    async createSession(session, audit) {
      await driver.transaction(async (tx) => {
        await requireActiveUser(tx, session.userId);
        await tx.run(`INSERT INTO sessions (${SESSION_COLUMNS}) VALUES (?, ?, ?, ?, ?)`, [
          session.id,
          session.userId,
          session.tokenHash,
          session.createdAt,
          session.expiresAt,
        ]);
        await writer.append(tx, [audit]);
      });
    },
    async getSessionByHash(tokenHash) {
      const row = await driver.get<SessionRow>(
        `SELECT ${SESSION_COLUMNS} FROM sessions WHERE token_hash = ?`,
        [tokenHash],
      );
      return row ? toSession(row) : null;
    },
    async deleteSession(id, audit) {
      await driver.transaction(async (tx) => {
        await tx.run('DELETE FROM sessions WHERE id = ?', [id]);
        if (audit) await writer.append(tx, [audit]);
      });
    },
    async deleteExpiredSessions(now) {
      return (await driver.run('DELETE FROM sessions WHERE expires_at <= ?', [now])).changes;
    },
  };
}

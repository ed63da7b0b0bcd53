import { createUserAdmin } from './user-admin.ts';
import { createUserContext, type UserServiceDeps } from './user-context.ts';
import { createUserSessions } from './user-sessions.ts';
import { createUserTokens } from './user-tokens.ts';

export { MIN_PASSWORD_LENGTH } from './user-admin.ts';
export type { UserServiceDeps } from './user-context.ts';
export type { LoginResult } from './user-sessions.ts';

/** Dashboard users, their passwords, personal API tokens (`uat_…`) and browser sessions. */
export function createUserService(deps: UserServiceDeps) {
  const ctx = createUserContext(deps);
  const admin = createUserAdmin(ctx);
  const sessions = createUserSessions(ctx);
  const tokens = createUserTokens(ctx);
  return {
    create: admin.create,
    find: admin.find,
    list: admin.list,
    disable: admin.disable,
    enable: admin.enable,
    setRole: admin.setRole,
    setPassword: admin.setPassword,
    login: sessions.login,
    authenticateSession: sessions.authenticateSession,
    csrfToken: sessions.csrfToken,
    checkCsrf: sessions.checkCsrf,
    changeOwnPassword: sessions.changeOwnPassword,
    logout: sessions.logout,
    createToken: tokens.createToken,
    listTokens: tokens.listTokens,
    authenticateToken: tokens.authenticateToken,
    revokeToken: tokens.revokeToken,
    ensureAdmin: admin.ensureAdmin,
  };
}

export type UserService = ReturnType<typeof createUserService>;

import { AgentOtpError, type UserService } from '@agent-otp/core';
import type { MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { AppEnv } from './env.ts';

export const SESSION_COOKIE = 'agent_otp_session';
export const CSRF_HEADER = 'x-csrf-token';

/**
 * Human routes take a personal API token (`Authorization: Bearer uat_…`) or a browser session
 * cookie. With a cookie, every unsafe method must carry the session's CSRF token (header
 * X-CSRF-Token or form field `_csrf`): a cookie alone, sent by a forged cross-site form, does
 * nothing. Agent keys are refused here: agents can never approve anything.
 */
export function humanAuth(users: UserService): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (header) {
      const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1] ?? '';
      if (token.startsWith('ak_')) throw new AgentOtpError('FORBIDDEN', 'agent keys cannot use human routes');
      const user = await users.authenticateToken(token);
      if (!user)
        throw new AgentOtpError('UNAUTHORIZED', 'a valid user token (uat_…) or a session is required');
      c.set('user', user);
      c.set('session', null);
      return next();
    }
    const cookie = getCookie(c, SESSION_COOKIE);
    const found = cookie ? await users.authenticateSession(cookie) : null;
    if (!found) throw new AgentOtpError('UNAUTHORIZED', 'log in, or send a user token (uat_…)');
    if (!['GET', 'HEAD', 'OPTIONS'].includes(c.req.method)) {
      const presented = c.req.header(CSRF_HEADER) ?? (await formField(c.req.raw.clone(), '_csrf'));
      if (!users.checkCsrf(found.session, presented)) {
        throw new AgentOtpError('FORBIDDEN', 'missing or wrong CSRF token');
      }
    }
    c.set('user', found.user);
    c.set('session', found.session);
    return next();
  };
}

async function formField(request: Request, name: string): Promise<string | undefined> {
  const type = request.headers.get('content-type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data'))
    return undefined;
  try {
    const value = (await request.formData()).get(name);
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

import { AgentOtpError, type User, type UserRole, type UserService } from '@agent-otp/core';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie } from 'hono/cookie';
import type { DashEnv } from '../deps.ts';

/** The same cookie and header names as the server's humanAuth, so one login serves both. */
export const SESSION_COOKIE = 'agent_otp_session';
export const CSRF_HEADER = 'x-csrf-token';

const SAFE_METHODS = ['GET', 'HEAD', 'OPTIONS'];
/** Paths reachable without a session: the login form and the static files it needs. */
const isPublic = (path: string) =>
  path === '/login' || path === '/favicon.ico' || path.startsWith('/assets/');

/** The documentation: public, yet a logged-in reader keeps the dashboard's menu. */
const isDocs = (path: string) => path === '/docs' || path.startsWith('/docs/');

export const isUnsafe = (method: string) => !SAFE_METHODS.includes(method);

/**
 * The dashboard's session: only the cookie counts. An Authorization header (an agent key or a
 * user token) is ignored here, so an agent can never ride into the approval UI. Every unsafe
 * method must carry the session's CSRF token, and browsers that say the request came from
 * another site are refused before the token is even looked at.
 */
export function dashboardSession(users: UserService): MiddlewareHandler<DashEnv> {
  return async (c, next) => {
    const unsafe = isUnsafe(c.req.method);
    if (unsafe && !sameOriginRequest(c))
      throw new AgentOtpError('FORBIDDEN', 'cross-site form posts are refused');
    if (isPublic(c.req.path)) return next();
    const cookie = getCookie(c, SESSION_COOKIE);
    const found = cookie ? await users.authenticateSession(cookie) : null;
    if (!found) return isDocs(c.req.path) && !unsafe ? next() : toLogin(c);
    if (unsafe) {
      const presented = c.req.header(CSRF_HEADER) ?? (await formField(c, '_csrf'));
      if (!users.checkCsrf(found.session, presented)) {
        throw new AgentOtpError('FORBIDDEN', 'missing or wrong CSRF token; reload the page and try again');
      }
    }
    c.set('user', found.user);
    c.set('session', found.session);
    c.set('csrf', users.csrfToken(found.session));
    return next();
  };
}

/** Sec-Fetch-Site is sent by every current browser; absent (curl, tests) is left to the CSRF token. */
function sameOriginRequest(c: Context): boolean {
  const site = c.req.header('sec-fetch-site');
  return site === undefined || site === 'same-origin' || site === 'none';
}

function toLogin(c: Context) {
  // htmx fragments and the event stream cannot follow a redirect into a page: tell htmx instead.
  if (c.req.header('hx-request') === 'true') {
    c.header('HX-Redirect', '/login');
    return c.body(null, 401);
  }
  if (c.req.path.startsWith('/events/')) return c.text('log in first', 401);
  if (isUnsafe(c.req.method)) return c.redirect('/login', 303);
  const url = new URL(c.req.url);
  const next = url.pathname === '/' ? '' : `?next=${encodeURIComponent(url.pathname + url.search)}`;
  return c.redirect(`/login${next}`, 302);
}

async function formField(c: Context, name: string): Promise<string | undefined> {
  const type = c.req.header('content-type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data'))
    return undefined;
  try {
    const value = (await c.req.parseBody())[name];
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

const RANK: Record<UserRole, number> = { viewer: 0, approver: 1, admin: 2 };

/** True when the user's role is at least `role` (viewer < approver < admin). */
export const hasRole = (user: User, role: UserRole) => RANK[user.role] >= RANK[role];

/** Throws FORBIDDEN (rendered as a 403 page) unless the user has at least `role`. */
export function requireRole(user: User, role: UserRole): void {
  if (!hasRole(user, role))
    throw new AgentOtpError('FORBIDDEN', `this needs the ${role} role; you are ${user.role}`);
}

const DUMMY_ORIGIN = 'http://next.invalid';
/**
 * One `/`, not followed by `/`, then printable ASCII without space or `\`: the shape of every
 * path the dashboard links to itself.
 */
const PLAIN_PATH = /^\/(?!\/)[\x21-\x5b\x5d-\x7e]*$/;

/** Each percent-decoding of a path (a few levels deep), so `%2F`, `%252F`… are seen for what they mean. */
function decodings(path: string): string[] | null {
  const seen: string[] = [];
  let current = path;
  for (let i = 0; i < 3 && current.includes('%'); i++) {
    try {
      current = decodeURIComponent(current);
    } catch {
      return null;
    }
    seen.push(current);
  }
  return seen;
}

/**
 * The post-login target: only a same-origin path of a strict form, else `/`. Browsers strip tabs
 * and newlines from a Location and read `\` as `/`, so `/\t/evil`, `/\evil` or `/%2F/evil`
 * (after a decoding proxy) could become `//evil`, another site; CR or LF would also break the
 * header. So the value must be plain (see PLAIN_PATH), resolve against a dummy origin without
 * leaving it, and its path must stay plain through percent-decoding.
 */
export function safeNext(value: unknown): string {
  if (typeof value !== 'string' || value.length > 2048 || !PLAIN_PATH.test(value)) return '/';
  let url: URL;
  try {
    url = new URL(value, DUMMY_ORIGIN);
  } catch {
    return '/';
  }
  if (url.origin !== DUMMY_ORIGIN) return '/';
  const decoded = decodings(url.pathname);
  if (!decoded?.every((path) => PLAIN_PATH.test(path))) return '/';
  const target = url.pathname + url.search + url.hash;
  return PLAIN_PATH.test(target) ? target : '/';
}

import { createHmac, timingSafeEqual } from 'node:crypto';
import { mintedBy } from '../audit/minted-by.ts';
import { AgentOtpError } from '../errors.ts';
import { newId } from '../ids.ts';
import { generateSecret, looksLikeSecret, SESSION_PREFIX } from '../secrets.ts';
import type { Actor, Session, User } from '../types.ts';
import { createLoginThrottle, LOGIN_LIMITS, type ThrottleKind } from './login-throttle.ts';
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from './password.ts';
import { checkPassword } from './user-admin.ts';
import { USER_NAME, type UserContext } from './user-context.ts';

/** Names in throttle keys are cut just past the longest a user name can be, to bound memory. */
const keyName = (name: string) => name.toLowerCase().slice(0, 65);
const pairKey = (name: string, address: string) => `pair:${address}|${keyName(name)}`;

/** The throttle keys of a login attempt, by kind (see LOGIN_LIMITS). */
function loginKeys(name: string, address: string): Array<[ThrottleKind, string]> {
  return [
    ['pair', pairKey(name, address)],
    ['address', `address:${address}`],
    ['name', `name:${keyName(name)}`],
  ];
}

export interface LoginResult {
  user: User;
  session: Session;
  /** The cookie value: shown to the browser once, stored only as a hash. */
  sessionToken: string;
}

/** Password login (throttled), browser sessions and their CSRF tokens. */
export function createUserSessions(ctx: UserContext) {
  const { store, clock, hasher, event } = ctx;
  const throttle = ctx.loginThrottle ?? createLoginThrottle(() => clock.now());

  /** The audit's account of a login attempt's name: a made-up one only short and sanitized. */
  async function auditName(name: string, known?: boolean): Promise<string> {
    const exists = known ?? (USER_NAME.test(name) && (await store.getUserByName(name)) !== null);
    const clean = name.replace(/[^A-Za-z0-9._@-]/g, '?');
    const max = exists ? 64 : 24;
    return clean.length > max ? `${clean.slice(0, max)}…` : clean;
  }

  /**
   * Refuses an attempt while any of its keys must wait, auditing one entry per key and window
   * (with the number of refused attempts) rather than one per attempt.
   */
  async function checkThrottle(name: string, meta: { ip?: string }): Promise<void> {
    const address = meta.ip ?? 'unknown';
    let worst: { kind: ThrottleKind; key: string; wait: number } | null = null;
    for (const [kind, key] of loginKeys(name, address)) {
      const wait = await throttle.retryAfter(key, LOGIN_LIMITS[kind]);
      if (wait > (worst?.wait ?? 0)) worst = { kind, key, wait };
    }
    if (!worst) return;
    const attempts = await throttle.refused(worst.key);
    if (attempts !== null) {
      await store.appendAudit([
        event(
          'user.login_throttled',
          { type: 'system', id: 'login-throttle' },
          {
            limit: worst.kind,
            ...(worst.kind === 'address' ? {} : { name: await auditName(name) }),
            ip: meta.ip ?? null,
            attempts,
            retryAfter: worst.wait,
          },
        ),
      ]);
    }
    throw new AgentOtpError('RATE_LIMITED', `too many failed logins; try again in ${worst.wait} seconds`, {
      retryAfter: worst.wait,
    });
  }

  /** Audits a failed login, counts it against every key of the attempt, and refuses it. */
  async function refuseLogin(name: string, user: User | null, meta: { ip?: string }): Promise<never> {
    await store.appendAudit([
      event(
        'user.login_failed',
        { type: 'user', id: user?.id ?? 'unknown' },
        { name: await auditName(name, user !== null), ip: meta.ip ?? null },
      ),
    ]);
    for (const [, key] of loginKeys(name, meta.ip ?? 'unknown')) await throttle.fail(key);
    throw new AgentOtpError('UNAUTHORIZED', 'wrong user name or password');
  }

  async function startSession(user: User, meta: { ip?: string }): Promise<LoginResult> {
    const sessionToken = generateSecret(SESSION_PREFIX);
    const now = clock.now();
    const session: Session = {
      id: newId('session'),
      userId: user.id,
      tokenHash: hasher.hash(sessionToken),
      createdAt: now,
      expiresAt: now + ctx.sessionTtlSeconds * 1000,
    };
    const self: Actor = { type: 'user', id: user.id };
    await store.createSession(
      session,
      event('user.login', self, {
        name: user.name,
        ip: meta.ip ?? null,
        userId: user.id,
        mintedBy: mintedBy(self),
      }),
    );
    return { user, session, sessionToken };
  }

  /**
   * Checks a password. Failures are audited and take as long as successes. `ip` is the client
   * address as the HTTP layer determined it (trusted proxies resolved). Failures slow that name
   * from that address and that address, and the name everywhere only softly (see LOGIN_LIMITS),
   * so the right password from another address still gets in.
   */
  async function login(name: string, password: string, meta: { ip?: string } = {}): Promise<LoginResult> {
    await checkThrottle(name, meta);
    const user = await store.getUserByName(name);
    const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_PASSWORD_HASH);
    if (!user || !ok || user.status !== 'active') return refuseLogin(name, user, meta);
    // Only this address's count for this name: a success must not reset the address's or the
    // name's count, or a guesser holding one account could wipe its own record.
    await throttle.clear(pairKey(name, meta.ip ?? 'unknown'));
    const result = await startSession(user, meta);
    // A password change that committed between the check above and this session would have
    // ended the sessions before this one existed: read the hash again now that it does, and
    // take the session back when the password it was opened with is no longer the password.
    if ((await store.getUser(user.id))?.passwordHash !== user.passwordHash) {
      await store.deleteSession(
        result.session.id,
        event(
          'user.logout',
          { type: 'user', id: user.id },
          {
            reason: 'the password changed while logging in',
          },
        ),
      );
      return refuseLogin(name, user, meta);
    }
    return result;
  }

  /** The active user behind a session cookie, or null (expired, logged out, disabled). */
  async function authenticateSession(sessionToken: string): Promise<{ user: User; session: Session } | null> {
    if (!looksLikeSecret(SESSION_PREFIX, sessionToken)) return null;
    const session = await store.getSessionByHash(hasher.hash(sessionToken));
    if (!session || session.expiresAt <= clock.now() || !hasher.matches(sessionToken, session.tokenHash))
      return null;
    const user = await store.getUser(session.userId);
    return user && user.status === 'active' ? { user, session } : null;
  }

  /** The CSRF token of a session: derived from its id, so nothing more is stored. */
  function csrfToken(session: Session): string {
    return createHmac('sha256', ctx.serverSecret).update(`csrf:${session.id}`).digest('base64url');
  }

  function checkCsrf(session: Session, presented: string | undefined): boolean {
    if (!presented) return false;
    const expected = Buffer.from(csrfToken(session));
    const given = Buffer.from(presented);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  /**
   * A logged-in user changes their own password: the current one is required (a borrowed
   * browser must not be enough), wrong guesses are throttled and audited like logins, and every
   * other session of the user ends while this one stays. Nobody sets another person's password
   * over the web: that would let one person act as two in a quorum.
   */
  async function changeOwnPassword(
    session: Session,
    input: { currentPassword: string; newPassword: string },
    meta: { ip?: string } = {},
  ): Promise<{ sessionsEnded: number }> {
    const user = await store.getUser(session.userId);
    if (user?.status !== 'active') throw new AgentOtpError('UNAUTHORIZED', 'log in again');
    await checkThrottle(user.name, meta);
    if (!(await verifyPassword(input.currentPassword, user.passwordHash))) {
      const self: Actor = { type: 'user', id: user.id };
      await store.appendAudit([
        event('user.password_change_failed', self, { name: user.name, ip: meta.ip ?? null }),
      ]);
      for (const [, key] of loginKeys(user.name, meta.ip ?? 'unknown')) await throttle.fail(key);
      throw new AgentOtpError('FORBIDDEN', 'the current password is wrong', { field: 'currentPassword' });
    }
    checkPassword(input.newPassword, 'newPassword');
    if (input.newPassword === input.currentPassword) {
      throw new AgentOtpError('VALIDATION_ERROR', 'the new password must differ from the current one', {
        field: 'newPassword',
      });
    }
    const changed = await store.setUserPassword(
      user.id,
      await hashPassword(input.newPassword),
      clock.now(),
      session.id,
      ({ sessionsEnded }) => [
        event(
          'user.password_changed',
          { type: 'user', id: user.id },
          { userId: user.id, name: user.name, sessionsEnded, ip: meta.ip ?? null },
        ),
      ],
    );
    if (!changed) throw new AgentOtpError('UNAUTHORIZED', 'log in again');
    return { sessionsEnded: changed.sessionsEnded };
  }

  async function logout(session: Session): Promise<void> {
    await store.deleteSession(session.id, event('user.logout', { type: 'user', id: session.userId }));
  }

  return { login, authenticateSession, csrfToken, checkCsrf, changeOwnPassword, logout };
}

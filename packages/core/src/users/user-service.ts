import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { mintedBy } from '../audit/minted-by.ts';
import type { Clock } from '../clock.ts';
import { AgentOtpError } from '../errors.ts';
import { isId, newId } from '../ids.ts';
import {
  generateSecret,
  looksLikeSecret,
  SESSION_PREFIX,
  type SecretHasher,
  USER_TOKEN_PREFIX,
} from '../secrets.ts';
import type { Store, UserDisabled } from '../store.ts';
import type { Actor, AuditEventInput, JsonObject, Session, User, UserRole, UserToken } from '../types.ts';
import { USER_ROLES } from '../types.ts';
import { createLoginThrottle, LOGIN_LIMITS, type ThrottleKind } from './login-throttle.ts';
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from './password.ts';

export interface UserServiceDeps {
  store: Store;
  clock: Clock;
  hasher: SecretHasher;
  /** Keys the CSRF tokens derived from session ids. */
  serverSecret: Uint8Array;
  sessionTtlSeconds: number;
}

const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

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
export const MIN_PASSWORD_LENGTH = 12;

export interface LoginResult {
  user: User;
  session: Session;
  /** The cookie value: shown to the browser once, stored only as a hash. */
  sessionToken: string;
}

/** Dashboard users, their passwords, personal API tokens (`uat_…`) and browser sessions. */
export function createUserService(deps: UserServiceDeps) {
  const { store, clock, hasher } = deps;
  const throttle = createLoginThrottle(() => clock.now());
  const event = (name: string, actor: Actor, details: JsonObject = {}): AuditEventInput => ({
    id: newId('audit'),
    at: clock.now(),
    event: name,
    actor,
    agentId: null,
    permissionId: null,
    policyVersion: null,
    details,
  });

  async function find(idOrName: string): Promise<User> {
    const user = isId('user', idOrName) ? await store.getUser(idOrName) : await store.getUserByName(idOrName);
    if (!user) throw new AgentOtpError('NOT_FOUND', `user ${idOrName} not found`);
    return user;
  }

  /** Creates a user; without a password one is generated and returned once. */
  async function create(input: { name: string; role: UserRole; password?: string }, actor: Actor) {
    if (!USER_NAME.test(input.name)) {
      throw new AgentOtpError(
        'VALIDATION_ERROR',
        'user name must be 1-64 letters, digits, ".", "-", "_" or "@"',
        {
          field: 'name',
        },
      );
    }
    if (!USER_ROLES.includes(input.role)) {
      throw new AgentOtpError('VALIDATION_ERROR', `role must be one of ${USER_ROLES.join(', ')}`, {
        field: 'role',
      });
    }
    if (input.password !== undefined && input.password.length < MIN_PASSWORD_LENGTH) {
      throw new AgentOtpError(
        'VALIDATION_ERROR',
        `password must have at least ${MIN_PASSWORD_LENGTH} characters`,
        {
          field: 'password',
        },
      );
    }
    const password = input.password ?? randomBytes(18).toString('base64url');
    const now = clock.now();
    const user: User = {
      id: newId('user'),
      name: input.name,
      role: input.role,
      status: 'active',
      passwordHash: await hashPassword(password),
      createdAt: now,
      updatedAt: now,
    };
    await store.createUser(
      user,
      // The password is a credential too: the entry names who set it up and for whom.
      event('user.created', actor, {
        userId: user.id,
        name: user.name,
        role: user.role,
        mintedBy: mintedBy(actor),
      }),
    );
    return { user, generatedPassword: input.password === undefined ? password : null };
  }

  /**
   * Disables a user and ends its credentials for good: every session is deleted and every
   * personal token revoked in the same transaction, each audited. Enabling brings none back;
   * the user logs in again and creates new tokens.
   */
  async function disable(idOrName: string, actor: Actor): Promise<UserDisabled> {
    const user = await find(idOrName);
    if (user.role === 'admin' && user.status === 'active') {
      const admins = (await store.listUsers()).filter((u) => u.role === 'admin' && u.status === 'active');
      if (admins.length <= 1) {
        throw new AgentOtpError(
          'CONFLICT',
          `${user.name} is the last active admin; create another admin first`,
        );
      }
    }
    const ended = await store.disableUser(user.id, clock.now(), ({ sessionsEnded, tokensRevoked }) => [
      event('user.disabled', actor, {
        userId: user.id,
        name: user.name,
        sessionsEnded,
        tokensRevoked: tokensRevoked.length,
      }),
      ...tokensRevoked.map((t) =>
        event('user.token_revoked', actor, {
          userId: user.id,
          tokenId: t.id,
          name: t.name,
          reason: 'the user was disabled',
        }),
      ),
    ]);
    if (!ended) throw new AgentOtpError('NOT_FOUND', `user ${idOrName} not found`);
    return ended;
  }

  async function enable(idOrName: string, actor: Actor): Promise<User> {
    const user = await find(idOrName);
    const updated = await store.updateUser(
      user.id,
      { status: 'active' },
      clock.now(),
      event('user.enabled', actor, { userId: user.id, name: user.name }),
    );
    if (!updated) throw new AgentOtpError('NOT_FOUND', `user ${idOrName} not found`);
    return updated;
  }

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
      const wait = throttle.retryAfter(key, LOGIN_LIMITS[kind]);
      if (wait > (worst?.wait ?? 0)) worst = { kind, key, wait };
    }
    if (!worst) return;
    const attempts = throttle.refused(worst.key);
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

  /**
   * Checks a password. Failures are audited and take as long as successes. `ip` is the client
   * address as the HTTP layer determined it (trusted proxies resolved). Failures slow that name
   * from that address and that address, and the name everywhere only softly (see LOGIN_LIMITS),
   * so the right password from another address still gets in.
   */
  async function login(name: string, password: string, meta: { ip?: string } = {}): Promise<LoginResult> {
    const address = meta.ip ?? 'unknown';
    await checkThrottle(name, meta);
    const user = await store.getUserByName(name);
    const ok = await verifyPassword(password, user?.passwordHash ?? DUMMY_PASSWORD_HASH);
    if (!user || !ok || user.status !== 'active') {
      await store.appendAudit([
        event(
          'user.login_failed',
          { type: 'user', id: user?.id ?? 'unknown' },
          { name: await auditName(name, user !== null), ip: meta.ip ?? null },
        ),
      ]);
      for (const [, key] of loginKeys(name, address)) throttle.fail(key);
      throw new AgentOtpError('UNAUTHORIZED', 'wrong user name or password');
    }
    // Only this address's count for this name: a success must not reset the address's or the
    // name's count, or a guesser holding one account could wipe its own record.
    throttle.clear(pairKey(name, address));
    const sessionToken = generateSecret(SESSION_PREFIX);
    const now = clock.now();
    const session: Session = {
      id: newId('session'),
      userId: user.id,
      tokenHash: hasher.hash(sessionToken),
      createdAt: now,
      expiresAt: now + deps.sessionTtlSeconds * 1000,
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
    return createHmac('sha256', deps.serverSecret).update(`csrf:${session.id}`).digest('base64url');
  }

  function checkCsrf(session: Session, presented: string | undefined): boolean {
    if (!presented) return false;
    const expected = Buffer.from(csrfToken(session));
    const given = Buffer.from(presented);
    return expected.length === given.length && timingSafeEqual(expected, given);
  }

  async function logout(session: Session): Promise<void> {
    await store.deleteSession(session.id, event('user.logout', { type: 'user', id: session.userId }));
  }

  /**
   * Creates a personal API token (`uat_…`), shown once. A token acts as its user, so a user may
   * create one only for themselves: not even an admin may mint one for someone else (that would
   * let one person cast several votes of a quorum). Only the host — a system actor such as the
   * `agent-otp` command line, run where the database is — may create one for a named user; the
   * audit entry records who minted it and for whom either way.
   */
  async function createToken(idOrName: string, tokenName: string, actor: Actor) {
    const user = await find(idOrName);
    if (actor.type !== 'system' && !(actor.type === 'user' && actor.id === user.id)) {
      throw new AgentOtpError(
        'FORBIDDEN',
        `only ${user.name} can create their own API tokens; an admin may revoke them or disable the user`,
      );
    }
    if (user.status !== 'active') {
      throw new AgentOtpError('FORBIDDEN', `user ${user.name} is disabled; enable them first`);
    }
    const token = generateSecret(USER_TOKEN_PREFIX);
    const record: UserToken = {
      id: newId('userToken'),
      userId: user.id,
      name: tokenName.slice(0, 100) || 'token',
      tokenHash: hasher.hash(token),
      createdAt: clock.now(),
      revokedAt: null,
    };
    await store.createUserToken(
      record,
      event('user.token_created', actor, {
        userId: user.id,
        userName: user.name,
        tokenId: record.id,
        name: record.name,
        mintedBy: mintedBy(actor),
      }),
    );
    return { token, record, user };
  }

  /** The active user a personal API token belongs to, or null. */
  async function authenticateToken(token: string): Promise<User | null> {
    if (!looksLikeSecret(USER_TOKEN_PREFIX, token)) return null;
    const record = await store.getUserTokenByHash(hasher.hash(token));
    if (!record || !hasher.matches(token, record.tokenHash)) return null;
    const user = await store.getUser(record.userId);
    return user && user.status === 'active' ? user : null;
  }

  /**
   * Revokes a personal token. With `ownerId`, only a token of that user (someone revoking their
   * own); without, any token (an admin, or the host).
   */
  async function revokeToken(tokenId: string, actor: Actor, ownerId?: string): Promise<UserToken> {
    if (ownerId !== undefined && !(await store.listUserTokens(ownerId)).some((t) => t.id === tokenId)) {
      throw new AgentOtpError('NOT_FOUND', `token ${tokenId} not found or already revoked`);
    }
    const revoked = await store.revokeUserToken(
      tokenId,
      clock.now(),
      event('user.token_revoked', actor, { tokenId }),
    );
    if (!revoked) throw new AgentOtpError('NOT_FOUND', `token ${tokenId} not found or already revoked`);
    return revoked;
  }

  /**
   * First start: when no user exists, creates `admin` with the given password, or a generated
   * one that the caller prints once. Returns null when users already exist.
   */
  async function ensureAdmin(password: string | undefined) {
    if ((await store.listUsers()).length > 0) return null;
    try {
      return await create({ name: 'admin', role: 'admin', password }, { type: 'system', id: 'bootstrap' });
    } catch (error) {
      // Two instances starting together on one database: the other one created it first.
      if (error instanceof AgentOtpError && error.code === 'CONFLICT') return null;
      throw error;
    }
  }

  return {
    create,
    find,
    list: () => store.listUsers(),
    disable,
    enable,
    login,
    authenticateSession,
    csrfToken,
    checkCsrf,
    logout,
    createToken,
    listTokens: async (idOrName: string) => store.listUserTokens((await find(idOrName)).id),
    authenticateToken,
    revokeToken,
    ensureAdmin,
  };
}

export type UserService = ReturnType<typeof createUserService>;

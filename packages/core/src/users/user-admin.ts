import { randomBytes } from 'node:crypto';
import { mintedBy } from '../audit/minted-by.ts';
import { AgentOtpError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { UserDisabled } from '../store.ts';
import type { Actor, User, UserRole } from '../types.ts';
import { USER_ROLES } from '../types.ts';
import { hashPassword } from './password.ts';
import { USER_NAME, type UserContext } from './user-context.ts';

export const MIN_PASSWORD_LENGTH = 12;

type NewUser = { name: string; role: UserRole; password?: string };

/** Refuses a new user's name, role or chosen password, naming the field. */
function checkNewUser(input: NewUser): void {
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
  if (input.password !== undefined) checkPassword(input.password);
}

/** Refuses a chosen password that is too short. */
export function checkPassword(password: string, field = 'password'): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new AgentOtpError(
      'VALIDATION_ERROR',
      `password must have at least ${MIN_PASSWORD_LENGTH} characters`,
      { field },
    );
  }
}

/** A generated password: 24 characters, 144 bits. */
const generatePassword = () => randomBytes(18).toString('base64url');

/** Creating, disabling and enabling users, and the first admin of a new installation. */
export function createUserAdmin(ctx: UserContext) {
  const { store, clock, event, find } = ctx;

  /** Creates a user; without a password one is generated and returned once. */
  async function create(input: { name: string; role: UserRole; password?: string }, actor: Actor) {
    checkNewUser(input);
    const password = input.password ?? generatePassword();
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

  /**
   * Changes a user's role (admins only, checked by the caller). Refused when it would leave no
   * active admin; a compare-and-set on the role read here, so a concurrent change is a CONFLICT
   * rather than silently overwritten. Setting the role a user already has changes nothing.
   */
  async function setRole(idOrName: string, role: UserRole, actor: Actor): Promise<User> {
    if (!USER_ROLES.includes(role)) {
      throw new AgentOtpError('VALIDATION_ERROR', `role must be one of ${USER_ROLES.join(', ')}`, {
        field: 'role',
      });
    }
    const user = await find(idOrName);
    if (user.role === role) return user;
    const changed = await store.changeUserRole(
      user.id,
      user.role,
      role,
      clock.now(),
      event('user.role_changed', actor, { userId: user.id, name: user.name, from: user.role, to: role }),
    );
    if (changed) return changed;
    const now = await store.getUser(user.id);
    if (!now) throw new AgentOtpError('NOT_FOUND', `user ${idOrName} not found`);
    if (now.role !== user.role)
      throw new AgentOtpError(
        'CONFLICT',
        `${user.name}'s role changed meanwhile (now ${now.role}); try again`,
      );
    throw new AgentOtpError(
      'CONFLICT',
      `${user.name} is the last active admin; make another user admin first`,
    );
  }

  /**
   * Sets anyone's password, or a generated one returned once: for the host, where whoever runs
   * it already holds the database (the web only lets people change their own, see
   * changeOwnPassword). Every session of the user ends, since a reset means whoever had the old
   * password is out; personal tokens stay (disable the user to end those). The password is
   * never audited.
   */
  async function setPassword(idOrName: string, password: string | undefined, actor: Actor) {
    if (password !== undefined) checkPassword(password);
    const user = await find(idOrName);
    const chosen = password ?? generatePassword();
    const changed = await store.setUserPassword(
      user.id,
      await hashPassword(chosen),
      clock.now(),
      null,
      ({ sessionsEnded }) => [
        event('user.password_reset', actor, {
          userId: user.id,
          name: user.name,
          sessionsEnded,
          generated: password === undefined,
        }),
      ],
    );
    if (!changed) throw new AgentOtpError('NOT_FOUND', `user ${idOrName} not found`);
    return { ...changed, generatedPassword: password === undefined ? chosen : null };
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

  return { create, find, list: () => store.listUsers(), disable, enable, setRole, setPassword, ensureAdmin };
}

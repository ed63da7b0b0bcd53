import { mintedBy } from '../audit/minted-by.ts';
import { AgentOtpError } from '../errors.ts';
import { newId } from '../ids.ts';
import { generateSecret, looksLikeSecret, USER_TOKEN_PREFIX } from '../secrets.ts';
import type { Actor, User, UserToken } from '../types.ts';
import type { UserContext } from './user-context.ts';

/** Personal API tokens (`uat_…`): each acts as its user, is shown once and stored as a hash. */
export function createUserTokens(ctx: UserContext) {
  const { store, clock, hasher, event, find } = ctx;

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

  return {
    createToken,
    listTokens: async (idOrName: string) => store.listUserTokens((await find(idOrName)).id),
    authenticateToken,
    revokeToken,
  };
}

import type { Clock } from '../clock.ts';
import { AgentOtpError } from '../errors.ts';
import { isId, newId } from '../ids.ts';
import type { SecretHasher } from '../secrets.ts';
import type { Store } from '../store.ts';
import type { Actor, AuditEventInput, JsonObject, User } from '../types.ts';
import type { LoginThrottle } from './login-throttle.ts';

export interface UserServiceDeps {
  store: Store;
  clock: Clock;
  hasher: SecretHasher;
  /** Keys the CSRF tokens derived from session ids. */
  serverSecret: Uint8Array;
  sessionTtlSeconds: number;
  /** Where failed logins are counted; in memory of this instance when absent. */
  loginThrottle?: LoginThrottle;
}

export const USER_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** What the parts of the user service share: their dependencies, audit entries and user lookup. */
export function createUserContext(deps: UserServiceDeps) {
  const { store, clock } = deps;
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

  return { ...deps, event, find };
}

export type UserContext = ReturnType<typeof createUserContext>;

import { randomBytes } from 'node:crypto';
import { it } from 'node:test';
import {
  type Agent,
  AgentOtpError,
  type ApprovalVote,
  type AuditEntry,
  type AuditEventInput,
  type AuditVerification,
  type ErrorCode,
  newId,
  type Permission,
  type Session,
  type Store,
  type User,
  type UserToken,
  verifyAuditLog,
} from '@agent-otp/core';

/** Gives a new, empty store each time; the suite migrates it and closes it. */
export type MakeStore = () => Promise<Store>;

/** A fixed epoch so tests never depend on the wall clock. */
export const T0 = 1_700_000_000_000;

/** Long enough for any test here by far; a store that deadlocks fails instead of hanging the run. */
export const TEST_TIMEOUT_MS = 15_000;

/** Registers a test that runs against its own fresh, migrated store, closed whatever happens. */
export function storeTest(makeStore: MakeStore) {
  return (name: string, fn: (store: Store) => Promise<void>) =>
    it(name, { timeout: TEST_TIMEOUT_MS }, async () => {
      const store = await makeStore();
      try {
        await store.migrate();
        await fn(store);
      } finally {
        await store.close();
      }
    });
}

const hex = (bytes = 32) => randomBytes(bytes).toString('hex');

export function makeAgent(overrides: Partial<Agent> = {}): Agent {
  return {
    id: newId('agent'),
    name: `agent-${hex(6)}`,
    status: 'active',
    keyHash: hex(),
    keyPrefix: 'ak_abcd',
    expiresAt: null,
    previousKey: null,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

export function makePermission(agentId: string, overrides: Partial<Permission> = {}): Permission {
  return {
    id: newId('permission'),
    agentId,
    action: 'gmail.send',
    resource: 'email:alice@example.com',
    requestedScope: { max_emails: 1 },
    grantedScope: null,
    context: { reason: 'test' },
    ttlSeconds: 300,
    status: 'pending',
    decision: 'require_approval',
    policyRule: 'emails-need-approval',
    policyVersion: 'v1',
    reason: null,
    tokenHash: null,
    usesRemaining: null,
    approvalsRequired: 1,
    enforcement: 'lenient',
    createdAt: T0,
    decidedAt: null,
    expiresAt: T0 + 300_000,
    updatedAt: T0,
    ...overrides,
  };
}

/** An approved permission holding a token, ready to be spent. */
export function makeApproved(agentId: string, overrides: Partial<Permission> = {}): Permission {
  return makePermission(agentId, {
    status: 'approved',
    decision: 'auto_approve',
    grantedScope: { max_emails: 1 },
    tokenHash: hex(),
    usesRemaining: 1,
    decidedAt: T0,
    expiresAt: T0 + 300_000,
    ...overrides,
  });
}

export function makeEvent(overrides: Partial<AuditEventInput> = {}): AuditEventInput {
  return {
    id: newId('audit'),
    at: T0,
    event: 'test.event',
    actor: { type: 'system', id: 'conformance' },
    agentId: null,
    permissionId: null,
    policyVersion: null,
    details: {},
    ...overrides,
  };
}

/** The audit event a permission change would carry. */
export function eventFor(permission: Permission, event: string, details = {}): AuditEventInput {
  return makeEvent({
    event,
    agentId: permission.agentId,
    permissionId: permission.id,
    policyVersion: permission.policyVersion,
    details,
  });
}

export async function addAgent(store: Store, overrides: Partial<Agent> = {}): Promise<Agent> {
  const agent = makeAgent(overrides);
  await store.createAgent(agent, makeEvent({ event: 'agent.created', agentId: agent.id }));
  return agent;
}

export async function addPermission(store: Store, permission: Permission): Promise<Permission> {
  await store.insertPermission(permission, [eventFor(permission, 'permission.requested')]);
  return permission;
}

/** The whole chain, paged with `afterSeq` the way `audit verify` streams it. */
export async function allAudit(store: Store, pageSize = 50): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  for (;;) {
    const page = await store.listAudit({ afterSeq: entries.at(-1)?.seq ?? 0, limit: pageSize });
    entries.push(...page);
    if (page.length < pageSize) return entries;
  }
}

/** The full check `audit verify` runs (every stripe, cross-anchors, head rows), without checkpoints. */
export const verifyChain = (store: Store): Promise<AuditVerification> => verifyAuditLog(store, null, 50);

/** For assert.rejects: the error is the catalogued AgentOtpError with this code. */
export const hasCode = (code: ErrorCode) => (error: unknown) =>
  error instanceof AgentOtpError && error.code === code;

/** Runs a call expected to reject and returns what it rejected with. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the call to reject, it resolved');
}

export function makeUser(overrides: Partial<User> = {}): User {
  return {
    id: newId('user'),
    name: `user-${hex(6)}`,
    role: 'approver',
    status: 'active',
    passwordHash: `scrypt$32768$8$1$${hex(16)}$${hex()}`,
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

export function makeUserToken(userId: string, overrides: Partial<UserToken> = {}): UserToken {
  return {
    id: newId('userToken'),
    userId,
    name: 'ci',
    tokenHash: hex(),
    createdAt: T0,
    revokedAt: null,
    ...overrides,
  };
}

export function makeSession(userId: string, overrides: Partial<Session> = {}): Session {
  return {
    id: newId('session'),
    userId,
    tokenHash: hex(),
    createdAt: T0,
    expiresAt: T0 + 3_600_000,
    ...overrides,
  };
}

export function makeVote(
  permissionId: string,
  user: User,
  overrides: Partial<ApprovalVote> = {},
): ApprovalVote {
  return {
    permissionId,
    userId: user.id,
    userName: user.name,
    decision: 'approve',
    scope: null,
    ttlSeconds: null,
    reason: null,
    createdAt: T0 + 1,
    ...overrides,
  };
}

/** The audit event of something a user did. */
export function userEvent(user: Pick<User, 'id'>, event: string, details = {}): AuditEventInput {
  return makeEvent({ event, actor: { type: 'user', id: user.id }, details });
}

export async function addUser(store: Store, overrides: Partial<User> = {}): Promise<User> {
  const user = makeUser(overrides);
  await store.createUser(user, userEvent(user, 'user.created'));
  return user;
}

/** A pending permission of a new agent, ready to be voted on. */
export async function addPending(store: Store, overrides: Partial<Permission> = {}): Promise<Permission> {
  const agent = await addAgent(store);
  return addPermission(store, makePermission(agent.id, overrides));
}

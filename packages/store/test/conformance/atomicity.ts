import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { AgentOtpError, type AuditEventInput, type Store } from '@agent-otp/core';
import {
  addAgent,
  addPending,
  addPermission,
  addUser,
  allAudit,
  eventFor,
  type MakeStore,
  makeAgent,
  makeApproved,
  makeEvent,
  makePermission,
  makeSession,
  makeUser,
  makeUserToken,
  makeVote,
  rejection,
  storeTest,
  T0,
  userEvent,
  verifyChain,
} from './fixtures.ts';

/**
 * An audit event that cannot be written: its details hold a value JSON cannot represent (a
 * BigInt), so serialising it inside the store's transaction throws. Every state change carrying
 * it must fail closed (SPEC §7): rejected, nothing kept.
 */
async function unwritableEvent(_store: Store): Promise<AuditEventInput> {
  return makeEvent({ event: 'unwritable', details: { value: 1n } as unknown as AuditEventInput['details'] });
}

/** Runs a change that must fail, and checks the audit log is exactly as it was. */
async function failsClosed(store: Store, change: (bad: AuditEventInput) => Promise<unknown>): Promise<void> {
  const before = await allAudit(store);
  const error = await rejection(change(await unwritableEvent(store)));
  // A broken audit write is not a user mistake, so it must not pass for one (e.g. "name taken").
  assert.ok(
    !(error instanceof AgentOtpError && error.code === 'CONFLICT'),
    `misreported as ${String(error)}`,
  );
  assert.deepEqual(await allAudit(store), before);
  assert.equal((await verifyChain(store)).ok, true);
}

export function atomicityTests(makeStore: MakeStore): void {
  const test = storeTest(makeStore);
  describe('fail closed: no state change without its audit entry', () => {
    test('createAgent', async (store) => {
      const existing = await addAgent(store);
      const agent = makeAgent();
      await failsClosed(store, (bad) => store.createAgent(agent, bad));
      assert.equal(await store.getAgent(agent.id), null);
      assert.equal(await store.getAgentByName(agent.name), null);
      assert.deepEqual(await store.listAgents(), [existing]);
      // The name stays free: the rolled-back insert left nothing behind.
      await store.createAgent(agent, makeEvent({ agentId: agent.id }));
      assert.deepEqual(await store.getAgent(agent.id), agent);
    });

    test('updateAgentKey, disableAgent and enableAgent', async (store) => {
      const agent = await addAgent(store);
      await failsClosed(store, (bad) => store.updateAgentKey(agent.id, 'new-hash', 'ak_new', 1, bad));
      await failsClosed(store, (bad) => store.disableAgent(agent.id, 1, 'off', () => [bad]));
      await failsClosed(store, (bad) => store.enableAgent(agent.id, 'new-hash', 'ak_new', 1, bad));
      assert.deepEqual(await store.getAgentByKeyHash(agent.keyHash), agent);
      assert.equal(await store.getAgentByKeyHash('new-hash'), null);
    });

    test('addPermission, even when only its last entry fails', async (store) => {
      const agent = await addAgent(store);
      const p = makePermission(agent.id);
      await failsClosed(store, (bad) =>
        store.insertPermission(p, [eventFor(p, 'permission.requested'), bad]),
      );
      assert.equal(await store.getPermission(p.id), null);
      assert.deepEqual((await store.listPermissions({ limit: 10 })).items, []);
    });

    test('transitionPermission', async (store) => {
      const agent = await addAgent(store);
      const p = await addPermission(store, makePermission(agent.id));
      await failsClosed(store, (bad) =>
        store.transitionPermission(
          p.id,
          ['pending'],
          { status: 'approved', tokenHash: 'h', usesRemaining: 1 },
          [eventFor(p, 'permission.approved'), bad],
        ),
      );
      assert.deepEqual(await store.getPermission(p.id), p);
      // Still pending, so a well-formed transition now wins.
      assert.ok(
        await store.transitionPermission(p.id, ['pending'], { status: 'denied' }, [eventFor(p, 'x')]),
      );
    });

    test('consumeUse', async (store) => {
      const agent = await addAgent(store);
      const p = await addPermission(store, makeApproved(agent.id, { tokenHash: 'h', usesRemaining: 1 }));
      await failsClosed(store, (bad) => store.consumeUse(p.id, 'h', p.createdAt, [bad]));
      assert.deepEqual(await store.getPermission(p.id), p, 'the use was not spent');
      const used = await store.consumeUse(p.id, 'h', p.createdAt, [eventFor(p, 'permission.used')]);
      assert.equal(used?.status, 'used');
    });

    test('createUser', async (store) => {
      const existing = await addUser(store);
      const user = makeUser();
      await failsClosed(store, (bad) => store.createUser(user, bad));
      assert.equal(await store.getUser(user.id), null);
      assert.deepEqual(await store.listUsers(), [existing]);
      // The name stays free: the rolled-back insert left nothing behind.
      await store.createUser(user, userEvent(user, 'user.created'));
      assert.deepEqual(await store.getUserByName(user.name), user);
    });

    test('updateUser', async (store) => {
      const user = await addUser(store);
      await failsClosed(store, (bad) =>
        store.updateUser(user.id, { status: 'active', role: 'admin' }, T0 + 1, bad),
      );
      assert.deepEqual(await store.getUser(user.id), user);
    });

    test('createUserToken and revokeUserToken', async (store) => {
      const user = await addUser(store);
      const refused = makeUserToken(user.id);
      await failsClosed(store, (bad) => store.createUserToken(refused, bad));
      assert.equal(await store.getUserTokenByHash(refused.tokenHash), null);
      assert.deepEqual(await store.listUserTokens(user.id), []);
      const token = makeUserToken(user.id);
      await store.createUserToken(token, userEvent(user, 'user.token_created'));
      await failsClosed(store, (bad) => store.revokeUserToken(token.id, T0 + 1, bad));
      assert.deepEqual(await store.getUserTokenByHash(token.tokenHash), token, 'still usable');
      assert.ok(await store.revokeUserToken(token.id, T0 + 2, userEvent(user, 'user.token_revoked')));
    });

    test('createSession and deleteSession with an audit entry', async (store) => {
      const user = await addUser(store);
      const refused = makeSession(user.id);
      await failsClosed(store, (bad) => store.createSession(refused, bad));
      assert.equal(await store.getSessionByHash(refused.tokenHash), null);
      const session = makeSession(user.id);
      await store.createSession(session, userEvent(user, 'user.login'));
      await failsClosed(store, (bad) => store.deleteSession(session.id, bad));
      assert.deepEqual(await store.getSessionByHash(session.tokenHash), session, 'the logout did not happen');
    });

    test('addApprovalVote', async (store) => {
      const p = await addPending(store);
      const ana = await addUser(store);
      await failsClosed(store, (bad) =>
        store.addApprovalVote(makeVote(p.id, ana), T0 + 1, [eventFor(p, 'approval.vote'), bad]),
      );
      assert.deepEqual(await store.listApprovalVotes(p.id), []);
      // Nothing was kept, so the same user's vote is not a duplicate now.
      assert.equal(
        await store.addApprovalVote(makeVote(p.id, ana), T0 + 1, [eventFor(p, 'approval.vote')]),
        'recorded',
      );
    });

    test('claimTokenDelivery', async (store) => {
      const agent = await addAgent(store);
      const p = await addPermission(store, makeApproved(agent.id, { tokenHash: null }));
      await failsClosed(store, (bad) => store.claimTokenDelivery(p.id, 'h', T0 + 1, [bad]));
      assert.deepEqual(await store.getPermission(p.id), p, 'no token was handed over');
      const claimed = await store.claimTokenDelivery(p.id, 'h', T0 + 1, [eventFor(p, 'token.delivered')]);
      assert.equal(claimed?.tokenHash, 'h');
    });

    test('appendAudit writes a batch whole or not at all', async (store) => {
      await store.appendAudit([makeEvent()]);
      await failsClosed(store, (bad) => store.appendAudit([makeEvent(), makeEvent(), bad]));
    });
  });
}

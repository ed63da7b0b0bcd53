import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { AgentDisabled, AuditEventInput, UserDisabled } from '@agent-otp/core';
import {
  addAgent,
  addPermission,
  addUser,
  allAudit,
  eventFor,
  hasCode,
  type MakeStore,
  makeApproved,
  makeEvent,
  makePermission,
  makeSession,
  makeUserToken,
  makeVote,
  rejection,
  storeTest,
  T0,
  userEvent,
  verifyChain,
} from './fixtures.ts';

const NOW = T0 + 10_000;

/** An audit event that cannot be written (a BigInt in its details): the change must roll back. */
const unwritable = (): AuditEventInput =>
  makeEvent({ event: 'unwritable', details: { value: 1n } as unknown as AuditEventInput['details'] });

/**
 * Finding 10 (disable then enable revived credentials): disabling an agent or a user ends what
 * it holds for good, atomically with its audit entries, and enabling brings none of it back.
 */
export function disableTests(makeStore: MakeStore): void {
  const test = storeTest(makeStore);
  describe('disabling ends credentials for good (finding 10)', () => {
    test('disableAgent revokes live approvals and cancels live pending requests, nothing else', async (store) => {
      const agent = await addAgent(store);
      const other = await addAgent(store);
      const live = await addPermission(store, makeApproved(agent.id, { tokenHash: 'h1', usesRemaining: 3 }));
      // Human-approved, token not yet collected by the agent: it must not be collectable later.
      const undelivered = await addPermission(
        store,
        makeApproved(agent.id, { tokenHash: null, decision: 'require_approval' }),
      );
      const pending = await addPermission(store, makePermission(agent.id));
      const stale = await addPermission(store, makeApproved(agent.id, { tokenHash: 'h2', expiresAt: NOW }));
      const used = await addPermission(store, makeApproved(agent.id, { status: 'used', usesRemaining: 0 }));
      const theirs = await addPermission(store, makeApproved(other.id, { tokenHash: 'h3' }));
      const before = (await allAudit(store)).length;

      let seen: AgentDisabled | undefined;
      const ended = await store.disableAgent(agent.id, NOW, 'the agent was disabled', (e) => {
        seen = e;
        return [
          makeEvent({ event: 'agent.disabled', agentId: agent.id }),
          ...e.revoked.map((p) => eventFor(p, 'permission.revoked')),
          ...e.cancelled.map((p) => eventFor(p, 'permission.cancelled')),
        ];
      });
      assert.ok(ended);
      assert.deepEqual(ended, seen, 'the audit builder sees exactly what is returned');
      assert.deepEqual(ended.agent, { ...agent, status: 'disabled', updatedAt: NOW });
      assert.deepEqual(ended.revoked.map((p) => p.id).sort(), [live.id, undelivered.id].sort());
      assert.deepEqual(
        ended.cancelled.map((p) => p.id),
        [pending.id],
      );
      for (const p of ended.revoked) {
        assert.equal(p.status, 'revoked');
        assert.equal(p.reason, 'the agent was disabled');
        assert.equal(p.decidedAt, T0, 'the approval time is kept');
      }
      assert.equal(ended.cancelled[0]?.status, 'cancelled');
      assert.equal(ended.cancelled[0]?.decidedAt, NOW);
      assert.deepEqual(
        await store.getPermission(live.id),
        ended.revoked.find((p) => p.id === live.id),
      );

      // Expired-but-unswept, spent and another agent's permissions are not this change's business.
      assert.deepEqual(await store.getPermission(stale.id), stale);
      assert.deepEqual(await store.getPermission(used.id), used);
      assert.deepEqual(await store.getPermission(theirs.id), theirs);
      assert.equal((await store.getAgent(other.id))?.status, 'active');

      // Nothing ended can be used, collected or approved any more.
      assert.equal(await store.consumeUse(live.id, 'h1', NOW, [eventFor(live, 'permission.used')]), null);
      assert.equal(await store.claimTokenDelivery(undelivered.id, 'x', NOW, []), null);
      const user = await addUser(store);
      assert.equal(await store.addApprovalVote(makeVote(pending.id, user), NOW, []), 'not_pending');
      assert.equal((await store.getAgentByKeyHash(agent.keyHash))?.status, 'disabled');

      const audit = await allAudit(store);
      assert.deepEqual(
        audit.slice(before, before + 4).map((e) => e.event),
        ['agent.disabled', 'permission.revoked', 'permission.revoked', 'permission.cancelled'],
      );
      assert.equal((await verifyChain(store)).ok, true);
    });

    test('disableAgent of an unknown agent is null, builds and writes no audit entry', async (store) => {
      await addAgent(store);
      const built: unknown[] = [];
      const result = await store.disableAgent('agt_doesnotexist00', NOW, 'x', (e) => {
        built.push(e);
        return [makeEvent()];
      });
      assert.equal(result, null);
      assert.deepEqual(built, []);
      assert.equal((await allAudit(store)).length, 1);
    });

    test('disableAgent fails closed: an unwritable audit entry leaves agent and permissions as they were', async (store) => {
      const agent = await addAgent(store);
      const live = await addPermission(store, makeApproved(agent.id, { tokenHash: 'h' }));
      const pending = await addPermission(store, makePermission(agent.id));
      const before = await allAudit(store);
      await rejection(store.disableAgent(agent.id, NOW, 'x', () => [makeEvent(), unwritable()]));
      assert.deepEqual(await store.getAgent(agent.id), agent);
      assert.deepEqual(await store.getPermission(live.id), live);
      assert.deepEqual(await store.getPermission(pending.id), pending);
      assert.deepEqual(await allAudit(store), before);
      // A builder that throws is the same: nothing is kept.
      await rejection(
        store.disableAgent(agent.id, NOW, 'x', () => {
          throw new Error('cannot describe it');
        }),
      );
      assert.deepEqual(await store.getPermission(live.id), live);
      assert.deepEqual(await allAudit(store), before);
    });

    test('enableAgent activates with the new key only; the old key never works again', async (store) => {
      const agent = await addAgent(store);
      await store.disableAgent(agent.id, NOW, 'x', () => [makeEvent()]);
      const event = makeEvent({ event: 'agent.enabled', agentId: agent.id });
      const enabled = await store.enableAgent(agent.id, 'fresh-hash', 'ak_fresh', NOW + 1, event);
      assert.deepEqual(enabled, {
        ...agent,
        status: 'active',
        keyHash: 'fresh-hash',
        keyPrefix: 'ak_fresh',
        updatedAt: NOW + 1,
      });
      assert.equal(await store.getAgentByKeyHash(agent.keyHash), null);
      assert.deepEqual(await store.getAgentByKeyHash('fresh-hash'), enabled);
      assert.equal((await allAudit(store)).at(-1)?.id, event.id);
      assert.equal(await store.enableAgent('agt_doesnotexist00', 'h', 'ak_h', NOW, makeEvent()), null);
      assert.equal(await store.getAgentByKeyHash('h'), null);
    });

    test('a use racing the disable either lands first or is refused, never after', async (store) => {
      const agent = await addAgent(store);
      const p = await addPermission(store, makeApproved(agent.id, { tokenHash: 'h', usesRemaining: 50 }));
      const uses = Array.from({ length: 40 }, () =>
        store.consumeUse(p.id, 'h', NOW, [eventFor(p, 'permission.used')]),
      );
      const disabling = store.disableAgent(agent.id, NOW, 'x', (e) => e.revoked.map((r) => eventFor(r, 'r')));
      const results = await Promise.all(uses);
      const ended = await disabling;
      const spent = results.filter((r) => r !== null).length;
      const final = await store.getPermission(p.id);
      assert.equal(final?.status, 'revoked');
      assert.equal(final?.usesRemaining, 50 - spent, 'every use that succeeded is counted, none after');
      assert.equal(ended?.revoked[0]?.usesRemaining, 50 - spent);
      assert.equal((await store.listAudit({ event: 'permission.used', limit: 100 })).length, spent);
    });

    test('addPermission for a disabled agent is AGENT_DISABLED and writes nothing', async (store) => {
      const agent = await addAgent(store);
      await store.disableAgent(agent.id, NOW, 'x', () => [makeEvent()]);
      const before = await allAudit(store);
      const late = makeApproved(agent.id, { tokenHash: 'late' });
      await assert.rejects(
        store.insertPermission(late, [eventFor(late, 'permission.requested')]),
        hasCode('AGENT_DISABLED'),
      );
      assert.equal(await store.getPermission(late.id), null);
      assert.deepEqual(await allAudit(store), before);
    });

    test('requests racing the disable: none is left approved or pending afterwards', async (store) => {
      const agent = await addAgent(store);
      const inserts = Array.from({ length: 30 }, (_, i) => {
        const p = i % 2 ? makeApproved(agent.id, { tokenHash: `h${i}` }) : makePermission(agent.id);
        return store.insertPermission(p, [eventFor(p, 'permission.requested')]).then(
          () => p.id,
          () => null,
        );
      });
      const disabling = store.disableAgent(agent.id, NOW, 'x', () => [makeEvent()]);
      const landed = (await Promise.all(inserts)).filter((id) => id !== null);
      const ended = await disabling;
      assert.ok(ended);
      for (const id of landed) {
        const p = await store.getPermission(id as string);
        assert.ok(p && (p.status === 'revoked' || p.status === 'cancelled'), `${id} is ${p?.status}`);
      }
      assert.equal(ended.revoked.length + ended.cancelled.length, landed.length);
    });

    test('disableUser deletes every session and revokes every token of that user only', async (store) => {
      const user = await addUser(store);
      const other = await addUser(store);
      const sessions = [makeSession(user.id), makeSession(user.id)];
      const theirSession = makeSession(other.id);
      for (const s of [...sessions, theirSession])
        await store.createSession(s, userEvent(user, 'user.login'));
      const old = makeUserToken(user.id, { createdAt: T0 });
      const a = makeUserToken(user.id, { createdAt: T0 + 1 });
      const b = makeUserToken(user.id, { createdAt: T0 + 2 });
      const theirToken = makeUserToken(other.id);
      for (const t of [old, a, b, theirToken])
        await store.createUserToken(t, userEvent(user, 'user.token_created'));
      await store.revokeUserToken(old.id, T0 + 5, userEvent(user, 'user.token_revoked'));
      const before = (await allAudit(store)).length;

      let seen: UserDisabled | undefined;
      const ended = await store.disableUser(user.id, NOW, (e) => {
        seen = e;
        return [
          userEvent(user, 'user.disabled'),
          ...e.tokensRevoked.map((t) => userEvent(user, 'user.token_revoked', { t: t.id })),
        ];
      });
      assert.ok(ended);
      assert.deepEqual(ended, seen);
      assert.deepEqual(ended.user, { ...user, status: 'disabled', updatedAt: NOW });
      assert.equal(ended.sessionsEnded, 2);
      assert.deepEqual(ended.tokensRevoked, [
        { ...a, revokedAt: NOW },
        { ...b, revokedAt: NOW },
      ]);
      for (const s of sessions) assert.equal(await store.getSessionByHash(s.tokenHash), null);
      for (const t of [a, b]) assert.equal(await store.getUserTokenByHash(t.tokenHash), null);
      assert.equal((await store.listUserTokens(user.id))[0]?.revokedAt, T0 + 5, 'an earlier revoke stays');
      assert.deepEqual(await store.getSessionByHash(theirSession.tokenHash), theirSession);
      assert.deepEqual(await store.getUserTokenByHash(theirToken.tokenHash), theirToken);
      assert.equal((await allAudit(store)).length, before + 3);

      // Enabling again brings back neither the sessions nor the tokens.
      const enabled = await store.updateUser(
        user.id,
        { status: 'active' },
        NOW + 1,
        userEvent(user, 'user.enabled'),
      );
      assert.equal(enabled?.status, 'active');
      for (const s of sessions) assert.equal(await store.getSessionByHash(s.tokenHash), null);
      for (const t of [a, b]) assert.equal(await store.getUserTokenByHash(t.tokenHash), null);
      assert.equal((await verifyChain(store)).ok, true);
    });

    test('no session or token can be created for a disabled user, so none can come back on enable', async (store) => {
      const user = await addUser(store);
      await store.disableUser(user.id, NOW, () => [makeEvent()]);
      const before = await allAudit(store);
      const session = makeSession(user.id);
      const token = makeUserToken(user.id);
      await assert.rejects(store.createSession(session, userEvent(user, 'user.login')), hasCode('FORBIDDEN'));
      await assert.rejects(
        store.createUserToken(token, userEvent(user, 'user.token_created')),
        hasCode('FORBIDDEN'),
      );
      await store.updateUser(user.id, { status: 'active' }, NOW + 1, userEvent(user, 'user.enabled'));
      assert.equal(await store.getSessionByHash(session.tokenHash), null);
      assert.equal(await store.getUserTokenByHash(token.tokenHash), null);
      assert.equal((await allAudit(store)).length, before.length + 1);
    });

    test('disableUser of an unknown user is null; an unwritable audit entry changes nothing', async (store) => {
      const user = await addUser(store);
      assert.equal(await store.disableUser('usr_doesnotexist00', NOW, () => [makeEvent()]), null);
      const session = makeSession(user.id);
      const token = makeUserToken(user.id);
      await store.createSession(session, userEvent(user, 'user.login'));
      await store.createUserToken(token, userEvent(user, 'user.token_created'));
      const before = await allAudit(store);
      await rejection(store.disableUser(user.id, NOW, () => [unwritable()]));
      assert.deepEqual(await store.getUser(user.id), user);
      assert.deepEqual(await store.getSessionByHash(session.tokenHash), session);
      assert.deepEqual(await store.getUserTokenByHash(token.tokenHash), token);
      assert.deepEqual(await allAudit(store), before);
    });
  });
}

import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { Agent, Store } from '@agent-otp/core';
import { addAgent, allAudit, type MakeStore, makeEvent, storeTest, T0, verifyChain } from './fixtures.ts';

const HOUR = 3_600_000;

/** A rotation keeping the replaced key for `graceMs` (0: none), audited like the service does. */
function rotate(store: Store, agent: Agent, keyHash: string, at: number, graceMs = 0) {
  const event = makeEvent({ event: 'agent.key_rotated', agentId: agent.id, at });
  return store.updateAgentKey(agent.id, keyHash, `ak_${keyHash}`, at, event, graceMs ? at + graceMs : null);
}

/** Agent expiry and the previous key of a rotation's grace period (SPEC §3 agents). */
export function agentKeyTests(makeStore: MakeStore): void {
  const test = storeTest(makeStore);
  describe('agent expiry and the previous key', () => {
    test('an expiry is stored with the agent, set and cleared with its audit entry', async (store) => {
      const agent = await addAgent(store, { expiresAt: T0 + HOUR });
      assert.equal((await store.getAgent(agent.id))?.expiresAt, T0 + HOUR);
      const set = makeEvent({ event: 'agent.expiry_set', agentId: agent.id, at: T0 + 1 });
      const updated = await store.setAgentExpiry(agent.id, T0 + 2 * HOUR, T0 + 1, set);
      assert.deepEqual(updated, { ...agent, expiresAt: T0 + 2 * HOUR, updatedAt: T0 + 1 });
      assert.deepEqual(await store.getAgentByKeyHash(agent.keyHash), updated, 'the lookup carries it');
      const cleared = await store.setAgentExpiry(agent.id, null, T0 + 2, makeEvent({ agentId: agent.id }));
      assert.equal(cleared?.expiresAt, null);
      assert.deepEqual(await store.listAgents(), [cleared]);
      assert.equal((await allAudit(store)).length, 3);
    });

    test('setAgentExpiry of an unknown agent is null and audits nothing', async (store) => {
      await addAgent(store);
      assert.equal(await store.setAgentExpiry('agt_doesnotexist00', T0, T0, makeEvent()), null);
      assert.equal((await allAudit(store)).length, 1);
    });

    test('a rotation with grace keeps the old key findable, hashed, until its end', async (store) => {
      const agent = await addAgent(store, { keyHash: 'old', keyPrefix: 'ak_old' });
      const rotated = await rotate(store, agent, 'new', T0 + 5, HOUR);
      assert.deepEqual(rotated?.previousKey, { hash: 'old', prefix: 'ak_old', expiresAt: T0 + 5 + HOUR });
      assert.equal(rotated?.keyHash, 'new');
      assert.deepEqual(await store.getAgentByKeyHash('old'), rotated, 'the old key finds the agent');
      assert.deepEqual(await store.getAgentByKeyHash('new'), rotated);
      assert.deepEqual(await store.getAgent(agent.id), rotated);
    });

    test('a second rotation replaces the previous key; one without grace drops it', async (store) => {
      const agent = await addAgent(store, { keyHash: 'k1' });
      await rotate(store, agent, 'k2', T0 + 1, HOUR);
      const second = await rotate(store, agent, 'k3', T0 + 2, HOUR);
      assert.equal(second?.previousKey?.hash, 'k2', 'only one previous key');
      assert.equal(await store.getAgentByKeyHash('k1'), null, 'the first key is gone');
      const third = await rotate(store, agent, 'k4', T0 + 3);
      assert.equal(third?.previousKey, null);
      assert.equal(await store.getAgentByKeyHash('k2'), null);
      assert.equal(await store.getAgentByKeyHash('k3'), null);
      assert.equal((await store.getAgentByKeyHash('k4'))?.id, agent.id);
      assert.equal((await allAudit(store)).length, 4);
    });

    test('revokePreviousAgentKey ends the grace once; a second call or a past grace is null', async (store) => {
      const agent = await addAgent(store, { keyHash: 'old' });
      await rotate(store, agent, 'new', T0 + 1, HOUR);
      const event = makeEvent({ event: 'agent.previous_key_revoked', agentId: agent.id });
      const ended = await store.revokePreviousAgentKey(agent.id, T0 + 2, event);
      assert.equal(ended?.previousKey, null);
      assert.equal(ended?.keyHash, 'new');
      assert.equal(await store.getAgentByKeyHash('old'), null);
      assert.equal(await store.revokePreviousAgentKey(agent.id, T0 + 3, makeEvent()), null);
      await rotate(store, agent, 'newer', T0 + 4, 1000);
      assert.equal(
        await store.revokePreviousAgentKey(agent.id, T0 + 4 + 1000, makeEvent()),
        null,
        'grace over',
      );
      assert.equal(await store.revokePreviousAgentKey('agt_doesnotexist00', T0, makeEvent()), null);
      assert.deepEqual(
        (await allAudit(store)).map((e) => e.event),
        ['agent.created', 'agent.key_rotated', 'agent.previous_key_revoked', 'agent.key_rotated'],
      );
    });

    test('disabling drops the previous key with the current one; enabling keeps none', async (store) => {
      const agent = await addAgent(store, { keyHash: 'old' });
      await rotate(store, agent, 'new', T0 + 1, HOUR);
      const ended = await store.disableAgent(agent.id, T0 + 2, 'off', () => [
        makeEvent({ agentId: agent.id }),
      ]);
      assert.equal(ended?.agent.previousKey, null);
      assert.equal(await store.getAgentByKeyHash('old'), null, 'the previous key finds nothing');
      assert.equal((await store.getAgentByKeyHash('new'))?.status, 'disabled');
      const enabled = await store.enableAgent(agent.id, 'fresh', 'ak_fresh', T0 + 3, makeEvent());
      assert.equal(enabled?.previousKey, null);
      assert.equal(await store.getAgentByKeyHash('new'), null);
    });
  });

  describe('races: agent keys', () => {
    test('lookups by the old key racing a rotation with grace always find the agent', async (store) => {
      const agent = await addAgent(store, { keyHash: 'old' });
      const lookups = Array.from({ length: 50 }, () => store.getAgentByKeyHash('old'));
      const [rotated, ...found] = await Promise.all([rotate(store, agent, 'new', T0 + 1, HOUR), ...lookups]);
      assert.equal(rotated?.previousKey?.hash, 'old');
      for (const a of found) {
        assert.equal(a?.id, agent.id, 'never a moment without the old key');
        assert.ok(a.keyHash === 'old' || a.previousKey?.hash === 'old', 'a record of before or after');
      }
    });

    test('two racing rotations with grace leave exactly one previous key', async (store) => {
      const agent = await addAgent(store, { keyHash: 'k0' });
      await Promise.all([rotate(store, agent, 'ka', T0 + 1, HOUR), rotate(store, agent, 'kb', T0 + 1, HOUR)]);
      const now = await store.getAgent(agent.id);
      assert.ok(now?.previousKey);
      assert.deepEqual(
        [now.keyHash, now.previousKey.hash].sort(),
        ['ka', 'kb'],
        'the loser of the race is the previous key of the winner',
      );
      assert.equal(await store.getAgentByKeyHash('k0'), null, 'the original key is gone');
      assert.equal((await verifyChain(store)).ok, true);
    });

    test('a disable during the grace period racing lookups: the old key never outlives it', async (store) => {
      const agent = await addAgent(store, { keyHash: 'old' });
      await rotate(store, agent, 'new', T0 + 1, HOUR);
      const lookups = Array.from({ length: 30 }, () => store.getAgentByKeyHash('old'));
      const [ended, ...found] = await Promise.all([
        store.disableAgent(agent.id, T0 + 2, 'off', () => [makeEvent({ agentId: agent.id })]),
        ...lookups,
      ]);
      assert.equal(ended?.agent.status, 'disabled');
      for (const a of found) {
        // Before the disable: the active agent with its previous key; after: nothing.
        if (a !== null) assert.equal(a.status, 'active');
      }
      assert.equal(await store.getAgentByKeyHash('old'), null);
      assert.equal((await verifyChain(store)).ok, true);
    });
  });
}

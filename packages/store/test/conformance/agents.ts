import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  addAgent,
  allAudit,
  hasCode,
  type MakeStore,
  makeAgent,
  makeEvent,
  storeTest,
  T0,
} from './fixtures.ts';

export function lifecycleTests(makeStore: MakeStore): void {
  const test = storeTest(makeStore);
  describe('lifecycle', () => {
    test('migrate is safe to run again and keeps the data', async (store) => {
      const agent = await addAgent(store);
      await store.migrate();
      await store.migrate();
      assert.deepEqual(await store.getAgent(agent.id), agent);
      assert.equal((await allAudit(store)).length, 1);
    });

    test('ping resolves on a live store', async (store) => {
      await store.ping();
    });

    it('close lets a write already started finish', async () => {
      const store = await makeStore();
      await store.migrate();
      // Not awaited before close: a graceful shutdown must not cut an open transaction off.
      const writing = addAgent(store);
      await store.close();
      await writing;
    });
  });
}

export function agentTests(makeStore: MakeStore): void {
  const test = storeTest(makeStore);
  describe('agents', () => {
    test('createAgent round-trips through every lookup, and writes its audit entry', async (store) => {
      const agent = makeAgent({ name: 'mail-bot ✉ 東京', keyPrefix: 'ak_Zx9' });
      const event = makeEvent({ event: 'agent.created', agentId: agent.id, details: { name: agent.name } });
      await store.createAgent(agent, event);
      assert.deepEqual(await store.getAgent(agent.id), agent);
      assert.deepEqual(await store.getAgentByName(agent.name), agent);
      assert.deepEqual(await store.getAgentByKeyHash(agent.keyHash), agent);
      const audit = await allAudit(store);
      assert.equal(audit.length, 1);
      assert.equal(audit[0]?.id, event.id);
      assert.equal(audit[0]?.agentId, agent.id);
    });

    test('unknown id, name and key hash give null', async (store) => {
      await addAgent(store);
      assert.equal(await store.getAgent('agt_doesnotexist00'), null);
      assert.equal(await store.getAgentByName('nobody'), null);
      assert.equal(await store.getAgentByKeyHash('0'.repeat(64)), null);
    });

    test('listAgents is empty, then ordered oldest first', async (store) => {
      assert.deepEqual(await store.listAgents(), []);
      const c = await addAgent(store, { name: 'c', createdAt: T0 + 3 });
      const a = await addAgent(store, { name: 'a', createdAt: T0 + 1 });
      const b = await addAgent(store, { name: 'b', createdAt: T0 + 2 });
      assert.deepEqual(await store.listAgents(), [a, b, c]);
    });

    test('a duplicate name is CONFLICT and writes nothing', async (store) => {
      const first = await addAgent(store, { name: 'taken' });
      const dup = makeAgent({ name: 'taken' });
      await assert.rejects(
        store.createAgent(dup, makeEvent({ event: 'agent.created', agentId: dup.id })),
        hasCode('CONFLICT'),
      );
      assert.equal(await store.getAgent(dup.id), null);
      assert.equal(await store.getAgentByKeyHash(dup.keyHash), null);
      assert.deepEqual(await store.getAgentByName('taken'), first);
      assert.deepEqual(await store.listAgents(), [first]);
      const audit = await allAudit(store);
      assert.equal(audit.length, 1, 'no audit entry for the refused agent');
      assert.equal(audit[0]?.agentId, first.id);
    });

    test('updateAgentKey swaps the key in one step and audits it', async (store) => {
      const agent = await addAgent(store);
      const event = makeEvent({ event: 'agent.key_rotated', agentId: agent.id, at: T0 + 5 });
      const updated = await store.updateAgentKey(agent.id, 'new-hash', 'ak_new', T0 + 5, event);
      assert.deepEqual(updated, { ...agent, keyHash: 'new-hash', keyPrefix: 'ak_new', updatedAt: T0 + 5 });
      assert.equal(await store.getAgentByKeyHash(agent.keyHash), null, 'the old key stops working');
      assert.deepEqual(await store.getAgentByKeyHash('new-hash'), updated);
      assert.deepEqual(await store.getAgent(agent.id), updated);
      const audit = await allAudit(store);
      assert.equal(audit.length, 2);
      assert.equal(audit[1]?.id, event.id);
    });

    test('updateAgentKey of an unknown agent is null and audits nothing', async (store) => {
      await addAgent(store);
      const event = makeEvent({ event: 'agent.key_rotated' });
      assert.equal(await store.updateAgentKey('agt_doesnotexist00', 'h', 'ak_x', T0, event), null);
      assert.equal(await store.getAgentByKeyHash('h'), null);
      assert.equal((await allAudit(store)).length, 1);
    });
  });
}

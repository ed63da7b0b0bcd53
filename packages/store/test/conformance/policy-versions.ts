import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { newId, type PolicyVersionRecord, type Store } from '@agent-otp/core';
import { type MakeStore, storeTest, T0, verifyChain } from './fixtures.ts';

export function makeVersion(n: number, overrides: Partial<PolicyVersionRecord> = {}): PolicyVersionRecord {
  return {
    version: `pol_${n.toString(16).padStart(16, '0')}`,
    source: `- name: rule ${n}\n  action: "x.${n}"\n  decision: deny\n`,
    firstInForceAt: T0 + n,
    origin: 'start',
    actor: { type: 'system', id: 'server' },
    rules: 1,
    ...overrides,
  };
}

/** Records a version the way the policy history does, with its `policy.in_force` audit entry. */
export function recordVersion(store: Store, record: PolicyVersionRecord): Promise<boolean> {
  return store.recordPolicyVersion(record, (firstTime) => ({
    id: newId('audit'),
    at: record.firstInForceAt,
    event: 'policy.in_force',
    actor: record.actor,
    agentId: null,
    permissionId: null,
    policyVersion: record.version,
    details: { origin: record.origin, firstTime },
  }));
}

export function policyVersionTests(makeStore: MakeStore): void {
  const test = storeTest(makeStore);
  describe('policy versions', () => {
    test('a version is recorded once; every putting-in-force is audited', async (store) => {
      const first = makeVersion(1);
      assert.equal(await recordVersion(store, first), true);
      const again = makeVersion(1, { firstInForceAt: T0 + 99, origin: 'reload', source: 'other' });
      assert.equal(await recordVersion(store, again), false);
      assert.deepEqual(await store.getPolicyVersion(first.version), first, 'the first record is kept');
      const audit = await store.listAudit({ event: 'policy.in_force', limit: 10 });
      assert.deepEqual(
        audit.map((e) => [e.policyVersion, e.details.firstTime]),
        [
          [first.version, true],
          [first.version, false],
        ],
      );
      assert.ok(
        audit.every((e) => !JSON.stringify(e.details).includes('rule 1')),
        'no source in the audit',
      );
      assert.equal((await verifyChain(store)).ok, true);
    });

    test('an unknown version is null; a source keeps every byte', async (store) => {
      assert.equal(await store.getPolicyVersion('pol_0000000000000009'), null);
      const odd = makeVersion(2, { source: "# ünïcode ✓\r\n- name: 'a'\n\n\t\n" });
      await recordVersion(store, odd);
      assert.equal((await store.getPolicyVersion(odd.version))?.source, odd.source);
    });

    test('listed newest first, paged by cursor, without sources', async (store) => {
      for (const n of [3, 1, 5, 2, 4]) await recordVersion(store, makeVersion(n));
      // Two versions first in force in the same millisecond still page in a stable order.
      await recordVersion(store, makeVersion(6, { firstInForceAt: T0 + 5 }));
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listPolicyVersions({ limit: 2, cursor });
        for (const item of page.items) {
          assert.equal('source' in item, false);
          seen.push(item.version);
        }
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
      assert.deepEqual(
        seen,
        [6, 5, 4, 3, 2, 1].map((n) => makeVersion(n).version),
      );
    });

    test('the version before another: by first time in force', async (store) => {
      for (const n of [1, 2, 3]) await recordVersion(store, makeVersion(n));
      assert.equal(
        (await store.policyVersionBefore(makeVersion(3).version))?.version,
        makeVersion(2).version,
      );
      assert.equal((await store.policyVersionBefore(makeVersion(2).version))?.source, makeVersion(1).source);
      assert.equal(await store.policyVersionBefore(makeVersion(1).version), null);
      assert.equal(await store.policyVersionBefore('pol_ffffffffffffffff'), null);
    });

    test('20 concurrent recordings of one version: none fails, one is first', async (store) => {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          recordVersion(store, makeVersion(7, { firstInForceAt: T0 + i })),
        ),
      );
      assert.equal(results.filter(Boolean).length, 1);
      assert.equal((await store.listPolicyVersions({ limit: 10 })).items.length, 1);
      assert.equal((await store.listAudit({ event: 'policy.in_force', limit: 50 })).length, 20);
    });
  });
}

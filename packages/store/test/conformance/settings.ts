import assert from 'node:assert/strict';
import { describe } from 'node:test';
import { type MakeStore, storeTest, T0 } from './fixtures.ts';

export function settingTests(makeStore: MakeStore): void {
  const test = storeTest(makeStore);
  describe('claimSetting (compare-and-set)', () => {
    test('the first value is kept and returned to every later caller', async (store) => {
      assert.equal(await store.claimSetting('fingerprint', 'a', T0), 'a');
      assert.equal(await store.claimSetting('fingerprint', 'b', T0 + 1), 'a');
      assert.equal(await store.claimSetting('fingerprint', 'a', T0 + 2), 'a');
      await store.migrate();
      assert.equal(await store.claimSetting('fingerprint', 'c', T0 + 3), 'a', 'kept across migrate');
    });

    test('keys are independent', async (store) => {
      assert.equal(await store.claimSetting('one', 'x', T0), 'x');
      assert.equal(await store.claimSetting('two', 'y', T0), 'y');
      assert.equal(await store.claimSetting('one', 'z', T0), 'x');
    });

    test('30 concurrent first claims with different values: one value, returned to all', async (store) => {
      const values = Array.from({ length: 30 }, (_, i) => `value-${i}`);
      const results = await Promise.all(values.map((value) => store.claimSetting('race', value, T0)));
      assert.equal(new Set(results).size, 1);
      assert.ok(values.includes(results[0] as string));
      assert.equal(await store.claimSetting('race', 'late', T0 + 1), results[0]);
    });
  });
}

import assert from 'node:assert/strict';
import { describe } from 'node:test';
import type { Permission, PermissionQuery, Store } from '@agent-otp/core';
import {
  addAgent,
  addPermission,
  allAudit,
  eventFor,
  hasCode,
  type MakeStore,
  makeApproved,
  makePermission,
  storeTest,
  T0,
} from './fixtures.ts';

/** JSON with the shapes that trip up storage: nesting, unicode, escapes, big and small numbers. */
const RICH_SCOPE = {
  max_emails: 3,
  subject_pattern: '^Weekly report \\d+$',
  recipients: ['ana@example.com', 'Jürgen <j@example.de>'],
  nested: { deep: { deeper: [1, 2.5, -3, null, true, false, { k: 'v' }] }, empty: {}, none: [] },
  unicode: 'héllo 世界 🚀 \u0000 "quoted" \\ back\nslash',
  big: 9_007_199_254_740_991,
  tiny: 1e-9,
};

/** Every page of a query, following cursors to the end. */
async function allPages(store: Store, query: PermissionQuery): Promise<Permission[][]> {
  const pages: Permission[][] = [];
  let cursor: string | undefined;
  do {
    const page = await store.listPermissions({ ...query, cursor });
    pages.push(page.items);
    cursor = page.nextCursor ?? undefined;
    assert.ok(pages.length < 1000, 'pagination does not terminate');
  } while (cursor);
  return pages;
}

export function permissionTests(makeStore: MakeStore): void {
  const test = storeTest(makeStore);
  describe('permissions: insert, get, list', () => {
    test('every field round-trips, including JSON and nulls', async (store) => {
      const agent = await addAgent(store);
      const full = makeApproved(agent.id, {
        resource: 'file:/home/ana/Документы/report.pdf',
        requestedScope: RICH_SCOPE,
        grantedScope: { ...RICH_SCOPE, max_emails: 1 },
        context: { reason: 'send the weekly report 📈', trace: { id: 'abc', tags: ['a', 'b'] } },
        ttlSeconds: 3600,
        policyRule: 'rule ✓',
        policyVersion: 'sha256:abc',
        reason: 'why not',
        usesRemaining: 7,
        approvalsRequired: 2,
        enforcement: 'strict',
        createdAt: T0 + 1,
        decidedAt: T0 + 2,
        expiresAt: T0 + 3_600_000,
        updatedAt: T0 + 3,
      });
      const sparse = makePermission(agent.id, {
        resource: null,
        requestedScope: {},
        grantedScope: null,
        context: {},
        policyRule: null,
        reason: null,
        tokenHash: null,
        usesRemaining: null,
        decidedAt: null,
        decision: 'deny',
        status: 'denied',
      });
      await addPermission(store, full);
      await addPermission(store, sparse);
      assert.deepEqual(await store.getPermission(full.id), full);
      assert.deepEqual(await store.getPermission(sparse.id), sparse);
      assert.equal(await store.getPermission('perm_doesnotexist00'), null);
    });

    test('the scope enforcement is kept as written through every change of state', async (store) => {
      const agent = await addAgent(store);
      for (const enforcement of ['strict', 'lenient'] as const) {
        const pending = await addPermission(store, makePermission(agent.id, { enforcement }));
        const approved = await store.approvePending(
          pending.id,
          { status: 'approved', grantedScope: {}, usesRemaining: 2, decidedAt: T0, expiresAt: T0 + 60_000 },
          [eventFor(pending, 'permission.approved')],
        );
        assert.equal(approved?.enforcement, enforcement);
        const delivered = await store.claimTokenDelivery(pending.id, 'hash', T0, [
          eventFor(pending, 'token.delivered'),
        ]);
        assert.equal(delivered?.enforcement, enforcement);
        const used = await store.consumeUse(pending.id, 'hash', T0 + 1, [eventFor(pending, 'token.used')]);
        assert.equal(used?.enforcement, enforcement);
        const revoked = await store.transitionPermission(pending.id, ['approved'], { status: 'revoked' }, [
          eventFor(pending, 'permission.revoked'),
        ]);
        assert.equal(revoked?.enforcement, enforcement);
        assert.equal((await store.getPermission(pending.id))?.enforcement, enforcement);
        const listed = await store.listPermissions({ agentId: agent.id, limit: 50 });
        assert.equal(listed.items.find((p) => p.id === pending.id)?.enforcement, enforcement);
      }
    });

    test('addPermission writes all its audit entries, in order', async (store) => {
      const agent = await addAgent(store);
      const permission = makeApproved(agent.id);
      const events = [
        eventFor(permission, 'permission.requested'),
        eventFor(permission, 'permission.approved'),
      ];
      await store.insertPermission(permission, events);
      const audit = await store.listAudit({ permissionId: permission.id, limit: 10 });
      assert.deepEqual(
        audit.map((e) => e.id),
        events.map((e) => e.id),
      );
    });

    test('listPermissions filters by agent, status and action, newest first', async (store) => {
      const a = await addAgent(store);
      const b = await addAgent(store);
      const rows = [
        makePermission(a.id, { action: 'gmail.send', status: 'pending', createdAt: T0 + 1 }),
        makePermission(a.id, { action: 'gmail.send', status: 'denied', createdAt: T0 + 2 }),
        makePermission(a.id, { action: 'fs.read', status: 'pending', createdAt: T0 + 3 }),
        makePermission(b.id, { action: 'gmail.send', status: 'pending', createdAt: T0 + 4 }),
        makePermission(b.id, { action: 'fs.read', status: 'approved', createdAt: T0 + 5 }),
      ];
      for (const row of rows) await addPermission(store, row);
      const ids = async (query: Omit<PermissionQuery, 'limit'>) =>
        (await store.listPermissions({ ...query, limit: 50 })).items.map((p) => p.id);
      const pick = (...indexes: number[]) => indexes.map((i) => rows[i]?.id);

      assert.deepEqual(await ids({}), pick(4, 3, 2, 1, 0));
      assert.deepEqual(await ids({ agentId: a.id }), pick(2, 1, 0));
      assert.deepEqual(await ids({ status: 'pending' }), pick(3, 2, 0));
      assert.deepEqual(await ids({ action: 'gmail.send' }), pick(3, 1, 0));
      assert.deepEqual(await ids({ agentId: a.id, status: 'pending', action: 'gmail.send' }), pick(0));
      assert.deepEqual(await ids({ agentId: b.id, status: 'denied' }), []);
      const page = await store.listPermissions({ limit: 50 });
      assert.equal(page.nextCursor, null);
      assert.deepEqual(page.items[0], rows[4], 'items are whole permissions');
    });

    test('listPermissions filters by time range and by text, case-insensitive and literal', async (store) => {
      const a = await addAgent(store);
      const rows = [
        makePermission(a.id, {
          action: 'Bank.Transfer',
          resource: 'account:acme-payroll',
          createdAt: T0 + 10,
        }),
        makePermission(a.id, {
          action: 'gmail.send',
          resource: null,
          reason: 'Quarterly 50%_off',
          createdAt: T0 + 20,
        }),
        makePermission(a.id, { action: 'fs.read', resource: 'file:/tmp/a_b', createdAt: T0 + 30 }),
        makePermission(a.id, { action: 'fs.read', resource: 'file:/tmp/axb', createdAt: T0 + 40 }),
      ];
      for (const row of rows) await addPermission(store, row);
      const ids = async (query: Omit<PermissionQuery, 'limit'>) =>
        (await store.listPermissions({ ...query, limit: 50 })).items.map((p) => p.id);
      const pick = (...indexes: number[]) => indexes.map((i) => rows[i]?.id);

      assert.deepEqual(await ids({ since: T0 + 20 }), pick(3, 2, 1), 'since is inclusive');
      assert.deepEqual(await ids({ until: T0 + 30 }), pick(1, 0), 'until is exclusive');
      assert.deepEqual(await ids({ since: T0 + 20, until: T0 + 40 }), pick(2, 1));
      assert.deepEqual(await ids({ text: 'bank.transfer' }), pick(0), 'action, any case');
      assert.deepEqual(await ids({ text: 'PAYROLL' }), pick(0), 'resource, any case');
      assert.deepEqual(await ids({ text: 'quarterly' }), pick(1), 'reason');
      assert.deepEqual(await ids({ text: rows[2]?.id.toUpperCase() }), pick(2), 'id');
      assert.deepEqual(await ids({ text: 'a_b' }), pick(2), '_ is not a wildcard');
      assert.deepEqual(await ids({ text: '50%_' }), pick(1), '% is not a wildcard');
      assert.deepEqual(await ids({ text: '\\' }), [], 'a backslash is literal too');
      assert.deepEqual(await ids({ text: 'fs.read', since: T0 + 35 }), pick(3), 'combined with the rest');
    });

    test('cursor pagination returns every item exactly once, across equal createdAt', async (store) => {
      const agent = await addAgent(store);
      const other = await addAgent(store);
      const mine: Permission[] = [];
      // 23 rows in groups of 4 sharing a createdAt, so pages split inside a tie.
      for (let i = 0; i < 23; i++) {
        mine.push(
          await addPermission(store, makePermission(agent.id, { createdAt: T0 + Math.floor(i / 4) })),
        );
        await addPermission(store, makePermission(other.id, { createdAt: T0 + Math.floor(i / 4) }));
      }
      for (const limit of [1, 3, 4, 5, 23, 24]) {
        const pages = await allPages(store, { agentId: agent.id, limit });
        const items = pages.flat();
        assert.equal(pages.length, Math.max(1, Math.ceil(23 / limit)), `page count at limit ${limit}`);
        assert.ok(
          pages.every((page) => page.length <= limit),
          'no page exceeds the limit',
        );
        assert.equal(items.length, 23);
        assert.equal(new Set(items.map((p) => p.id)).size, 23, `no duplicates at limit ${limit}`);
        assert.deepEqual(new Set(items.map((p) => p.id)), new Set(mine.map((p) => p.id)));
        for (let i = 1; i < items.length; i++) {
          assert.ok((items[i - 1]?.createdAt ?? 0) >= (items[i]?.createdAt ?? 0), 'newest first');
        }
      }
    });

    test('an exact last page has no next cursor; an empty list has none', async (store) => {
      assert.deepEqual(await store.listPermissions({ limit: 10 }), { items: [], nextCursor: null });
      const agent = await addAgent(store);
      for (let i = 0; i < 4; i++) await addPermission(store, makePermission(agent.id, { createdAt: T0 + i }));
      const first = await store.listPermissions({ limit: 2 });
      assert.ok(first.nextCursor);
      const second = await store.listPermissions({ limit: 2, cursor: first.nextCursor });
      assert.equal(second.items.length, 2);
      assert.equal(second.nextCursor, null);
    });

    test('a cursor that is not one is VALIDATION_ERROR', async (store) => {
      const agent = await addAgent(store);
      await addPermission(store, makePermission(agent.id));
      const forged = [
        'not a cursor!',
        Buffer.from('{"createdAt":1}').toString('base64url'),
        Buffer.from('[1]').toString('base64url'),
        Buffer.from('["x","y"]').toString('base64url'),
      ];
      for (const cursor of forged) {
        await assert.rejects(
          store.listPermissions({ limit: 10, cursor }),
          hasCode('VALIDATION_ERROR'),
          cursor,
        );
      }
      assert.equal((await allAudit(store)).length, 2);
    });
  });
}

import assert from 'node:assert/strict';
import { describe } from 'node:test';
import {
  addUser,
  allAudit,
  hasCode,
  type MakeStore,
  makeEvent,
  rejection,
  storeTest,
  T0,
} from './fixtures.ts';

export function slackTests(makeStore: MakeStore): void {
  const test = storeTest(makeStore);
  describe('slack: links and approval messages', () => {
    test('a link is one Slack account per user and one user per Slack account', async (store) => {
      const ana = await addUser(store);
      const bo = await addUser(store);
      await store.linkSlackUser(
        { userId: ana.id, slackUserId: 'U1', createdAt: T0 },
        makeEvent({ event: 'slack.linked' }),
      );
      assert.deepEqual(await store.getSlackLinkBySlackUser('U1'), {
        userId: ana.id,
        slackUserId: 'U1',
        createdAt: T0,
      });
      const taken = await rejection(
        store.linkSlackUser(
          { userId: bo.id, slackUserId: 'U1', createdAt: T0 },
          makeEvent({ event: 'slack.linked' }),
        ),
      );
      assert.ok(hasCode('CONFLICT')(taken));
      // Relinking replaces the user's earlier account.
      await store.linkSlackUser(
        { userId: ana.id, slackUserId: 'U2', createdAt: T0 + 1 },
        makeEvent({ event: 'slack.linked' }),
      );
      assert.equal(await store.getSlackLinkBySlackUser('U1'), null);
      assert.deepEqual(
        (await store.listSlackLinks()).map((l) => [l.userId, l.slackUserId]),
        [[ana.id, 'U2']],
      );
      assert.equal(await store.unlinkSlackUser(ana.id, makeEvent({ event: 'slack.unlinked' })), true);
      assert.equal(await store.unlinkSlackUser(ana.id, makeEvent({ event: 'slack.unlinked' })), false);
      assert.deepEqual(await store.listSlackLinks(), []);
      const events = (await allAudit(store)).map((e) => e.event).filter((e) => e.startsWith('slack.'));
      assert.deepEqual(events, ['slack.linked', 'slack.linked', 'slack.unlinked']);
    });

    test('messages are kept per permission and account, the first one wins', async (store) => {
      const m = { permissionId: 'perm_a', slackUserId: 'U1', channel: 'D1', ts: '1.1', createdAt: T0 };
      await store.saveSlackMessage(m);
      await store.saveSlackMessage({ ...m, ts: '2.2' });
      await store.saveSlackMessage({ ...m, slackUserId: 'U2', channel: 'D2', ts: '3.3', createdAt: T0 + 1 });
      assert.deepEqual(
        (await store.listSlackMessages('perm_a')).map((x) => [x.slackUserId, x.ts]),
        [
          ['U1', '1.1'],
          ['U2', '3.3'],
        ],
      );
      assert.deepEqual(await store.listSlackMessages('perm_b'), []);
    });
  });
}

import assert from 'node:assert/strict';
import { describe } from 'node:test';
import {
  addUser,
  allAudit,
  hasCode,
  type MakeStore,
  makeSession,
  makeUser,
  makeUserToken,
  storeTest,
  T0,
  userEvent,
} from './fixtures.ts';

export function userTests(makeStore: MakeStore): void {
  const test = storeTest(makeStore);
  describe('users', () => {
    test('createUser round-trips by id and name, and writes its audit entry', async (store) => {
      const user = makeUser({ name: 'ana.müller@example.com', role: 'admin' });
      const event = userEvent(user, 'user.created', { name: user.name });
      await store.createUser(user, event);
      assert.deepEqual(await store.getUser(user.id), user);
      assert.deepEqual(await store.getUserByName(user.name), user);
      const audit = await allAudit(store);
      assert.deepEqual(
        audit.map((e) => e.id),
        [event.id],
      );
    });

    test('unknown id and name give null', async (store) => {
      await addUser(store, { name: 'someone' });
      assert.equal(await store.getUser('usr_doesnotexist00'), null);
      assert.equal(await store.getUserByName('nobody'), null);
      assert.equal(await store.getUserByName('SOMEONE'), null, 'names are exact');
    });

    test('a duplicate name is CONFLICT and writes nothing', async (store) => {
      const first = await addUser(store, { name: 'taken' });
      const dup = makeUser({ name: 'taken', role: 'admin' });
      await assert.rejects(store.createUser(dup, userEvent(dup, 'user.created')), hasCode('CONFLICT'));
      assert.equal(await store.getUser(dup.id), null);
      assert.deepEqual(await store.getUserByName('taken'), first);
      assert.deepEqual(await store.listUsers(), [first]);
      assert.equal((await allAudit(store)).length, 1, 'no audit entry for the refused user');
    });

    test('listUsers is empty, then ordered oldest first', async (store) => {
      assert.deepEqual(await store.listUsers(), []);
      const c = await addUser(store, { name: 'c', createdAt: T0 + 3 });
      const a = await addUser(store, { name: 'a', createdAt: T0 + 1 });
      const b = await addUser(store, { name: 'b', createdAt: T0 + 2 });
      assert.deepEqual(await store.listUsers(), [a, b, c]);
    });

    test('updateUser patches each field on its own, sets updatedAt and audits', async (store) => {
      const user = await addUser(store);
      const other = await addUser(store);
      const disabled = await store.disableUser(user.id, T0 + 1, () => [userEvent(user, 'user.disabled')]);
      assert.deepEqual(disabled?.user, { ...user, status: 'disabled', updatedAt: T0 + 1 });
      const admin = await store.updateUser(user.id, { role: 'admin' }, T0 + 2, userEvent(user, 'user.role'));
      assert.deepEqual(admin, { ...user, status: 'disabled', role: 'admin', updatedAt: T0 + 2 });
      const rehashed = await store.updateUser(
        user.id,
        { passwordHash: 'scrypt$new', status: 'active', role: 'viewer' },
        T0 + 3,
        userEvent(user, 'user.password'),
      );
      assert.deepEqual(rehashed, { ...user, passwordHash: 'scrypt$new', role: 'viewer', updatedAt: T0 + 3 });
      assert.deepEqual(await store.getUser(user.id), rehashed);
      assert.deepEqual(await store.getUser(other.id), other, 'other users are untouched');
      // An empty patch still records who touched the user, and when.
      const touched = await store.updateUser(user.id, {}, T0 + 4, userEvent(user, 'user.touched'));
      assert.deepEqual(touched, { ...rehashed, updatedAt: T0 + 4 });
      assert.deepEqual(
        (await allAudit(store)).map((e) => e.event),
        ['user.created', 'user.created', 'user.disabled', 'user.role', 'user.password', 'user.touched'],
      );
    });

    test('updateUser of an unknown user is null and audits nothing', async (store) => {
      await addUser(store);
      const ghost = makeUser();
      assert.equal(await store.updateUser(ghost.id, { status: 'active' }, T0, userEvent(ghost, 'x')), null);
      assert.equal((await allAudit(store)).length, 1);
    });
  });

  describe('user tokens', () => {
    test('createUserToken is found by hash and listed per user, oldest first', async (store) => {
      const user = await addUser(store);
      const other = await addUser(store);
      const second = makeUserToken(user.id, { name: 'laptop', createdAt: T0 + 2 });
      const first = makeUserToken(user.id, { name: 'ci ✓', createdAt: T0 + 1 });
      const theirs = makeUserToken(other.id);
      for (const token of [second, first, theirs]) {
        await store.createUserToken(token, userEvent(user, 'user.token_created', { tokenId: token.id }));
      }
      assert.deepEqual(await store.getUserTokenByHash(first.tokenHash), first);
      assert.deepEqual(await store.getUserTokenByHash(theirs.tokenHash), theirs);
      assert.equal(await store.getUserTokenByHash('0'.repeat(64)), null);
      assert.deepEqual(await store.listUserTokens(user.id), [first, second]);
      assert.deepEqual(await store.listUserTokens(other.id), [theirs]);
      assert.deepEqual(await store.listUserTokens('usr_doesnotexist00'), []);
      assert.equal((await store.listAudit({ event: 'user.token_created', limit: 10 })).length, 3);
    });

    test('revokeUserToken revokes once: the hash stops working, a second revoke is null', async (store) => {
      const user = await addUser(store);
      const token = makeUserToken(user.id);
      const kept = makeUserToken(user.id, { createdAt: T0 + 1 });
      await store.createUserToken(token, userEvent(user, 'user.token_created'));
      await store.createUserToken(kept, userEvent(user, 'user.token_created'));
      const revoked = await store.revokeUserToken(token.id, T0 + 5, userEvent(user, 'user.token_revoked'));
      assert.deepEqual(revoked, { ...token, revokedAt: T0 + 5 });
      assert.equal(
        await store.getUserTokenByHash(token.tokenHash),
        null,
        'a revoked token authenticates nobody',
      );
      assert.deepEqual(await store.getUserTokenByHash(kept.tokenHash), kept);
      assert.deepEqual(await store.listUserTokens(user.id), [revoked, kept], 'still listed, marked revoked');

      assert.equal(
        await store.revokeUserToken(token.id, T0 + 6, userEvent(user, 'user.token_revoked')),
        null,
      );
      assert.equal(
        await store.revokeUserToken('utk_doesnotexist00', T0, userEvent(user, 'user.token_revoked')),
        null,
      );
      assert.equal(
        (await store.listUserTokens(user.id))[0]?.revokedAt,
        T0 + 5,
        'the first revoke time stays',
      );
      assert.equal((await store.listAudit({ event: 'user.token_revoked', limit: 10 })).length, 1);
    });
  });

  describe('sessions', () => {
    test('createSession is found by hash and audited; unknown hash is null', async (store) => {
      const user = await addUser(store);
      const session = makeSession(user.id);
      await store.createSession(session, userEvent(user, 'user.login'));
      assert.deepEqual(await store.getSessionByHash(session.tokenHash), session);
      assert.equal(await store.getSessionByHash('0'.repeat(64)), null);
      assert.equal((await store.listAudit({ event: 'user.login', limit: 10 })).length, 1);
    });

    test('deleteSession with an audit entry, and without one', async (store) => {
      const user = await addUser(store);
      const a = makeSession(user.id);
      const b = makeSession(user.id);
      await store.createSession(a, userEvent(user, 'user.login'));
      await store.createSession(b, userEvent(user, 'user.login'));
      const before = (await allAudit(store)).length;
      await store.deleteSession(a.id, userEvent(user, 'user.logout'));
      assert.equal(await store.getSessionByHash(a.tokenHash), null);
      assert.deepEqual(await store.getSessionByHash(b.tokenHash), b);
      assert.equal((await allAudit(store)).length, before + 1);
      await store.deleteSession(b.id, null);
      assert.equal(await store.getSessionByHash(b.tokenHash), null);
      assert.equal((await allAudit(store)).length, before + 1, 'no audit entry when none is given');
    });

    test('setUserPassword sets the hash and ends the sessions, all but the one kept, in one audit', async (store) => {
      const user = await addUser(store, { passwordHash: 'scrypt$old' });
      const other = await addUser(store);
      const [kept, ended, theirs] = [makeSession(user.id), makeSession(user.id), makeSession(other.id)];
      for (const s of [kept, ended, theirs]) await store.createSession(s, userEvent(user, 'user.login'));
      const token = makeUserToken(user.id);
      await store.createUserToken(token, userEvent(user, 'user.token_created'));

      const seen: number[] = [];
      const changed = await store.setUserPassword(user.id, 'scrypt$new', T0 + 7, kept.id, (e) => {
        seen.push(e.sessionsEnded);
        return [userEvent(user, 'user.password_changed', { sessionsEnded: e.sessionsEnded })];
      });
      assert.deepEqual(changed, {
        user: { ...user, passwordHash: 'scrypt$new', updatedAt: T0 + 7 },
        sessionsEnded: 1,
      });
      assert.deepEqual(seen, [1], 'the audit is built from what was ended');
      assert.deepEqual(await store.getUser(user.id), changed?.user);
      assert.deepEqual(await store.getSessionByHash(kept.tokenHash), kept);
      assert.equal(await store.getSessionByHash(ended.tokenHash), null);
      assert.deepEqual(await store.getSessionByHash(theirs.tokenHash), theirs, "other users' sessions stay");
      assert.deepEqual(await store.getUserTokenByHash(token.tokenHash), token, 'tokens are untouched');
      const [entry] = await store.listAudit({ event: 'user.password_changed', limit: 10 });
      assert.equal(entry?.details.sessionsEnded, 1);

      // Without a session to keep, every one of the user's sessions ends.
      const reset = await store.setUserPassword(user.id, 'scrypt$reset', T0 + 8, null, () => [
        userEvent(user, 'user.password_reset'),
      ]);
      assert.equal(reset?.sessionsEnded, 1);
      assert.equal(await store.getSessionByHash(kept.tokenHash), null);
      assert.equal((await store.getUser(user.id))?.passwordHash, 'scrypt$reset');
    });

    test('setUserPassword of an unknown user is null and writes nothing', async (store) => {
      const user = await addUser(store);
      const session = makeSession(user.id);
      await store.createSession(session, userEvent(user, 'user.login'));
      const before = (await allAudit(store)).length;
      const ghost = makeUser();
      assert.equal(
        await store.setUserPassword(ghost.id, 'scrypt$x', T0, null, () => [userEvent(ghost, 'x')]),
        null,
      );
      assert.deepEqual(await store.getSessionByHash(session.tokenHash), session);
      assert.equal((await allAudit(store)).length, before);
    });

    test('changeUserRole is a compare-and-set on the role, and audits', async (store) => {
      const user = await addUser(store, { role: 'viewer' });
      const event = userEvent(user, 'user.role_changed');
      const changed = await store.changeUserRole(user.id, 'viewer', 'approver', T0 + 5, event);
      assert.deepEqual(changed, { ...user, role: 'approver', updatedAt: T0 + 5 });
      assert.deepEqual(await store.getUser(user.id), changed);
      assert.deepEqual((await allAudit(store)).map((e) => e.id).slice(-1), [event.id]);
      const stale = await store.changeUserRole(user.id, 'viewer', 'admin', T0 + 6, userEvent(user, 'user.x'));
      assert.equal(stale, null, 'the role is no longer viewer');
      assert.equal((await store.getUser(user.id))?.role, 'approver');
      assert.equal(
        await store.changeUserRole('usr_nobody000000', 'viewer', 'admin', T0, userEvent(user, 'u')),
        null,
      );
      assert.equal((await allAudit(store)).length, 2, 'refusals write nothing');
    });

    test('changeUserRole never demotes the last active admin', async (store) => {
      const only = await addUser(store, { role: 'admin' });
      const disabledAdmin = await addUser(store, { role: 'admin', status: 'disabled' });
      assert.equal(
        await store.changeUserRole(only.id, 'admin', 'viewer', T0 + 1, userEvent(only, 'u')),
        null,
      );
      assert.equal((await store.getUser(only.id))?.role, 'admin', 'a disabled admin does not count');
      // A disabled admin may lose the role: it is not what keeps the installation administered.
      const demoted = await store.changeUserRole(
        disabledAdmin.id,
        'admin',
        'viewer',
        T0 + 1,
        userEvent(only, 'u'),
      );
      assert.equal(demoted?.role, 'viewer');
      const second = await addUser(store, { role: 'approver' });
      assert.equal(
        (await store.changeUserRole(second.id, 'approver', 'admin', T0 + 2, userEvent(second, 'u')))?.role,
        'admin',
      );
      assert.equal(
        (await store.changeUserRole(only.id, 'admin', 'approver', T0 + 3, userEvent(only, 'u')))?.role,
        'approver',
      );
      assert.equal(
        await store.changeUserRole(second.id, 'admin', 'viewer', T0 + 4, userEvent(second, 'u')),
        null,
      );
    });

    test('two admins demoting each other at once leave exactly one admin', async (store) => {
      const a = await addUser(store, { role: 'admin' });
      const b = await addUser(store, { role: 'admin' });
      const results = await Promise.all([
        store.changeUserRole(a.id, 'admin', 'viewer', T0 + 1, userEvent(a, 'user.role_changed')),
        store.changeUserRole(b.id, 'admin', 'viewer', T0 + 1, userEvent(b, 'user.role_changed')),
      ]);
      assert.equal(results.filter((r) => r !== null).length, 1);
      const admins = (await store.listUsers()).filter((u) => u.role === 'admin');
      assert.equal(admins.length, 1);
    });

    test('deleteExpiredSessions removes those at or past their expiry and counts them', async (store) => {
      const user = await addUser(store);
      const past = makeSession(user.id, { expiresAt: T0 - 1 });
      const now = makeSession(user.id, { expiresAt: T0 });
      const live = makeSession(user.id, { expiresAt: T0 + 1 });
      for (const s of [past, now, live]) await store.createSession(s, userEvent(user, 'user.login'));
      assert.equal(await store.deleteExpiredSessions(T0), 2);
      assert.equal(await store.getSessionByHash(past.tokenHash), null);
      assert.equal(await store.getSessionByHash(now.tokenHash), null);
      assert.deepEqual(await store.getSessionByHash(live.tokenHash), live);
      assert.equal(await store.deleteExpiredSessions(T0), 0);
    });
  });
}

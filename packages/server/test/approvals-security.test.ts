import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Actor, AgentOtpError, type UserRole } from '@agent-otp/core';
import { createTestRuntime, type TestRuntime } from './helpers.ts';

const POLICY = `
- name: payments
  conditions: { action: { equals: bank.transfer } }
  action: require_approval
`;

const ADMIN: Actor = { type: 'system', id: 'test' };
const PASSWORD = 'correct horse battery';

describe('approval routes: who may decide', () => {
  let t: TestRuntime;
  let agentKey: string;
  let approverToken: string;

  async function userWithToken(name: string, role: UserRole) {
    const { user } = await t.runtime.users.create({ name, role, password: PASSWORD }, ADMIN);
    const { token, record } = await t.runtime.users.createToken(user.id, 'tests', ADMIN);
    return { user, token, record };
  }

  async function requestPending() {
    const response = await t.call('POST', '/api/v1/permissions/request', {
      key: agentKey,
      body: { action: 'bank.transfer', scope: { max_amount: 40 } },
    });
    assert.equal(response.status, 202);
    return response.body.data.id as string;
  }

  /** Nothing was decided or recorded on the request. */
  async function untouched(id: string) {
    assert.equal((await t.runtime.store.getPermission(id))?.status, 'pending');
    assert.deepEqual(await t.runtime.store.listApprovalVotes(id), []);
    const events = (await t.runtime.store.listAudit({ permissionId: id, limit: 50 })).map((e) => e.event);
    assert.deepEqual(events, ['permission.requested']);
  }

  before(async () => {
    t = await createTestRuntime({ policy: POLICY });
    agentKey = (await t.agent('sneaky-bot')).apiKey;
    approverToken = (await userWithToken('alice', 'approver')).token;
  });
  after(() => t.close());

  it('an agent key on the approval routes is 403 FORBIDDEN: agents never approve', async () => {
    const id = await requestPending();
    const calls = [
      ['GET', '/api/v1/approvals'],
      ['GET', `/api/v1/approvals/${id}`],
      ['POST', `/api/v1/approvals/${id}/approve`],
      ['POST', `/api/v1/approvals/${id}/deny`],
    ] as const;
    for (const [method, path] of calls) {
      const response = await t.call(method, path, {
        key: agentKey,
        body: method === 'POST' ? {} : undefined,
      });
      assert.equal(response.status, 403, `${method} ${path}`);
      assert.equal(response.body.error.code, 'FORBIDDEN');
    }
    await untouched(id);
  });

  it('a viewer may look but not decide: 403 and nothing recorded', async () => {
    const { token } = await userWithToken('victor', 'viewer');
    const id = await requestPending();
    const list = await t.call('GET', '/api/v1/approvals', { key: token });
    assert.equal(list.status, 200);
    for (const action of ['approve', 'deny']) {
      const response = await t.call('POST', `/api/v1/approvals/${id}/${action}`, { key: token, body: {} });
      assert.equal(response.status, 403);
      assert.equal(response.body.error.code, 'FORBIDDEN');
    }
    await untouched(id);
  });

  it("a disabled user's token and a revoked token are 401", async () => {
    const disabled = await userWithToken('dora', 'approver');
    const revoked = await userWithToken('rex', 'approver');
    const id = await requestPending();
    assert.equal((await t.call('GET', '/api/v1/approvals', { key: disabled.token })).status, 200);
    await t.runtime.users.disable('dora', ADMIN);
    await t.runtime.users.revokeToken(revoked.record.id, ADMIN);
    for (const token of [disabled.token, revoked.token]) {
      const approve = await t.call('POST', `/api/v1/approvals/${id}/approve`, { key: token, body: {} });
      assert.equal(approve.status, 401);
      assert.equal(approve.body.error.code, 'UNAUTHORIZED');
      assert.equal((await t.call('GET', '/api/v1/approvals', { key: token })).status, 401);
    }
    await untouched(id);
    // Finding 10: disabling revoked the token for good; re-enabling the user does not revive it.
    await t.runtime.users.enable('dora', ADMIN);
    assert.equal((await t.call('GET', '/api/v1/approvals', { key: disabled.token })).status, 401);
    assert.equal((await t.call('GET', '/api/v1/approvals', { key: revoked.token })).status, 401);
  });

  it('no credential, a forged user token or a malformed header is 401', async () => {
    const id = await requestPending();
    const forged = `uat_${'A'.repeat(43)}`;
    const attempts: Record<string, string>[] = [
      {},
      { authorization: `Bearer ${forged}` },
      { authorization: 'Bearer uat_short' },
      { authorization: 'Basic abc' },
    ];
    for (const headers of attempts) {
      const response = await t.call('POST', `/api/v1/approvals/${id}/approve`, { headers, body: {} });
      assert.equal(response.status, 401, JSON.stringify(headers));
    }
    await untouched(id);
  });

  it('a user token on the agent routes is 401: humans are not agents', async () => {
    const id = await requestPending();
    const read = await t.call('GET', `/api/v1/permissions/${id}`, { key: approverToken });
    assert.equal(read.status, 401);
    assert.equal(read.body.error.code, 'UNAUTHORIZED');
    const request = await t.call('POST', '/api/v1/permissions/request', {
      key: approverToken,
      body: { action: 'bank.transfer' },
    });
    assert.equal(request.status, 401);
    const revoke = await t.call('POST', `/api/v1/permissions/${id}/revoke`, { key: approverToken });
    assert.equal(revoke.status, 401);
    await untouched(id);
  });

  it('a session cookie needs the CSRF header to decide; with it, it works', async () => {
    const login = await t.runtime.users.login('alice', PASSWORD);
    const cookie = `agent_otp_session=${login.sessionToken}`;
    const id = await requestPending();

    const list = await t.call('GET', '/api/v1/approvals', { headers: { cookie } });
    assert.equal(list.status, 200, 'reading needs no CSRF token');

    const forged = await t.call('POST', `/api/v1/approvals/${id}/approve`, { headers: { cookie }, body: {} });
    assert.equal(forged.status, 403);
    assert.equal(forged.body.error.code, 'FORBIDDEN');
    const form = await t.call('POST', `/api/v1/approvals/${id}/approve`, {
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      raw: '_csrf=wrong',
    });
    assert.equal(form.status, 403);
    const other = await t.runtime.users.login('alice', PASSWORD);
    const wrongSession = await t.call('POST', `/api/v1/approvals/${id}/approve`, {
      headers: { cookie, 'x-csrf-token': t.runtime.users.csrfToken(other.session) },
      body: {},
    });
    assert.equal(wrongSession.status, 403, "another session's CSRF token does not fit");
    await untouched(id);

    const approve = await t.call('POST', `/api/v1/approvals/${id}/approve`, {
      headers: { cookie, 'x-csrf-token': t.runtime.users.csrfToken(login.session) },
      body: {},
    });
    assert.equal(approve.status, 200);
    assert.equal(approve.body.data.outcome, 'approved');
    const vote = (await t.runtime.store.listAudit({ permissionId: id, event: 'approval.vote', limit: 5 }))[0];
    assert.deepEqual(vote?.actor, { type: 'user', id: login.user.id });
  });

  it('a logged-out or expired session is 401', async () => {
    const id = await requestPending();
    const out = await t.runtime.users.login('alice', PASSWORD);
    await t.runtime.users.logout(out.session);
    const afterLogout = await t.call('GET', '/api/v1/approvals', {
      headers: { cookie: `agent_otp_session=${out.sessionToken}` },
    });
    assert.equal(afterLogout.status, 401);

    const stale = await t.runtime.users.login('alice', PASSWORD);
    t.clock.advance(t.runtime.config.sessionTtlSeconds * 1000);
    const expired = await t.call('POST', `/api/v1/approvals/${id}/approve`, {
      headers: {
        cookie: `agent_otp_session=${stale.sessionToken}`,
        'x-csrf-token': t.runtime.users.csrfToken(stale.session),
      },
      body: {},
    });
    assert.equal(expired.status, 401);
    await untouched(id);
  });

  it('login throttling: after 5 wrong passwords even the right one is RATE_LIMITED, all audited', async () => {
    await userWithToken('mallory-target', 'approver');
    const before = (await t.runtime.store.listAudit({ limit: 10_000 })).length;
    for (let i = 0; i < 5; i++) {
      await assert.rejects(
        t.runtime.users.login('mallory-target', `wrong password ${i}`),
        (error: unknown) => {
          assert.ok(error instanceof AgentOtpError);
          assert.equal(error.code, 'UNAUTHORIZED');
          return true;
        },
      );
    }
    let throttled: unknown;
    try {
      await t.runtime.users.login('mallory-target', PASSWORD);
    } catch (error) {
      throttled = error;
    }
    assert.ok(throttled instanceof AgentOtpError, 'the sixth attempt is refused');
    assert.equal(throttled.code, 'RATE_LIMITED');
    assert.equal(throttled.status, 429);
    const retryAfter = (throttled.details as { retryAfter: number }).retryAfter;
    assert.ok(
      Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 15 * 60,
      `retryAfter ${retryAfter}`,
    );

    const audit = (await t.runtime.store.listAudit({ limit: 10_000 })).slice(before);
    assert.deepEqual(
      audit.map((e) => e.event),
      [...Array(5).fill('user.login_failed'), 'user.login_throttled'],
    );
    assert.ok(audit.every((e) => e.details.name === 'mallory-target'));
    assert.ok(!JSON.stringify(audit).includes('wrong password'), 'passwords are never audited');
    assert.ok(!JSON.stringify(audit).includes(PASSWORD));

    // Other users are not locked out by it, and the lock lifts when the window has passed.
    assert.ok(await t.runtime.users.login('alice', PASSWORD));
    t.clock.advance(retryAfter * 1000);
    const ok = await t.runtime.users.login('mallory-target', PASSWORD);
    assert.equal(ok.user.name, 'mallory-target');
  });

  it('no password, user token or session secret reaches the logs or the audit log', async () => {
    const text = JSON.stringify(await t.runtime.store.listAudit({ limit: 10_000 })) + t.logs();
    assert.ok(!text.includes(PASSWORD));
    assert.doesNotMatch(text, /(?:uat|ses|ak|otp)_[A-Za-z0-9_-]{43}/);
    assert.doesNotMatch(text, /scrypt\$/);
  });

  it('the last active admin cannot be disabled (nobody could administer users any more)', async () => {
    const first = await userWithToken('root-a', 'admin');
    const others = (await t.runtime.users.list()).filter((u) => u.role === 'admin' && u.status === 'active');
    for (const other of others)
      if (other.id !== first.user.id) await t.runtime.users.disable(other.id, ADMIN);
    await assert.rejects(t.runtime.users.disable('root-a', ADMIN), (error: unknown) => {
      assert.ok(error instanceof AgentOtpError);
      assert.equal(error.code, 'CONFLICT');
      assert.match(error.message, /last active admin/);
      return true;
    });
    assert.equal((await t.runtime.users.find('root-a')).status, 'active');
    const second = await userWithToken('root-b', 'admin');
    assert.equal((await t.runtime.users.disable('root-a', ADMIN)).user.status, 'disabled');
    assert.equal((await t.runtime.users.find(second.user.id)).status, 'active');
  });
});

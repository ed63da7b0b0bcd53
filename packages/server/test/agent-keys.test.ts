import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestRuntime, type TestRuntime } from './helpers.ts';

const POLICY = `
- name: emails
  conditions: { action: { equals: gmail.send } }
  action: auto_approve
`;
const HOST = { type: 'system', id: 'test' } as const;
const MINUTE = 60_000;

describe('agent expiry and rotation grace over HTTP', () => {
  let t: TestRuntime;
  let admin = '';
  let viewer = '';
  before(async () => {
    t = await createTestRuntime({ policy: POLICY });
    const root = await t.runtime.users.create({ name: 'root', role: 'admin' }, HOST);
    admin = (await t.runtime.users.createToken(root.user.id, 'tests', HOST)).token;
    const watcher = await t.runtime.users.create({ name: 'watcher', role: 'viewer' }, HOST);
    viewer = (await t.runtime.users.createToken(watcher.user.id, 'tests', HOST)).token;
  });
  after(() => t.close());

  const request = (key: string) =>
    t.call('POST', '/api/v1/permissions/request', { key, body: { action: 'gmail.send' } });

  it('an expired agent key answers 403 AGENT_EXPIRED with the time, until the expiry is cleared', async () => {
    const created = await t.call('POST', '/api/v1/agents', {
      key: admin,
      body: { name: 'temp-bot', expiresIn: '30m' },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const { apiKey, agent } = created.body.data;
    const expiresAt = new Date(t.clock.now() + 30 * MINUTE).toISOString();
    assert.equal(agent.expiresAt, expiresAt);
    assert.equal((await request(apiKey)).status, 201);

    t.clock.advance(30 * MINUTE);
    const refused = await request(apiKey);
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error.code, 'AGENT_EXPIRED');
    assert.equal(refused.body.error.message, `agent temp-bot key expired at ${expiresAt}`);
    assert.match(refused.body.error.requestId, /^req_/);
    assert.equal(
      (await t.call('GET', '/api/v1/permissions', { key: apiKey })).body.error.code,
      'AGENT_EXPIRED',
    );

    const cleared = await t.call('POST', '/api/v1/agents/temp-bot/expiry', {
      key: admin,
      body: { never: true },
    });
    assert.equal(cleared.status, 200);
    assert.equal(cleared.body.data.expiresAt, null);
    assert.equal((await request(apiKey)).status, 201);
    const audit = await t.runtime.store.listAudit({ event: 'agent.expiry_set', limit: 10 });
    assert.deepEqual(
      audit.map((e) => e.details.to),
      [null],
    );
    assert.equal(audit[0]?.details.from, expiresAt);
  });

  it('validates expiry and grace input with 400 and the field', async () => {
    await t.runtime.agents.create('plain-bot', HOST);
    const cases: [string, unknown, string][] = [
      ['/api/v1/agents/plain-bot/expiry', { expiresIn: '5 days' }, 'expiresIn'],
      ['/api/v1/agents/plain-bot/expiry', { expiresAt: '2020-01-01T00:00:00Z' }, 'expiresAt'],
      ['/api/v1/agents/plain-bot/expiry', {}, 'expiresAt'],
      ['/api/v1/agents/plain-bot/rotate', { grace: '25h' }, 'grace'],
      ['/api/v1/agents/plain-bot/rotate', { grace: 'soon' }, 'grace'],
    ];
    for (const [path, body, field] of cases) {
      const res = await t.call('POST', path, { key: admin, body });
      assert.equal(res.status, 400, `${path} ${JSON.stringify(body)}`);
      assert.equal(res.body.error.code, 'VALIDATION_ERROR');
      assert.equal(res.body.error.details.field, field);
    }
    const unknown = await t.call('POST', '/api/v1/agents/plain-bot/expiry', { key: admin, body: { ttl: 5 } });
    assert.equal(unknown.status, 400);
    const missing = await t.call('POST', '/api/v1/agents/nobody/expiry', {
      key: admin,
      body: { never: true },
    });
    assert.equal(missing.status, 404);
  });

  it('only admins manage agents; an agent key is refused', async () => {
    const list = await t.call('GET', '/api/v1/agents', { key: viewer });
    assert.equal(list.status, 200);
    assert.ok(
      list.body.data.every((a: Record<string, unknown>) => !('keyHash' in a) && !('previousKey' in a)),
    );
    const rotate = await t.call('POST', '/api/v1/agents/plain-bot/rotate', { key: viewer, body: {} });
    assert.equal(rotate.status, 403);
    assert.equal(rotate.body.error.code, 'FORBIDDEN');
    const { apiKey } = await t.agent('nosy-bot');
    assert.equal((await t.call('GET', '/api/v1/agents', { key: apiKey })).status, 403);
  });

  it('rotate with grace: both keys work until the grace ends, old-key requests are marked in the audit', async () => {
    const first = await t.agent('fleet-bot');
    const rotated = await t.call('POST', '/api/v1/agents/fleet-bot/rotate', {
      key: admin,
      body: { grace: '10m' },
    });
    assert.equal(rotated.status, 200);
    const { apiKey, agent } = rotated.body.data;
    assert.equal(agent.previousKeyPrefix, first.apiKey.slice(0, agent.previousKeyPrefix.length));
    assert.equal(agent.previousKeyValidUntil, new Date(t.clock.now() + 10 * MINUTE).toISOString());

    const old = await request(first.apiKey);
    assert.equal(old.status, 201);
    const fresh = await request(apiKey);
    assert.equal(fresh.status, 201);
    const requested = await t.runtime.store.listAudit({
      agentId: first.id,
      event: 'permission.requested',
      limit: 10,
    });
    const byPermission = new Map(requested.map((e) => [e.permissionId, e.details.previousKey]));
    assert.equal(byPermission.get(old.body.data.id), true, 'the old key is marked');
    assert.equal(byPermission.get(fresh.body.data.id), undefined, 'the new key is not');

    t.clock.advance(10 * MINUTE);
    const late = await request(first.apiKey);
    assert.equal(late.status, 401);
    assert.equal(late.body.error.code, 'UNAUTHORIZED');
    assert.equal((await request(apiKey)).status, 201);
    const ended = await t.call('POST', '/api/v1/agents/fleet-bot/revoke-previous-key', { key: admin });
    assert.equal(ended.status, 409, 'nothing left to revoke once the grace is over');
  });

  it('revoke-previous-key ends the grace at once; disable during the grace kills both keys', async () => {
    const first = await t.agent('swap-bot');
    const second = (
      await t.call('POST', '/api/v1/agents/swap-bot/rotate', { key: admin, body: { grace: '1h' } })
    ).body.data.apiKey;
    assert.equal((await request(first.apiKey)).status, 201);
    const revoked = await t.call('POST', '/api/v1/agents/swap-bot/revoke-previous-key', { key: admin });
    assert.equal(revoked.status, 200);
    assert.equal(revoked.body.data.previousKeyPrefix, null);
    assert.equal((await request(first.apiKey)).status, 401);

    const third = (
      await t.call('POST', '/api/v1/agents/swap-bot/rotate', { key: admin, body: { grace: '1h' } })
    ).body.data.apiKey;
    assert.equal((await request(second)).status, 201, 'the key before is in its grace');
    await t.runtime.agents.disable('swap-bot', HOST);
    assert.equal((await request(second)).status, 401, 'the previous key is gone');
    const disabled = await request(third);
    assert.equal(disabled.status, 403);
    assert.equal(disabled.body.error.code, 'AGENT_DISABLED');
  });

  it('a rotation without grace kills the old key at once, as before', async () => {
    const first = await t.agent('quick-bot');
    const rotated = await t.call('POST', '/api/v1/agents/quick-bot/rotate', { key: admin });
    assert.equal(rotated.status, 200);
    assert.equal(rotated.body.data.agent.previousKeyPrefix, null);
    assert.equal((await request(first.apiKey)).status, 401);
    assert.equal((await request(rotated.body.data.apiKey)).status, 201);
  });

  it('lists the error code in the OpenAPI document', async () => {
    const doc = (await t.call('GET', '/api/v1/openapi.json')).body;
    assert.match(JSON.stringify(doc.paths['/api/v1/permissions/request']), /AGENT_EXPIRED/);
    assert.ok(doc.paths['/api/v1/agents/{agent}/rotate']);
    assert.ok(doc.paths['/api/v1/agents/{agent}/expiry']);
  });
});

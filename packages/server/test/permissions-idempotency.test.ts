import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { IDEMPOTENCY_KEY_TTL_MS } from '@agent-otp/core';
import { createTestRuntime, type TestRuntime } from './helpers.ts';

const POLICY = `
- name: reads
  conditions: { action: { equals: file.read } }
  action: auto_approve
- name: payments
  conditions: { action: { equals: bank.transfer } }
  action: require_approval
  approvalTimeout: 600
- name: deletes
  conditions: { action: { equals: file.delete } }
  action: deny
`;

const TOKEN = /^otp_[A-Za-z0-9_-]{43}$/;

describe('Idempotency-Key on POST /permissions/request', () => {
  let t: TestRuntime;
  let key: string;
  let otherKey: string;
  let agentId: string;
  let approverToken: string;
  let counter = 0;
  const newKey = () => `key-${Date.now()}-${++counter}`;

  const request = (body: unknown, idempotencyKey?: string, apiKey = key) =>
    t.call('POST', '/api/v1/permissions/request', {
      key: apiKey,
      body,
      headers: idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey },
    });
  const countOwn = async (id = agentId) =>
    (await t.runtime.store.listPermissions({ agentId: id, limit: 200 })).items.length;

  before(async () => {
    t = await createTestRuntime({ policy: POLICY });
    ({ apiKey: key, id: agentId } = await t.agent('retrying-bot'));
    otherKey = (await t.agent('other-bot')).apiKey;
    const { user } = await t.runtime.users.create(
      { name: 'alice', role: 'approver' },
      { type: 'system', id: 't' },
    );
    approverToken = (await t.runtime.users.createToken(user.id, 'tests', { type: 'system', id: 't' })).token;
  });
  after(() => t.close());

  it('a repeated pending request returns the same permission (202, replayed) and asks no human twice', async () => {
    const idem = newKey();
    const body = { action: 'bank.transfer', scope: { max_amount: 100 }, context: { reason: 'rent' } };
    const before = await countOwn();
    const first = await request(body, idem);
    assert.equal(first.status, 202);
    assert.equal(first.body.data.replayed, undefined);
    // Same body with keys in another order is the same request.
    const again = await request(
      { context: { reason: 'rent' }, scope: { max_amount: 100 }, action: 'bank.transfer' },
      idem,
    );
    assert.equal(again.status, 202);
    assert.equal(again.body.data.id, first.body.data.id);
    assert.equal(again.body.data.status, 'pending');
    assert.equal(again.body.data.replayed, true);
    assert.equal(again.body.data.approvalUrl, first.body.data.approvalUrl);
    assert.equal(again.body.data.webhookUrl, first.body.data.eventsUrl);
    assert.equal(await countOwn(), before + 1);
    const pending = await t.call('GET', '/api/v1/approvals?status=pending', { key: approverToken });
    assert.equal(
      pending.body.data.filter((a: { permission: { id: string } }) => a.permission.id === first.body.data.id)
        .length,
      1,
    );
    const audit = await t.runtime.store.listAudit({ permissionId: first.body.data.id, limit: 50 });
    assert.deepEqual(
      audit.map((e) => e.event),
      ['permission.requested', 'permission.request_replayed'],
    );
  });

  it('the same key with a different body is refused with 422 IDEMPOTENCY_KEY_REUSED, creating nothing', async () => {
    const idem = newKey();
    const first = await request({ action: 'bank.transfer', scope: { max_amount: 100 } }, idem);
    assert.equal(first.status, 202);
    const before = await countOwn();
    for (const other of [
      { action: 'bank.transfer', scope: { max_amount: 101 } },
      { action: 'bank.transfer', scope: { max_amount: 100 }, ttl: 60 },
      { action: 'file.read' },
    ]) {
      const reused = await request(other, idem);
      assert.equal(reused.status, 422);
      assert.equal(reused.body.success, false);
      assert.equal(reused.body.error.code, 'IDEMPOTENCY_KEY_REUSED');
      assert.match(reused.body.error.message, /different request/);
    }
    assert.equal(await countOwn(), before);
  });

  it('an auto-approval replays without its token: the token is handed out once', async () => {
    const idem = newKey();
    const body = { action: 'file.read', resource: 'file:/a.txt' };
    const first = await request(body, idem);
    assert.equal(first.status, 201);
    assert.match(first.body.data.token, TOKEN);
    const again = await request(body, idem);
    assert.equal(again.status, 200);
    assert.equal(again.body.data.id, first.body.data.id);
    assert.equal(again.body.data.status, 'approved');
    assert.equal(again.body.data.replayed, true);
    assert.equal(again.body.data.token, undefined);
    assert.ok(!JSON.stringify(again.body).includes(first.body.data.token));
    // After a use the replay tells the truth: the permission is used up.
    const used = await t.call('POST', `/api/v1/permissions/${first.body.data.id}/use`, {
      key,
      body: { token: first.body.data.token },
    });
    assert.equal(used.status, 200);
    const late = await request(body, idem);
    assert.equal(late.body.data.status, 'used');
  });

  it('a policy denial replays as the same denial', async () => {
    const idem = newKey();
    const first = await request({ action: 'file.delete' }, idem);
    assert.equal(first.status, 200);
    const again = await request({ action: 'file.delete' }, idem);
    assert.equal(again.status, 200);
    assert.equal(again.body.data.id, first.body.data.id);
    assert.equal(again.body.data.status, 'denied');
    assert.equal(again.body.data.reason, first.body.data.reason);
    assert.equal(again.body.data.replayed, true);
  });

  it('after a human approval the replay delivers the token once, like the first read', async () => {
    const idem = newKey();
    const body = { action: 'bank.transfer', scope: { max_amount: 5 } };
    const { id } = (await request(body, idem)).body.data;
    const approve = await t.call('POST', `/api/v1/approvals/${id}/approve`, { key: approverToken, body: {} });
    assert.equal(approve.status, 200);
    const replay = await request(body, idem);
    assert.equal(replay.body.data.status, 'approved');
    assert.match(replay.body.data.token, TOKEN);
    const second = await request(body, idem);
    assert.equal(second.body.data.token, undefined);
    const get = await t.call('GET', `/api/v1/permissions/${id}`, { key });
    assert.equal(get.body.data.token, undefined, 'delivered once in all');
  });

  it('keys are scoped per agent: the same key of another agent is another request', async () => {
    const idem = newKey();
    const body = { action: 'bank.transfer' };
    const mine = await request(body, idem);
    const theirs = await request(body, idem, otherKey);
    assert.equal(theirs.status, 202);
    assert.notEqual(theirs.body.data.id, mine.body.data.id);
    assert.equal(theirs.body.data.replayed, undefined);
    // Nor does another agent's body count against my key.
    const mineAgain = await request(body, idem);
    assert.equal(mineAgain.body.data.id, mine.body.data.id);
  });

  it('a key expires after 24 hours and then names a new request', async () => {
    const idem = newKey();
    const body = { action: 'file.delete' };
    const first = await request(body, idem);
    t.clock.advance(IDEMPOTENCY_KEY_TTL_MS - 1);
    assert.equal((await request(body, idem)).body.data.id, first.body.data.id);
    t.clock.advance(1);
    const fresh = await request({ action: 'file.delete', context: { n: 2 } }, idem);
    assert.equal(fresh.status, 200);
    assert.notEqual(fresh.body.data.id, first.body.data.id);
    assert.equal(fresh.body.data.replayed, undefined);
    // The sweeper forgets expired keys (of earlier tests too), never a live one.
    assert.ok((await t.runtime.permissions.purgeIdempotencyKeys()) > 0);
    const live = await request({ action: 'file.delete', context: { n: 2 } }, idem);
    assert.equal(live.body.data.id, fresh.body.data.id);
    t.clock.advance(IDEMPOTENCY_KEY_TTL_MS);
    assert.ok((await t.runtime.permissions.purgeIdempotencyKeys()) >= 1);
    assert.equal(await t.runtime.permissions.purgeIdempotencyKeys(), 0);
  });

  it('20 parallel requests with one key: exactly one permission, and every answer names it', async () => {
    const idem = newKey();
    const body = { action: 'bank.transfer', scope: { max_amount: 7 } };
    const before = await countOwn();
    const answers = await Promise.all(Array.from({ length: 20 }, () => request(body, idem)));
    const ids = new Set(answers.map((a) => a.body.data.id));
    assert.equal(ids.size, 1);
    assert.deepEqual(
      answers.map((a) => a.status),
      answers.map(() => 202),
    );
    assert.equal(answers.filter((a) => a.body.data.replayed !== true).length, 1, 'one creator');
    assert.equal(await countOwn(), before + 1);
    const [id] = ids;
    const requested = await t.runtime.store.listAudit({
      permissionId: id,
      event: 'permission.requested',
      limit: 50,
    });
    assert.equal(requested.length, 1);
  });

  it('a malformed key is a 400 naming the header; no key means no idempotency', async () => {
    for (const bad of ['', 'has space', 'x'.repeat(256), 'naïve']) {
      const response = await request({ action: 'file.delete' }, bad);
      assert.equal(response.status, 400, JSON.stringify(bad));
      assert.equal(response.body.error.code, 'VALIDATION_ERROR');
      assert.equal(response.body.error.details.field, 'Idempotency-Key');
    }
    const a = await request({ action: 'file.delete' });
    const b = await request({ action: 'file.delete' });
    assert.notEqual(a.body.data.id, b.body.data.id);
  });

  it('the OpenAPI document describes the header, the 422 and webhookUrl', async () => {
    const response = await t.call('GET', '/api/v1/openapi.json');
    const doc = response.body;
    assert.equal(response.status, 200, JSON.stringify(doc).slice(0, 300));
    const op = doc.paths['/api/v1/permissions/request'].post;
    assert.ok(
      op.parameters.some(
        (p: { name: string; in: string }) => p.name.toLowerCase() === 'idempotency-key' && p.in === 'header',
      ),
    );
    assert.ok(op.responses['422']);
    assert.match(JSON.stringify(doc.components.schemas.PermissionRequestResult), /webhookUrl/);
    assert.match(JSON.stringify(doc.components.schemas.PermissionRequestResult), /replayed/);
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTestRuntime, type TestRuntime } from './helpers.ts';

describe('agent routes: bad input gets a clear 4xx', () => {
  let t: TestRuntime;
  let key: string;
  before(async () => {
    t = await createTestRuntime({ env: { AGENT_OTP_BODY_LIMIT: '2048' } });
    key = (await t.agent('bot')).apiKey;
  });
  after(() => t.close());

  const cases: [string, unknown, string][] = [
    ['missing action', {}, 'action'],
    ['action of the wrong type', { action: 42 }, 'action'],
    ['empty action', { action: '' }, 'action'],
    ['action with spaces', { action: 'send email' }, 'action'],
    ['scope not an object', { action: 'a.b', scope: 'all' }, 'scope'],
    ['context an array', { action: 'a.b', context: [1] }, 'context'],
    ['ttl too short', { action: 'a.b', ttl: 5 }, 'ttl'],
    ['ttl too long', { action: 'a.b', ttl: 86400 }, 'ttl'],
    ['ttl fractional', { action: 'a.b', ttl: 60.5 }, 'ttl'],
    ['unknown field', { action: 'a.b', scopes: {} }, 'scopes'],
    ['bad regex in scope', { action: 'a.b', scope: { subject_pattern: '(' } }, 'scope'],
    ['negative limit in scope', { action: 'a.b', scope: { max_size: -1 } }, 'scope'],
    ['unlimited asked by an agent', { action: 'a.b', scope: { max_uses: 'unlimited' } }, 'scope'],
  ];
  for (const [name, body, field] of cases) {
    it(`400 for ${name}`, async () => {
      const res = await t.call('POST', '/api/v1/permissions/request', { key, body });
      assert.equal(res.status, 400, JSON.stringify(res.body));
      assert.equal(res.body.error.code, 'VALIDATION_ERROR');
      assert.match(res.body.error.message, new RegExp(field));
      assert.match(res.body.error.requestId, /^req_/);
    });
  }

  it('400 INVALID_JSON for broken JSON, 415 for another content type, 413 for a huge body', async () => {
    const broken = await t.call('POST', '/api/v1/permissions/request', { key, raw: '{"action": ' });
    assert.equal(broken.status, 400);
    assert.equal(broken.body.error.code, 'INVALID_JSON');
    const form = await t.call('POST', '/api/v1/permissions/request', {
      key,
      raw: 'action=a',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    assert.equal(form.status, 415);
    const notObject = await t.call('POST', '/api/v1/permissions/request', { key, raw: '[1,2]' });
    assert.equal(notObject.status, 400);
    const huge = await t.call('POST', '/api/v1/permissions/request', {
      key,
      body: { action: 'a.b', context: { note: 'x'.repeat(4096) } },
    });
    assert.equal(huge.status, 413);
    assert.equal(huge.body.error.code, 'PAYLOAD_TOO_LARGE');
  });

  it('400 for malformed ids and 404 for unknown ones', async () => {
    const bad = await t.call('GET', '/api/v1/permissions/not-an-id', { key });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /^id:/);
    const unknown = await t.call('GET', '/api/v1/permissions/perm_AAAAAAAAAAAAAAAAAAAAAA', { key });
    assert.equal(unknown.status, 404);
    const cursor = await t.call('GET', '/api/v1/permissions?cursor=zzz', { key });
    assert.equal(cursor.status, 400);
    assert.equal(cursor.body.error.details.field, 'cursor');
    const limit = await t.call('GET', '/api/v1/permissions?limit=0', { key });
    assert.equal(limit.status, 400);
  });

  it('400 for use and verify without a token, 401 for a junk token', async () => {
    const { body } = await t.call('POST', '/api/v1/permissions/request', { key, body: { action: 'bank.x' } });
    const id = body.data.id;
    const missing = await t.call('POST', `/api/v1/permissions/${id}/use`, { key, body: {} });
    assert.equal(missing.status, 400);
    assert.match(missing.body.error.message, /token/);
    const junk = await t.call('POST', `/api/v1/permissions/${id}/use`, { key, body: { token: 'otp_nope' } });
    assert.equal(junk.status, 401);
    assert.equal(junk.body.error.code, 'INVALID_TOKEN');
    const verify = await t.call('POST', `/api/v1/permissions/${id}/verify`, { key, body: { token: 12 } });
    assert.equal(verify.status, 400);
  });

  it('404 with the envelope for unknown routes, and the OpenAPI document describes the API', async () => {
    const res = await t.call('GET', '/api/v1/nothing', { key });
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'NOT_FOUND');
    const doc = await t.call('GET', '/api/v1/openapi.json');
    assert.equal(doc.status, 200);
    assert.ok(doc.body.paths['/api/v1/permissions/request'].post);
    assert.ok(doc.body.paths['/api/v1/permissions/{id}/use'].post);
    const docs = await t.call('GET', '/api/docs');
    assert.match(String(docs.body), /swagger-ui-bundle\.js/);
    const asset = await t.call('GET', '/api/docs/swagger-ui-bundle.js');
    assert.equal(asset.status, 200);
  });

  it('serves health, readiness and Prometheus metrics', async () => {
    assert.equal((await t.call('GET', '/healthz')).status, 200);
    const ready = await t.call('GET', '/readyz');
    assert.equal(ready.body.status, 'ready');
    const metrics = await t.call('GET', '/metrics');
    assert.match(String(metrics.body), /agent_otp_http_requests_total/);
    assert.match(String(metrics.body), /agent_otp_permission_decisions_total/);
  });
});

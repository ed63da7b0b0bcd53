import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Actor, applyHunks } from '@agent-otp/core';
import { createLogger, createRuntime } from '../src/index.ts';
import { createTestRuntime, type TestRuntime } from './helpers.ts';

const V1 = `- name: reads
  conditions: { action: { equals: file.read } }
  action: auto_approve
- name: rest
  conditions: {}
  action: deny
  priority: -1000
`;
const V2 = V1.replace('file.read', 'file.list');
const ADMIN: Actor = { type: 'system', id: 'test' };

describe('policy history: recording and the API', () => {
  let t: TestRuntime;
  let viewer: string;
  let agentKey: string;
  const versions = { v1: '', v2: '', v3: '' };
  const file = () => join(t.dataDir, 'policies.yaml');

  before(async () => {
    t = await createTestRuntime({ policy: V1 });
    const { user } = await t.runtime.users.create(
      { name: 'vera', role: 'viewer', password: 'a long password' },
      ADMIN,
    );
    viewer = (await t.runtime.users.createToken(user.id, 'tests', ADMIN)).token;
    agentKey = (await t.agent('bot')).apiKey;
    versions.v1 = t.runtime.policy.current().version;
    t.clock.advance(60_000);
    writeFileSync(file(), V2);
    assert.equal(t.runtime.policy.reload().ok, true);
    versions.v2 = t.runtime.policy.current().version;
    // A refused edit of the file is not a version.
    t.clock.advance(60_000);
    writeFileSync(file(), '- name: broken\n  action: maybe\n');
    assert.equal(t.runtime.policy.reload().ok, false);
    t.clock.advance(60_000);
    const { user: admin } = await t.runtime.users.create(
      { name: 'ada', role: 'admin', password: 'a long password' },
      ADMIN,
    );
    const edit = await t.runtime.policy.replace(
      `${V2}# reviewed\n`,
      { type: 'user', id: admin.id },
      versions.v2,
    );
    assert.ok(edit.ok && edit.changed);
    versions.v3 = edit.version;
    // Wait for the reload's recording (it runs after reload() returns).
    await new Promise((resolve) => setTimeout(resolve, 50));
  });
  after(() => t.close());

  const get = (path: string, key = viewer) => t.call('GET', path, { key });

  it('lists what ran, newest first: the file at start, its reload, a dashboard edit (not the refused edit)', async () => {
    const response = await get('/api/v1/policies/versions');
    assert.equal(response.status, 200);
    const items = response.body.data as Record<string, unknown>[];
    assert.deepEqual(
      items.map((v) => [v.version, v.origin, v.by, v.rules, v.inForce]),
      [
        [versions.v3, 'dashboard', 'ada', 2, true],
        [versions.v2, 'reload', 'server', 2, false],
        [versions.v1, 'start', 'server', 2, false],
      ],
    );
    assert.equal(items[2]?.firstInForceAt, new Date(Date.UTC(2026, 5, 1, 12)).toISOString());
    assert.equal(response.body.nextCursor, null);
  });

  it('pages with a cursor', async () => {
    const first = await get('/api/v1/policies/versions?limit=2');
    assert.equal(first.body.data.length, 2);
    const next = await get(`/api/v1/policies/versions?limit=2&cursor=${first.body.nextCursor}`);
    assert.deepEqual(
      next.body.data.map((v: { version: string }) => v.version),
      [versions.v1],
    );
    assert.equal(next.body.nextCursor, null);
    assert.equal(
      (await get('/api/v1/policies/versions?cursor=nonsense')).body.error.code,
      'VALIDATION_ERROR',
    );
  });

  it('gives a version with its source, byte for byte', async () => {
    const response = await get(`/api/v1/policies/versions/${versions.v2}`);
    assert.equal(response.status, 200);
    assert.equal(response.body.data.source, V2);
    assert.equal(
      (await get(`/api/v1/policies/versions/${versions.v3}`)).body.data.source,
      readFileSync(file(), 'utf8'),
    );
  });

  it('diffs a version against its predecessor by default, or against any version', async () => {
    const response = await get(`/api/v1/policies/versions/${versions.v2}/diff`);
    assert.equal(response.status, 200);
    const { from, to, hunks, unified } = response.body.data;
    assert.deepEqual([from, to], [versions.v1, versions.v2]);
    assert.equal(applyHunks(V1, hunks), V2);
    assert.match(unified, /^- {2}conditions: \{ action: \{ equals: file\.read \} \}$/m);
    assert.match(unified, /^\+ {2}conditions: \{ action: \{ equals: file\.list \} \}$/m);
    const across = await get(`/api/v1/policies/versions/${versions.v3}/diff?from=${versions.v1}&context=0`);
    assert.equal(applyHunks(V1, across.body.data.hunks), `${V2}# reviewed\n`);
    const first = await get(`/api/v1/policies/versions/${versions.v1}/diff`);
    assert.equal(first.body.data.from, null);
    assert.equal(applyHunks('', first.body.data.hunks), V1);
  });

  it('an unknown version is 404 NOT_FOUND; a malformed one is 400 VALIDATION_ERROR', async () => {
    for (const path of [
      '/api/v1/policies/versions/pol_0123456789abcdef',
      '/api/v1/policies/versions/pol_0123456789abcdef/diff',
      `/api/v1/policies/versions/${versions.v2}/diff?from=pol_0123456789abcdef`,
    ]) {
      const response = await get(path);
      assert.equal(response.status, 404, path);
      assert.equal(response.body.error.code, 'NOT_FOUND');
    }
    for (const path of [
      '/api/v1/policies/versions/pol_XYZ',
      '/api/v1/policies/versions/..%2Fetc',
      `/api/v1/policies/versions/${versions.v2}/diff?from=v1`,
      `/api/v1/policies/versions/${versions.v2}/diff?context=-1`,
      '/api/v1/policies/versions?limit=0',
    ]) {
      const response = await get(path);
      assert.equal(response.status, 400, path);
      assert.equal(response.body.error.code, 'VALIDATION_ERROR');
    }
  });

  it('needs a logged-in user: none is 401, an agent key 403', async () => {
    const none = await t.call('GET', '/api/v1/policies/versions');
    assert.equal(none.status, 401);
    assert.equal(none.body.error.code, 'UNAUTHORIZED');
    const agent = await get('/api/v1/policies/versions', agentKey);
    assert.equal(agent.status, 403);
    assert.equal(agent.body.error.code, 'FORBIDDEN');
  });

  it('audits each putting-in-force with the version and never the source', async () => {
    const entries = await t.runtime.store.listAudit({ event: 'policy.in_force', limit: 50 });
    assert.deepEqual(
      entries.map((e) => [e.policyVersion, e.details.origin, e.details.firstTime]),
      [
        [versions.v1, 'start', true],
        [versions.v2, 'reload', true],
        [versions.v3, 'dashboard', true],
      ],
    );
    assert.ok(entries.every((e) => !JSON.stringify(e).includes('file.list')));
    assert.equal(entries[2]?.actor.type, 'user');
  });

  it('a stale edit (made on an older version) is refused and changes nothing', async () => {
    const before = readFileSync(file(), 'utf8');
    const edit = await t.runtime.policy.replace(V1, { type: 'system', id: 'test' }, versions.v2);
    assert.equal(edit.ok, false);
    const invalid = await t.runtime.policy.replace('- nope', { type: 'system', id: 'test' });
    assert.equal(invalid.ok, false);
    assert.equal(readFileSync(file(), 'utf8'), before);
    assert.equal(t.runtime.policy.current().version, versions.v3);
    assert.equal((await get('/api/v1/policies/versions')).body.data.length, 3);
  });

  it('a policy file that cannot be written refuses the edit; nothing changes', async () => {
    // A directory where the edit's temporary file would go: the write fails as on a read-only mount.
    const blocker = `${file()}.${process.pid}.tmp`;
    mkdirSync(blocker);
    try {
      const before = readFileSync(file(), 'utf8');
      const edit = await t.runtime.policy.replace(V1, { type: 'system', id: 'test' });
      assert.equal(edit.ok, false);
      assert.match(edit.ok ? '' : edit.error, /cannot be written \(EISDIR\); nothing changed/);
      assert.equal(readFileSync(file(), 'utf8'), before);
      assert.equal(t.runtime.policy.current().version, versions.v3);
    } finally {
      rmSync(blocker, { recursive: true, force: true });
    }
  });

  it('another instance starting with the same file records no new version, and audits it', async () => {
    const second = await createRuntime(t.runtime.config, { clock: t.clock, logger: createLogger('silent') });
    try {
      assert.equal(second.policy.current().version, versions.v3);
      assert.equal((await second.store.listPolicyVersions({ limit: 10 })).items.length, 3);
      const last = (await second.store.listAudit({ event: 'policy.in_force', order: 'desc', limit: 1 }))[0];
      assert.deepEqual([last?.policyVersion, last?.details.firstTime], [versions.v3, false]);
    } finally {
      await second.close();
    }
  });

  it('is in the OpenAPI document', async () => {
    const doc = (await t.call('GET', '/api/v1/openapi.json')).body;
    for (const path of [
      '/api/v1/policies/versions',
      '/api/v1/policies/versions/{version}',
      '/api/v1/policies/versions/{version}/diff',
    ]) {
      assert.ok(doc.paths[path]?.get, path);
      assert.ok(doc.paths[path].get.responses['404'], `${path} documents its 404`);
    }
  });
});

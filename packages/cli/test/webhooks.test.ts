import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { deriveWebhookSecret } from '@agent-otp/core';
import { run, runtimeFor, tempDir } from './helpers.ts';

const temp = tempDir();
const dataDir = temp.dir;
after(() => temp.remove());

let added: { id: string; url: string; events: string[]; secret: string };

before(async () => {
  const result = await run(
    [
      'webhooks',
      'add',
      '--url',
      'https://hooks.example.com/otp',
      '--events',
      'permission.denied,permission.approved',
      '--json',
    ],
    dataDir,
  );
  assert.equal(result.code, 0, result.stderr);
  added = JSON.parse(result.stdout);
  assert.match(result.stderr, /not shown again/);
});

test('webhooks add --json prints the id and the secret, which is derived, not stored', async () => {
  assert.match(added.id, /^whk_/);
  assert.match(added.secret, /^whsec_[A-Za-z0-9_-]{43}$/);
  assert.deepEqual(added.events, ['permission.approved', 'permission.denied']);
  const serverSecret = Buffer.from(readFileSync(join(dataDir, 'server-secret'), 'utf8').trim(), 'hex');
  const runtime = await runtimeFor(dataDir);
  try {
    const stored = await runtime.store.getWebhook(added.id);
    assert.ok(stored);
    assert.equal(runtime.webhooks.service.secretOf(stored), added.secret, 'the server signs with it');
    assert.equal(deriveWebhookSecret(serverSecret, added.id, stored.salt), added.secret);
    assert.notEqual(deriveWebhookSecret(serverSecret, added.id, `${stored.salt}x`), added.secret);
  } finally {
    await runtime.close();
  }
  assert.ok(!readFileSync(join(dataDir, 'agent-otp.db')).includes(added.secret));
});

test('webhooks list and deliveries show the webhook, never its secret', async () => {
  const list = await run(['webhooks', 'list', '--json'], dataDir);
  assert.equal(list.code, 0, list.stderr);
  const parsed = JSON.parse(list.stdout);
  assert.deepEqual(
    parsed.map((w: { id: string; url: string }) => [w.id, w.url]),
    [[added.id, 'https://hooks.example.com/otp']],
  );
  assert.ok(!list.stdout.includes(added.secret));
  assert.ok(!list.stdout.includes('salt'));
  const deliveries = await run(['webhooks', 'deliveries', '--id', added.id, '--json'], dataDir);
  assert.equal(deliveries.code, 0, deliveries.stderr);
  assert.deepEqual(JSON.parse(deliveries.stdout), []);
});

test('bad input is one line and exit 1', async () => {
  const bad = await run(['webhooks', 'add', '--url', 'ftp://example.com'], dataDir);
  assert.equal(bad.code, 1);
  assert.equal(bad.stderr, 'agent-otp: url must use http:// or https://\n');
  const unknown = await run(['webhooks', 'remove', '--id', 'whk_doesnotexist00'], dataDir);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /webhook whk_doesnotexist00 not found/);
});

test('webhooks remove deletes it', async () => {
  const removed = await run(['webhooks', 'remove', '--id', added.id, '--json'], dataDir);
  assert.equal(removed.code, 0, removed.stderr);
  assert.equal(JSON.parse(removed.stdout).removed, true);
  const list = await run(['webhooks', 'list'], dataDir);
  assert.match(list.stdout, /no webhooks/);
});

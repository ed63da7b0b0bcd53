import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AgentOtpError } from '../src/index.ts';
import { checkIdempotencyKey, requestFingerprint } from '../src/permissions/idempotency.ts';

describe('idempotency: request fingerprint and key form', () => {
  const base = { action: 'gmail.send', resource: 'email:a@example.com', scope: { a: 1, b: [1, 2] }, ttl: 60 };

  it('ignores key order and an absent versus empty scope or context', () => {
    const reordered = {
      ttl: 60,
      scope: { b: [1, 2], a: 1 },
      resource: 'email:a@example.com',
      action: 'gmail.send',
    };
    assert.equal(requestFingerprint(base), requestFingerprint(reordered));
    assert.equal(
      requestFingerprint({ action: 'x' }),
      requestFingerprint({ action: 'x', scope: {}, context: {} }),
    );
    assert.equal(requestFingerprint({ action: 'x' }), requestFingerprint({ action: 'x', resource: null }));
  });

  it('tells apart any difference in action, resource, scope, context or ttl', () => {
    const variants = [
      { ...base, action: 'gmail.read' },
      { ...base, resource: 'email:b@example.com' },
      { ...base, scope: { a: 2, b: [1, 2] } },
      { ...base, scope: { a: 1, b: [2, 1] } },
      { ...base, context: { reason: 'x' } },
      { ...base, ttl: 61 },
      { ...base, ttl: undefined },
    ];
    const prints = new Set([base, ...variants].map(requestFingerprint));
    assert.equal(prints.size, variants.length + 1);
  });

  it('accepts 1..255 visible ASCII characters and refuses anything else with the header named', () => {
    for (const good of ['a', 'x'.repeat(255), '6f1c2d9e-3b7a-4f0e-9a51-0c8d2e4b7a10', 'tool:call/1#2']) {
      assert.equal(checkIdempotencyKey(good), good);
    }
    for (const bad of ['', 'x'.repeat(256), 'a b', 'tab\there', 'naïve', 'line\n']) {
      assert.throws(
        () => checkIdempotencyKey(bad),
        (error) =>
          error instanceof AgentOtpError &&
          error.code === 'VALIDATION_ERROR' &&
          (error.details as { field: string }).field === 'Idempotency-Key',
      );
    }
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  API_KEY_PREFIX,
  generateSecret,
  newId,
  REDACTED,
  redactSecrets,
  redactText,
  SESSION_PREFIX,
  TOKEN_PREFIX,
  USER_TOKEN_PREFIX,
} from '../src/index.ts';

// Finding 9: every secret the product issues is redacted wherever it sits in a string.
const SECRETS = [TOKEN_PREFIX, API_KEY_PREFIX, USER_TOKEN_PREFIX, SESSION_PREFIX].map((prefix) =>
  generateSecret(prefix),
);

describe('redactText (finding 9)', () => {
  it('redacts each issued secret alone, inside text, and glued to the characters before it', () => {
    for (const secret of SECRETS) {
      for (const text of [
        secret,
        `file:/tmp/${secret}`,
        `x${secret}`,
        `my-${secret}`,
        `key=${secret}&next=1`,
        `"${secret}"`,
        `a\n${secret}\tb`,
        `${secret}${secret}`,
      ]) {
        const out = redactText(text);
        assert.ok(!out.includes(secret.slice(secret.indexOf('_') + 1, secret.indexOf('_') + 17)), text);
        assert.ok(out.includes(REDACTED), text);
      }
    }
    assert.equal(redactText(`x${SECRETS[0]} y`), `x${REDACTED} y`);
  });

  it('redacts a made-up lowercase token body at a word start, and fragments of 16 characters', () => {
    assert.equal(redactText(`otp_${'a'.repeat(43)}`), REDACTED);
    assert.equal(redactText(`see ak_${'b'.repeat(16)}.`), `see ${REDACTED}.`);
    assert.equal(redactText(`ak_${'b'.repeat(15)}`), `ak_${'b'.repeat(15)}`, 'too short to be one');
  });

  it('leaves ids (session ids included) and ordinary snake_case words whole', () => {
    for (const text of [
      newId('session'),
      newId('permission'),
      newId('user'),
      newId('userToken'),
      'break_fast_and_lunch_time',
      'max_uses_per_day_limit_value',
      'speak_softly_and_carry_a_big_stick',
      'token is [redacted]',
    ]) {
      assert.equal(redactText(text), text);
    }
  });

  it('is linear: a megabyte of glued prefixes takes milliseconds', () => {
    const hostile = 'ak_'.repeat(350_000);
    const started = performance.now();
    redactText(hostile);
    redactText(`x${'otp_'.repeat(250_000)}A`);
    assert.ok(performance.now() - started < 1000);
  });
});

describe('redactSecrets (finding 9)', () => {
  it('redacts values and keys at every depth, keeping colliding keys apart', () => {
    const [otp, ak] = SECRETS as [string, string];
    const out = redactSecrets({
      [otp]: 1,
      [ak]: 2,
      list: [{ deep: { deeper: [`x${otp}`] } }],
      n: 5,
      ok: true,
      nothing: null,
    });
    assert.deepEqual(out, {
      [REDACTED]: 1,
      [`${REDACTED}#2`]: 2,
      list: [{ deep: { deeper: [`x${REDACTED}`] } }],
      n: 5,
      ok: true,
      nothing: null,
    });
  });

  it('keeps a "__proto__" key as a key and cuts nesting beyond 64 levels', () => {
    const parsed = JSON.parse(`{"__proto__": {"a": "${SECRETS[0]}"}}`);
    const out = redactSecrets(parsed) as Record<string, unknown>;
    assert.equal(JSON.stringify(out), `{"__proto__":{"a":"${REDACTED}"}}`);
    let deep: unknown = SECRETS[0];
    for (let i = 0; i < 200; i++) deep = [deep];
    assert.ok(!JSON.stringify(redactSecrets(deep)).includes(SECRETS[0] as string));
  });
});

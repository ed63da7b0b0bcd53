import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AgentOtpError, MAX_GRACE_MS, parseDuration, parseGrace, resolveExpiry } from '../src/index.ts';

const NOW = Date.UTC(2026, 5, 1, 12);
const field = (fn: () => unknown) => {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof AgentOtpError);
    assert.equal(error.code, 'VALIDATION_ERROR');
    return (error.details as { field: string }).field;
  }
  assert.fail('expected a VALIDATION_ERROR');
};

test('durations take one whole number and a unit s, m, h or d', () => {
  assert.equal(parseDuration('90s', 'x'), 90_000);
  assert.equal(parseDuration('10m', 'x'), 600_000);
  assert.equal(parseDuration(' 12h ', 'x'), 12 * 3_600_000);
  assert.equal(parseDuration('30d', 'x'), 30 * 86_400_000);
  assert.equal(parseDuration('0', 'x'), 0);
  for (const bad of ['', '10', '1.5h', '-1h', '10 m', '1w', 'h', '10M']) {
    assert.equal(
      field(() => parseDuration(bad, 'expiresIn')),
      'expiresIn',
      bad,
    );
  }
});

test('a grace period is 0 by default and at most 24h', () => {
  assert.equal(parseGrace(undefined), 0);
  assert.equal(parseGrace(''), 0);
  assert.equal(parseGrace('24h'), MAX_GRACE_MS);
  assert.equal(parseGrace('1d'), MAX_GRACE_MS);
  assert.equal(
    field(() => parseGrace('1441m')),
    'grace',
  );
  assert.equal(
    field(() => parseGrace('2d')),
    'grace',
  );
});

test('an expiry is exactly one of a duration, a zoned ISO time or never, in the future', () => {
  assert.equal(resolveExpiry({}, NOW), undefined);
  assert.equal(resolveExpiry({ never: true }, NOW), null);
  assert.equal(resolveExpiry({ expiresIn: '30d' }, NOW), NOW + 30 * 86_400_000);
  assert.equal(resolveExpiry({ expiresAt: '2030-01-31T12:00:00Z' }, NOW), Date.UTC(2030, 0, 31, 12));
  assert.equal(resolveExpiry({ expiresAt: '2030-01-31T12:00:00+02:00' }, NOW), Date.UTC(2030, 0, 31, 10));
  assert.equal(
    field(() => resolveExpiry({ expiresAt: '2030-01-31' }, NOW)),
    'expiresAt',
  );
  assert.equal(
    field(() => resolveExpiry({ expiresAt: '2026-06-01T11:59:59Z' }, NOW)),
    'expiresAt',
  );
  assert.equal(
    field(() => resolveExpiry({ expiresIn: '0' }, NOW)),
    'expiresIn',
  );
  assert.equal(
    field(() => resolveExpiry({ expiresIn: '3651d' }, NOW)),
    'expiresIn',
  );
  assert.equal(
    field(() => resolveExpiry({ expiresIn: '1d', never: true }, NOW)),
    'expiresAt',
  );
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createFixedClock } from '../src/index.ts';
import { createLoginThrottle, LOGIN_LIMITS } from '../src/users/login-throttle.ts';

// Finding 12: growing waits per key instead of a lock, soft per name, aggregated reports.
describe('login throttle (finding 12)', () => {
  const WINDOW = 15 * 60_000;

  it('lets `free` failures through, then doubles the wait from 1 s up to the cap', () => {
    const clock = createFixedClock();
    const throttle = createLoginThrottle(clock.now);
    const limit = LOGIN_LIMITS.pair;
    const waits: number[] = [];
    for (let i = 0; i < limit.free + 12; i++) {
      waits.push(throttle.retryAfter('k', limit));
      throttle.fail('k');
    }
    assert.deepEqual(waits.slice(0, limit.free + 2), [...Array(limit.free).fill(0), 1, 2]);
    assert.equal(throttle.retryAfter('k', limit), limit.capMs / 1000);
    const fresh = createLoginThrottle(clock.now);
    const seen: number[] = [];
    for (let i = 0; i < limit.free + 4; i++) fresh.fail('x');
    for (let i = 0; i < 4; i++) {
      seen.push(fresh.retryAfter('x', limit));
      fresh.fail('x');
    }
    assert.deepEqual(seen, [16, 32, 64, 128]);
  });

  it('bounds the per-name wait to its short cap however many addresses fail', () => {
    const clock = createFixedClock();
    const throttle = createLoginThrottle(clock.now);
    for (let i = 0; i < 10_000; i++) throttle.fail('name:admin');
    assert.equal(throttle.retryAfter('name:admin', LOGIN_LIMITS.name), LOGIN_LIMITS.name.capMs / 1000);
    assert.ok(LOGIN_LIMITS.name.capMs <= 60_000, 'a name is never locked for long');
    assert.ok(LOGIN_LIMITS.name.free > LOGIN_LIMITS.address.free);
  });

  it('forgets a key after a window without failures, and a success clears it', () => {
    const clock = createFixedClock();
    const throttle = createLoginThrottle(clock.now);
    for (let i = 0; i < 30; i++) throttle.fail('k');
    assert.ok(throttle.retryAfter('k', LOGIN_LIMITS.pair) > 0);
    clock.advance(WINDOW);
    assert.equal(throttle.retryAfter('k', LOGIN_LIMITS.pair), 0);
    for (let i = 0; i < 30; i++) throttle.fail('k');
    throttle.clear('k');
    assert.equal(throttle.retryAfter('k', LOGIN_LIMITS.pair), 0);
  });

  it('reports one refusal per key and window, carrying the count of the ones in between', () => {
    const clock = createFixedClock();
    const throttle = createLoginThrottle(clock.now);
    for (let i = 0; i < 10; i++) throttle.fail('k');
    const reports = [];
    for (let i = 0; i < 500; i++) reports.push(throttle.refused('k'));
    clock.advance(WINDOW);
    for (let i = 0; i < 10; i++) throttle.fail('k');
    reports.push(throttle.refused('k'));
    assert.deepEqual(
      reports.filter((r) => r !== null),
      [1, 500],
    );
  });

  it('keeps memory bounded under a flood of keys without lifting the wait on the guessed one', () => {
    const clock = createFixedClock();
    const throttle = createLoginThrottle(clock.now, WINDOW, 1000);
    for (let i = 0; i < 10; i++) throttle.fail('pair:a|admin');
    for (let i = 0; i < 50_000; i++) throttle.fail(`pair:b|made-up-${i}`);
    assert.ok(throttle.retryAfter('pair:a|admin', LOGIN_LIMITS.pair) > 0);
    assert.equal(throttle.retryAfter('pair:b|made-up-0', LOGIN_LIMITS.pair), 0);
  });
});

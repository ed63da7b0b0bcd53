import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type AuditEntry, LOGIN_LIMITS } from '@agent-otp/core';
import { ConfigError, parseConfig, startTestServer, TEST_ADMIN_PASSWORD } from '@agent-otp/server';
import { ADMIN_PASSWORD, createDashboardRuntime, type DashboardRuntime } from './helpers.ts';

const IP_A = '203.0.113.10';
const IP_B = '198.51.100.20';

/**
 * Finding 12: failed logins must not lock the real user out from elsewhere, the client address
 * comes from X-Forwarded-For only behind a configured proxy, and throttling does not flood the
 * audit log.
 */
describe('login throttling without lockout (finding 12)', () => {
  let dash: DashboardRuntime;
  before(async () => {
    dash = await createDashboardRuntime();
  });
  after(() => dash.close());

  /** A login form post from a given socket address, as @hono/node-server would present it. */
  async function login(ip: string, name: string, password: string) {
    const response = await dash.runtime.app.request(
      '/login',
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ name, password }).toString(),
        redirect: 'manual',
      },
      { incoming: { socket: { remoteAddress: ip } } },
    );
    return { status: response.status, retryAfter: Number(response.headers.get('retry-after') ?? 0) };
  }

  const audit = async (): Promise<AuditEntry[]> => dash.runtime.store.listAudit({ limit: 100_000 });

  it('six bad logins for a made-up name from one address lock nobody else out', async () => {
    for (let i = 0; i < 5; i++) assert.equal((await login(IP_A, 'no-such-user', 'guess')).status, 401);
    assert.equal((await login(IP_A, 'no-such-user', 'guess')).status, 429, 'the sixth is slowed');
    assert.equal((await login(IP_B, 'admin', ADMIN_PASSWORD)).status, 303, 'the admin elsewhere gets in');
    assert.equal((await login(IP_A, 'admin', ADMIN_PASSWORD)).status, 303, 'and from the same address');
  });

  it('slows one address guessing one name with waits that grow, until it stops failing', async () => {
    const ip = '203.0.113.11';
    for (let i = 0; i < LOGIN_LIMITS.pair.free; i++) await login(ip, 'admin', 'wrong password');
    const first = await login(ip, 'admin', ADMIN_PASSWORD);
    assert.equal(first.status, 429, 'even the right password waits on this address');
    dash.clock.advance(first.retryAfter * 1000);
    assert.equal((await login(ip, 'admin', 'still wrong')).status, 401);
    const second = await login(ip, 'admin', ADMIN_PASSWORD);
    assert.equal(second.status, 429);
    assert.ok(second.retryAfter > first.retryAfter, `${second.retryAfter} > ${first.retryAfter}`);
    assert.equal((await login(IP_B, 'admin', ADMIN_PASSWORD)).status, 303, 'another address is unaffected');
    dash.clock.advance(second.retryAfter * 1000);
    assert.equal((await login(ip, 'admin', ADMIN_PASSWORD)).status, 303);
  });

  it('keeps the audit bounded under 1,000 throttled attempts, made-up names short and sanitized', async () => {
    const ip = '203.0.113.13';
    const before = (await audit()).length;
    const hostile = `<script>alert(1)</script>\u0000${'x'.repeat(300)}`;
    let refused = 0;
    for (let i = 0; i < 1000 + LOGIN_LIMITS.pair.free; i++) {
      if ((await login(ip, hostile, 'guess')).status === 429) refused += 1;
    }
    assert.equal(refused, 1000);
    dash.clock.advance(20 * 60_000);
    // A new window: the next refusal reports the rest of the count.
    for (let i = 0; i < LOGIN_LIMITS.pair.free; i++) await login(ip, hostile, 'guess');
    assert.equal((await login(ip, hostile, 'guess')).status, 429);
    const added = (await audit()).slice(before);
    assert.ok(added.length <= 2 * LOGIN_LIMITS.pair.free + 2, `${added.length} audit entries`);
    const throttled = added.filter((e) => e.event === 'user.login_throttled');
    assert.equal(throttled.length, 2, 'one entry per key and window');
    assert.deepEqual(
      throttled.map((e) => e.details.attempts),
      [1, 1000],
      'every refusal is counted',
    );
    for (const entry of added) {
      const name = entry.details.name as string;
      assert.ok(name.length <= 25, name);
      assert.match(name, /^[A-Za-z0-9._@?-]*…?$/);
    }
  });
});

describe('client address behind a reverse proxy (finding 12)', () => {
  async function formLogin(url: string, name: string, password: string, forwardedFor: string) {
    const response = await fetch(`${url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': forwardedFor },
      body: new URLSearchParams({ name, password }).toString(),
      redirect: 'manual',
    });
    await response.text();
    return response.status;
  }

  it('ignores X-Forwarded-For unless the peer is a trusted proxy', async () => {
    const server = await startTestServer();
    try {
      for (let i = 0; i < 5; i++) {
        assert.equal(await formLogin(server.url, 'admin', 'wrong password', `198.51.100.${i}`), 401);
      }
      // Every attempt came from 127.0.0.1, whatever the header said: the sixth is slowed.
      assert.equal(await formLogin(server.url, 'admin', TEST_ADMIN_PASSWORD, '198.51.100.99'), 429);
    } finally {
      await server.close();
    }
  });

  it('takes the right-most untrusted address when the peer is a trusted proxy', async () => {
    const server = await startTestServer({ env: { AGENT_OTP_TRUSTED_PROXIES: '127.0.0.1, 10.0.0.0/8' } });
    try {
      // The client wrote "192.0.2.1" itself; the proxies appended the real hops.
      const hops = '192.0.2.1, 198.51.100.7, 10.1.2.3';
      for (let i = 0; i < 5; i++) assert.equal(await formLogin(server.url, 'admin', 'wrong', hops), 401);
      assert.equal(await formLogin(server.url, 'admin', TEST_ADMIN_PASSWORD, hops), 429);
      assert.equal(
        await formLogin(server.url, 'admin', TEST_ADMIN_PASSWORD, '192.0.2.1, 198.51.100.8'),
        303,
        'another client behind the same proxy gets in',
      );
      const failed = await server.runtime.store.listAudit({ event: 'user.login_failed', limit: 10 });
      assert.ok(failed.length === 5 && failed.every((e) => e.details.ip === '198.51.100.7'));
    } finally {
      await server.close();
    }
  });

  it('refuses a malformed trusted proxies setting at start, naming the variable', () => {
    for (const value of ['10.0.0.0/33', 'proxy.local', '10.0.0.1/8/1', '::1/129']) {
      assert.throws(
        () => parseConfig({ AGENT_OTP_TRUSTED_PROXIES: value }),
        (error: unknown) => error instanceof ConfigError && /AGENT_OTP_TRUSTED_PROXIES/.test(error.message),
        value,
      );
    }
    assert.deepEqual(parseConfig({ AGENT_OTP_TRUSTED_PROXIES: ' 10.0.0.0/8 , ::1 ' }).trustedProxies, [
      '10.0.0.0/8',
      '::1',
    ]);
  });
});

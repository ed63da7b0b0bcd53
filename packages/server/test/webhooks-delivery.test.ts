import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { before, describe, it } from 'node:test';
import { type Actor, AgentOtpError, createFixedClock, type User } from '@agent-otp/core';
import { createLogger, createRuntime, parseConfig } from '../src/index.ts';
import { loadNodeVerifier, pythonVerifies, type Receiver, startReceiver } from './webhook-receiver.ts';

const POLICY = `
- name: reads
  conditions: { action: { equals: file.read } }
  action: auto_approve
- name: payments
  conditions: { action: { equals: bank.transfer } }
  action: require_approval
  approvalTimeout: 60
`;
const ADMIN: Actor = { type: 'system', id: 'test' };
const RETRY_MS = 1000;
const TIMEOUT_MS = 400;

let verify: Awaited<ReturnType<typeof loadNodeVerifier>>;
before(async () => {
  verify = await loadNodeVerifier();
});

/** A runtime on a data dir (reopenable, for restarts), its clock at the real time, a receiver. */
async function setup(env: Record<string, string> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'agent-otp-webhooks-'));
  writeFileSync(join(dataDir, 'policies.yaml'), POLICY);
  const clock = createFixedClock(Date.now());
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const open = () =>
    createRuntime(
      parseConfig({
        AGENT_OTP_DATA_DIR: dataDir,
        AGENT_OTP_POLICY_WATCH: 'false',
        AGENT_OTP_WEBHOOK_ALLOW_PRIVATE: 'true',
        AGENT_OTP_WEBHOOK_RETRY_BASE_MS: String(RETRY_MS),
        AGENT_OTP_WEBHOOK_TIMEOUT_MS: String(TIMEOUT_MS),
        AGENT_OTP_WEBHOOK_MAX_ATTEMPTS: '3',
        AGENT_OTP_WEBHOOK_POLL_MS: '50',
        ...env,
      }),
      { clock, logger: createLogger('debug', sink) },
    );
  const ctx = {
    runtime: await open(),
    clock,
    receiver: await startReceiver((...args) => verify(...args)),
    logs: () => lines.join(''),
    dataDir,
    async agentKey(name = 'bot') {
      return (await ctx.runtime.agents.create(name, ADMIN)).apiKey;
    },
    async approver(name = 'ana'): Promise<User> {
      return (await ctx.runtime.users.create({ name, role: 'approver' }, ADMIN)).user;
    },
    async addWebhook(events?: string[]) {
      const added = await ctx.runtime.webhooks.service.add({ url: ctx.receiver.url, events }, ADMIN);
      ctx.receiver.setSecret(added.secret);
      return added;
    },
    // biome-ignore lint/suspicious/noExplicitAny: tests read the JSON answers field by field
    async call(key: string, method: string, path: string, body?: unknown): Promise<any> {
      const res = await ctx.runtime.app.request(path, {
        method,
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      return (await res.json()).data;
    },
    /** Lets the dispatcher queue what was announced, then runs one worker pass. */
    async deliver() {
      await settle();
      await ctx.runtime.webhooks.worker.runOnce();
    },
    async restart() {
      await ctx.runtime.close();
      ctx.runtime = await open();
    },
    async close() {
      await ctx.runtime.webhooks.worker.stop();
      await ctx.runtime.close();
      await ctx.receiver.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return ctx;
}

/** The dispatcher queues asynchronously after the change commits; a few turns are enough. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 30));
const bodies = (r: Receiver) => r.received.map((x) => JSON.parse(x.body));

describe('webhooks: delivery to a real receiver', () => {
  it('sends each event type, signed as documented (Node and Python), never a token', async () => {
    const ctx = await setup();
    try {
      const { secret } = await ctx.addWebhook();
      const key = await ctx.agentKey();
      const ana = await ctx.approver();
      const tokens: string[] = [];
      // requested → approved (by a human) → used
      const a = await ctx.call(key, 'POST', '/api/v1/permissions/request', { action: 'bank.transfer' });
      await ctx.runtime.approvals.approve(ana, a.id);
      const read = await ctx.call(key, 'GET', `/api/v1/permissions/${a.id}`);
      tokens.push(read.token);
      await ctx.call(key, 'POST', `/api/v1/permissions/${a.id}/use`, { token: read.token });
      // requested → denied
      const b = await ctx.call(key, 'POST', '/api/v1/permissions/request', { action: 'bank.transfer' });
      await ctx.runtime.approvals.deny(ana, b.id, 'no');
      // requested → expired
      const c = await ctx.call(key, 'POST', '/api/v1/permissions/request', { action: 'bank.transfer' });
      ctx.clock.advance(61_000);
      await ctx.runtime.permissions.expireDue();
      // requested + approved (by the policy) → revoked
      const d = await ctx.call(key, 'POST', '/api/v1/permissions/request', { action: 'file.read' });
      tokens.push(d.token);
      await ctx.call(key, 'POST', `/api/v1/permissions/${d.id}/revoke`, {});
      await ctx.deliver();

      const got = bodies(ctx.receiver);
      const types = (id: string) =>
        got
          .filter((e) => e.data.id === id)
          .map((e) => e.type)
          .sort();
      assert.deepEqual(types(a.id), ['permission.approved', 'permission.requested', 'permission.used']);
      assert.deepEqual(types(b.id), ['permission.denied', 'permission.requested']);
      assert.deepEqual(types(c.id), ['permission.expired', 'permission.requested']);
      assert.deepEqual(types(d.id), ['permission.approved', 'permission.requested', 'permission.revoked']);
      assert.equal(new Set(got.map((e) => e.id)).size, got.length, 'one id per event');
      assert.equal(tokens.length, 2);
      for (const token of tokens) assert.match(token, /^otp_/);
      for (const r of ctx.receiver.received) {
        assert.equal(r.verified, true, 'the documented Node snippet accepts it');
        assert.equal(r.headers['content-type'], 'application/json');
        for (const token of tokens) assert.ok(!r.body.includes(token), 'no token in any payload');
        assert.doesNotMatch(r.body, /otp_[A-Za-z0-9_-]{20}|tokenHash|token_hash/);
      }
      const denied = got.find((e) => e.type === 'permission.denied');
      assert.equal(denied.data.status, 'denied');
      assert.equal(denied.data.reason, 'denied by ana: no');
      assert.ok(!Number.isNaN(Date.parse(denied.createdAt)));
      assert.equal(ctx.receiver.received[0]?.headers['agent-otp-event-id'], got[0].id);
      // The Python snippet agrees, and both refuse a tampered body or a wrong secret.
      const first = ctx.receiver.received[0];
      assert.ok(first);
      const header = String(first.headers['agent-otp-signature']);
      assert.match(header, /^t=\d+,v1=[0-9a-f]{64}$/);
      assert.equal(pythonVerifies(secret, header, first.body), true);
      assert.equal(pythonVerifies(secret, header, `${first.body} `), false);
      assert.equal(verify(secret, header, first.body.replace('"', "'")), false);
      assert.equal(verify(`${secret}x`, header, first.body), false);
      // The secret is nowhere the server keeps things: not in the database, not in the logs.
      assert.ok(!readFileSync(join(ctx.dataDir, 'agent-otp.db')).includes(secret));
      assert.ok(!ctx.logs().includes(secret));
      const audit = JSON.stringify(await ctx.runtime.store.listAudit({ limit: 1000 }));
      assert.ok(!audit.includes(secret));
      assert.match(audit, /webhook\.created/);
    } finally {
      await ctx.close();
    }
  });

  it('retries a 500 with backoff and the same event id, logging every attempt', async () => {
    const ctx = await setup();
    try {
      const { webhook } = await ctx.addWebhook(['permission.requested']);
      const key = await ctx.agentKey();
      ctx.receiver.plan(500);
      await ctx.call(key, 'POST', '/api/v1/permissions/request', { action: 'bank.transfer' });
      await ctx.deliver();
      assert.equal(ctx.receiver.received.length, 1);
      await ctx.runtime.webhooks.worker.runOnce();
      assert.equal(ctx.receiver.received.length, 1, 'not before the backoff');
      ctx.clock.advance(RETRY_MS);
      await ctx.runtime.webhooks.worker.runOnce();
      assert.equal(ctx.receiver.received.length, 2);
      const [one, two] = ctx.receiver.received;
      assert.equal(one?.body, two?.body, 'the same bytes, the same id');
      assert.ok(two?.verified);
      const [delivery] = await ctx.runtime.webhooks.service.deliveries(webhook.id);
      assert.equal(delivery?.status, 'succeeded');
      assert.equal(delivery?.attempts, 2);
      assert.deepEqual(
        delivery?.attemptLog.map((a) => [a.attempt, a.statusCode, a.error]),
        [
          [1, 500, 'HTTP 500'],
          [2, 204, null],
        ],
      );
      assert.ok(delivery?.attemptLog.every((a) => a.durationMs >= 0));
    } finally {
      await ctx.close();
    }
  });

  it('a receiver that does not answer times out, is retried, and gives up after the last attempt', async () => {
    const ctx = await setup();
    try {
      const { webhook } = await ctx.addWebhook(['permission.requested']);
      const key = await ctx.agentKey();
      ctx.receiver.plan('hang', 'hang', 'hang');
      await ctx.call(key, 'POST', '/api/v1/permissions/request', { action: 'bank.transfer' });
      const started = Date.now();
      await ctx.deliver();
      assert.ok(Date.now() - started < TIMEOUT_MS + 2000, 'the attempt ends at the timeout');
      for (const wait of [RETRY_MS, 2 * RETRY_MS]) {
        ctx.clock.advance(wait);
        await ctx.runtime.webhooks.worker.runOnce();
      }
      assert.equal(ctx.receiver.received.length, 3);
      const [delivery] = await ctx.runtime.webhooks.service.deliveries(webhook.id);
      assert.equal(delivery?.status, 'failed', 'three attempts is the configured maximum');
      assert.deepEqual(
        delivery?.attemptLog.map((a) => a.error),
        Array(3).fill(`timeout after ${TIMEOUT_MS} ms`),
      );
      ctx.clock.advance(3_600_000);
      await ctx.runtime.webhooks.worker.runOnce();
      assert.equal(ctx.receiver.received.length, 3, 'a failed delivery is not retried');
    } finally {
      await ctx.close();
    }
  });

  it('removing the webhook stops delivery, queued retries included', async () => {
    const ctx = await setup();
    try {
      const { webhook } = await ctx.addWebhook();
      const key = await ctx.agentKey();
      ctx.receiver.plan(503);
      await ctx.call(key, 'POST', '/api/v1/permissions/request', { action: 'bank.transfer' });
      await ctx.deliver();
      assert.equal(ctx.receiver.received.length, 1);
      await ctx.runtime.webhooks.service.remove(webhook.id, ADMIN);
      ctx.clock.advance(RETRY_MS * 10);
      await ctx.call(key, 'POST', '/api/v1/permissions/request', { action: 'bank.transfer' });
      await ctx.deliver();
      assert.equal(ctx.receiver.received.length, 1);
      assert.deepEqual(await ctx.runtime.store.listDueDeliveries(ctx.clock.now(), 10), []);
      await assert.rejects(
        ctx.runtime.webhooks.service.deliveries(webhook.id),
        (e: unknown) => e instanceof AgentOtpError && e.code === 'NOT_FOUND',
      );
    } finally {
      await ctx.close();
    }
  });

  it('pending deliveries survive a restart and are sent by the new process', async () => {
    const ctx = await setup();
    try {
      await ctx.addWebhook(['permission.requested']);
      const key = await ctx.agentKey();
      const p = await ctx.call(key, 'POST', '/api/v1/permissions/request', { action: 'bank.transfer' });
      await settle(); // queued, never attempted
      await ctx.restart();
      assert.equal(ctx.receiver.received.length, 0);
      await ctx.runtime.webhooks.worker.runOnce();
      assert.equal(ctx.receiver.received.length, 1);
      assert.equal(bodies(ctx.receiver)[0].data.id, p.id);
      assert.ok(ctx.receiver.received[0]?.verified, 'the secret is derived again after the restart');
    } finally {
      await ctx.close();
    }
  });

  it('an event filter sends only the chosen types', async () => {
    const ctx = await setup();
    try {
      await ctx.addWebhook(['permission.denied']);
      const key = await ctx.agentKey();
      const ana = await ctx.approver();
      const p = await ctx.call(key, 'POST', '/api/v1/permissions/request', { action: 'bank.transfer' });
      await ctx.runtime.approvals.deny(ana, p.id);
      await ctx.call(key, 'POST', '/api/v1/permissions/request', { action: 'file.read' });
      await ctx.deliver();
      assert.deepEqual(
        bodies(ctx.receiver).map((e) => [e.type, e.data.id]),
        [['permission.denied', p.id]],
      );
    } finally {
      await ctx.close();
    }
  });

  it('two passes racing over one due delivery send it once; a started worker wakes on new events', async () => {
    const ctx = await setup();
    try {
      await ctx.addWebhook(['permission.requested']);
      const key = await ctx.agentKey();
      await ctx.call(key, 'POST', '/api/v1/permissions/request', { action: 'bank.transfer' });
      await settle();
      await Promise.all([ctx.runtime.webhooks.worker.runOnce(), ctx.runtime.webhooks.worker.runOnce()]);
      assert.equal(ctx.receiver.received.length, 1);
      ctx.runtime.webhooks.worker.start();
      await ctx.call(key, 'POST', '/api/v1/permissions/request', { action: 'bank.transfer' });
      await ctx.receiver.waitFor(2);
    } finally {
      await ctx.close();
    }
  });

  it('refuses private receivers unless allowed, and URLs that are not http(s)', async () => {
    const ctx = await setup({ AGENT_OTP_WEBHOOK_ALLOW_PRIVATE: 'false' });
    try {
      const { webhook } = await ctx.addWebhook(['permission.requested']);
      const key = await ctx.agentKey();
      await ctx.call(key, 'POST', '/api/v1/permissions/request', { action: 'bank.transfer' });
      await ctx.deliver();
      assert.equal(ctx.receiver.received.length, 0);
      const [delivery] = await ctx.runtime.webhooks.service.deliveries(webhook.id);
      assert.match(delivery?.lastError ?? '', /private address/);
      for (const url of [
        'ftp://example.com/x',
        'not a url',
        'https://user:pw@example.com/',
        'javascript:alert(1)',
      ]) {
        await assert.rejects(
          ctx.runtime.webhooks.service.add({ url }, ADMIN),
          (e: unknown) => e instanceof AgentOtpError && e.code === 'VALIDATION_ERROR',
          url,
        );
      }
      await assert.rejects(
        ctx.runtime.webhooks.service.add(
          { url: 'https://example.com', events: ['permission.exploded'] },
          ADMIN,
        ),
        (e: unknown) => e instanceof AgentOtpError && e.code === 'VALIDATION_ERROR',
      );
    } finally {
      await ctx.close();
    }
  });
});

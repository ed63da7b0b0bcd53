import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { type Actor, createFixedClock, type UserRole } from '@agent-otp/core';
import { slackSignature } from '../src/channels/slack/index.ts';
import { createLogger, createRuntime, parseConfig, type Runtime } from '../src/index.ts';
import { startSlackStandIn } from './slack-stand-in.ts';

const POLICY = `
- name: payments
  conditions: { action: { equals: bank.transfer } }
  action: require_approval
  approvalTimeout: 60
`;
const TOKEN = 'xoxb-1111-2222-standin';
const SIGNING_SECRET = 'slack-signing-secret-for-tests';
const ADMIN: Actor = { type: 'system', id: 'test' };

describe('Slack approvals through @slack/web-api against a local stand-in', () => {
  let runtime: Runtime;
  let slack: Awaited<ReturnType<typeof startSlackStandIn>>;
  let dataDir: string;
  let agentKey: string;
  const clock = createFixedClock(Date.now());

  before(async () => {
    slack = await startSlackStandIn(TOKEN);
    dataDir = mkdtempSync(join(tmpdir(), 'agent-otp-slack-'));
    writeFileSync(join(dataDir, 'policies.yaml'), POLICY);
    const config = parseConfig({
      AGENT_OTP_DATA_DIR: dataDir,
      AGENT_OTP_POLICY_WATCH: 'false',
      SLACK_BOT_TOKEN: TOKEN,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_ROOT: slack.apiRoot,
      AGENT_OTP_SLACK_RETRIES: '2',
    });
    const sink = new Writable({ write: (_c, _e, done) => done() });
    runtime = await createRuntime(config, {
      clock,
      logger: createLogger(
        process.env.DEBUG_SLACK ? 'debug' : 'silent',
        process.env.DEBUG_SLACK ? process.stderr : sink,
      ),
    });
    runtime.slack.notifier?.start();
    agentKey = (await runtime.agents.create('payer', ADMIN)).apiKey;
    for (const [name, role, slackUser] of [
      ['ana', 'approver', 'UANA1'],
      ['bo', 'approver', 'UBO22'],
      ['vic', 'viewer', 'UVIC3'],
    ] as const) {
      await runtime.users.create({ name, role: role as UserRole }, ADMIN);
      await runtime.slack.links.link(name, slackUser, ADMIN);
    }
  });
  after(async () => {
    await runtime.slack.notifier?.stop();
    await runtime.close();
    await slack.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function ask(): Promise<string> {
    const res = await runtime.app.request('/api/v1/permissions/request', {
      method: 'POST',
      headers: { authorization: `Bearer ${agentKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        action: 'bank.transfer',
        resource: 'account:acme',
        context: { reason: 'invoice 42' },
      }),
    });
    const id = ((await res.json()) as { data: { id: string } }).data.id;
    await runtime.slack.notifier?.idle();
    return id;
  }

  /** A click as Slack sends it: form-encoded payload, signed v0 with the timestamp. */
  async function click(
    slackUserId: string,
    actionId: 'approve' | 'deny',
    permissionId: string,
    { secret = SIGNING_SECRET, ageSeconds = 0 } = {},
  ) {
    const payload = {
      type: 'block_actions',
      user: { id: slackUserId },
      actions: [{ action_id: actionId, value: permissionId, block_id: `decide:${permissionId}` }],
    };
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const timestamp = String(Math.floor(clock.now() / 1000) - ageSeconds);
    const res = await runtime.app.request('/slack/interactions', {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': timestamp,
        'x-slack-signature': slackSignature(secret, timestamp, body),
      },
      body,
    });
    // biome-ignore lint/suspicious/noExplicitAny: the envelope is read field by field
    return { status: res.status, body: (await res.json()) as any };
  }

  const status = async (id: string) => (await runtime.store.getPermission(id))?.status;
  /** The stand-in's copy of every message sent for a permission. */
  const messagesOf = async (permissionId: string) =>
    (await runtime.store.listSlackMessages(permissionId)).map((m) => {
      const message = slack.messages.get(`${m.channel}/${m.ts}`);
      assert.ok(message, 'the stored message exists in Slack');
      return message;
    });
  const hasButtons = (m: { blocks: Array<Record<string, unknown>> }) =>
    m.blocks.some((b) => b.type === 'actions');

  it('sends the request with buttons to linked approvers only, in their direct messages', async () => {
    const id = await ask();
    for (const user of ['UANA1', 'UBO22']) {
      const message = slack.messageFor(user);
      assert.ok(message, `a message for ${user}`);
      assert.match(message.text, /payer wants bank\.transfer on account:acme/);
      assert.ok(JSON.stringify(message.blocks).includes('invoice 42'));
      const actions = message.blocks.find((b) => b.type === 'actions') as {
        elements: Array<{ value: string }>;
      };
      assert.deepEqual(
        actions.elements.map((e) => e.value),
        [id, id],
      );
    }
    assert.equal(slack.messageFor('UVIC3'), undefined, 'a viewer is not asked');
    assert.ok(slack.calls.every((c) => !JSON.stringify(c.args).includes('otp_')));
  });

  it('a signed click approves as the linked user, and every message shows the outcome', async () => {
    const id = await ask();
    const clicked = await click('UANA1', 'approve', id);
    assert.equal(clicked.status, 200);
    assert.equal(clicked.body.data.outcome, 'approved');
    assert.equal(await status(id), 'approved');
    const votes = await runtime.store.listApprovalVotes(id);
    assert.deepEqual(
      votes.map((v) => v.userName),
      ['ana'],
    );
    await runtime.slack.notifier?.idle();
    const messages = await messagesOf(id);
    assert.deepEqual(messages.map((m) => m.channel).sort(), ['DANA1', 'DBO22']);
    for (const message of messages) {
      assert.match(message.text, /Approved/);
      assert.ok(!hasButtons(message), 'no buttons once decided');
    }
  });

  it('a bad signature, a stale timestamp, an unlinked account or a viewer change nothing', async () => {
    const id = await ask();
    assert.equal((await click('UANA1', 'approve', id, { secret: 'wrong-secret-wrong-secret' })).status, 401);
    const stale = await click('UANA1', 'approve', id, { ageSeconds: 6 * 60 });
    assert.equal(stale.status, 401);
    assert.equal(stale.body.error.code, 'UNAUTHORIZED');
    const stranger = await click('UNOBODY9', 'approve', id);
    assert.equal(stranger.status, 403);
    assert.equal(stranger.body.error.code, 'FORBIDDEN');
    const viewer = await click('UVIC3', 'deny', id);
    assert.equal(viewer.status, 403);
    const unsigned = await runtime.app.request('/slack/interactions', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'payload=%7B%7D',
    });
    assert.equal(unsigned.status, 401);
    assert.equal(await status(id), 'pending');
    assert.deepEqual(await runtime.store.listApprovalVotes(id), []);
    const messages = await messagesOf(id);
    assert.equal(messages.length, 2);
    assert.ok(messages.every(hasButtons), 'the buttons stay');
  });

  it('racing clicks (approve and deny at once) have exactly one outcome', async () => {
    for (let round = 0; round < 5; round++) {
      const id = await ask();
      const results = await Promise.all([click('UANA1', 'approve', id), click('UBO22', 'deny', id)]);
      assert.ok(results.every((r) => r.status === 200));
      const final = await status(id);
      assert.ok(final === 'approved' || final === 'denied');
      const decided = results.filter((r) => r.body.data.outcome === final);
      assert.equal(
        decided.length,
        1,
        `one click decided (${JSON.stringify(results.map((r) => r.body.data))})`,
      );
      await runtime.slack.notifier?.idle();
      const word = final === 'approved' ? /Approved/ : /Denied/;
      for (const message of await messagesOf(id)) {
        assert.match(message.text, word, 'every message shows the one outcome');
        assert.ok(!hasButtons(message));
      }
    }
  });

  it('a decision on the dashboard and an expiry update the messages too', async () => {
    const denied = await ask();
    const bo = await runtime.store.getUserByName('bo');
    assert.ok(bo);
    await runtime.approvals.deny(bo, denied, 'not this month');
    const expired = await ask();
    clock.advance(61_000);
    await runtime.permissions.expireDue();
    await runtime.slack.notifier?.idle();
    const deniedMessages = await messagesOf(denied);
    const expiredMessages = await messagesOf(expired);
    assert.equal(deniedMessages.length, 2);
    assert.equal(expiredMessages.length, 2);
    for (const m of deniedMessages) {
      assert.match(m.text, /Denied/);
      assert.ok(JSON.stringify(m.blocks).includes('not this month'));
      assert.ok(!hasButtons(m));
    }
    for (const m of expiredMessages) {
      assert.match(m.text, /Expired/);
      assert.ok(!hasButtons(m));
    }
    clock.set(Date.now());
  });

  it('waits out a 429 (Retry-After) and still delivers; a Slack error for one user spares the others', async () => {
    slack.rateLimit(1);
    slack.failPostsTo('UBO22', 'channel_not_found');
    const started = Date.now();
    const id = await ask();
    assert.ok(Date.now() - started >= 900, 'waited for Retry-After');
    const messages = await runtime.store.listSlackMessages(id);
    assert.deepEqual(
      messages.map((m) => m.slackUserId),
      ['UANA1'],
    );
    assert.equal(await status(id), 'pending', 'the permission flow is untouched');
    assert.ok(slack.calls.some((c) => c.method === 'chat.postMessage' && c.args.channel === 'UBO22'));
  });
});

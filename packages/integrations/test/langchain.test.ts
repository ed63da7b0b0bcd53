import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ToolMessage } from '@langchain/core/messages';
import { tool } from '@langchain/core/tools';
import { AgentOTPClient, AuthenticationError } from '@orrisai/agent-otp-sdk';
import { z } from 'zod';
import { withPermission } from '../src/langchain.ts';
import { type Harness, signal, startHarness } from './helpers.ts';

interface Mail {
  to: string;
  subject: string;
}

describe('LangChain.js adapter: tool() invoked through the real library', () => {
  let harness: Harness;
  before(async () => {
    harness = await startHarness();
  });
  after(() => harness.close());

  async function mailTool(action = 'mail.send') {
    const { client, spent, apiKey } = await harness.client();
    const sent: Mail[] = [];
    const pending = signal<string>();
    const sendMail = tool(
      withPermission(
        async (mail: Mail) => {
          sent.push(mail);
          return `sent "${mail.subject}" to ${mail.to}`;
        },
        {
          client,
          action,
          resource: (mail) => `email:${mail.to}`,
          onPendingApproval: (info) => pending.resolve(info.id),
        },
      ),
      {
        name: 'send_mail',
        description: 'Send an email',
        schema: z.object({ to: z.string(), subject: z.string() }),
      },
    );
    return { sendMail, sent, spent, apiKey, client, pending: pending.promise };
  }

  test('an allowed call runs once and spends its token; the token cannot be spent again', async () => {
    const { sendMail, sent, spent, apiKey, client } = await mailTool();
    const result = await sendMail.invoke({ to: 'a@example.com', subject: 'Invoice 7' });
    assert.equal(result, 'sent "Invoice 7" to a@example.com');
    assert.deepEqual(sent, [{ to: 'a@example.com', subject: 'Invoice 7' }]);
    assert.equal(spent.length, 1);
    const [first] = spent;
    assert.ok(first);
    assert.deepEqual(first.actionDetails, { to: 'a@example.com', subject: 'Invoice 7' });
    assert.equal((await client.getPermission(first.id)).status, 'used');
    assert.deepEqual(await harness.useAgain(apiKey, first), { status: 409, code: 'TOKEN_USED' });
  });

  test('invoked with a tool call, an allowed call answers a successful ToolMessage', async () => {
    const { sendMail, sent } = await mailTool();
    const message = await sendMail.invoke({
      type: 'tool_call',
      id: 'call_ok',
      name: 'send_mail',
      args: { to: 'a@example.com', subject: 'Invoice 8' },
    });
    assert.ok(message instanceof ToolMessage);
    assert.equal(message.status, 'success');
    assert.equal(message.content, 'sent "Invoice 8" to a@example.com');
    assert.equal(sent.length, 1);
  });

  test('a denied call never runs and answers an error ToolMessage saying why', async () => {
    const { sendMail, sent, spent } = await mailTool('files.delete');
    const message = await sendMail.invoke({
      type: 'tool_call',
      id: 'call_denied',
      name: 'send_mail',
      args: { to: 'a@example.com', subject: 'Invoice 9' },
    });
    assert.ok(message instanceof ToolMessage);
    assert.equal(message.status, 'error');
    assert.equal(message.tool_call_id, 'call_denied');
    assert.match(String(message.content), /PERMISSION_DENIED.*Never delete files.*did not run/);
    assert.deepEqual(sent, []);
    assert.deepEqual(spent, []);
  });

  test('a denied call invoked with plain arguments returns the reason as its result', async () => {
    const { sendMail, sent } = await mailTool('files.delete');
    const result = await sendMail.invoke({ to: 'a@example.com', subject: 'Invoice 9' });
    assert.match(String(result), /^Agent OTP refused "files.delete" \(PERMISSION_DENIED\)/);
    assert.deepEqual(sent, []);
  });

  test('a call that needs approval waits, then runs after a human approves', async () => {
    const { sendMail, sent, spent, pending } = await mailTool('bank.transfer');
    const call = sendMail.invoke({ to: 'a@example.com', subject: 'Invoice 10' });
    const id = await pending;
    assert.deepEqual(sent, [], 'nothing runs before the decision');
    assert.equal(await harness.decide(id, 'approve'), 200);
    assert.equal(await call, 'sent "Invoice 10" to a@example.com');
    assert.equal(sent.length, 1);
    assert.equal(spent[0]?.id, id);
  });

  test('a call a human denies never runs', async () => {
    const { sendMail, sent, pending } = await mailTool('bank.transfer');
    const call = sendMail.invoke({ to: 'a@example.com', subject: 'Invoice 11' });
    assert.equal(await harness.decide(await pending, 'deny', { reason: 'not today' }), 200);
    assert.match(String(await call), /PERMISSION_DENIED.*not today/);
    assert.deepEqual(sent, []);
  });

  test('arguments outside the granted scope never run, and the token stays unspent', async () => {
    const { sendMail, sent, spent, client } = await mailTool();
    const message = await sendMail.invoke({
      type: 'tool_call',
      id: 'call_scope',
      name: 'send_mail',
      args: { to: 'a@example.com', subject: 'Hello there' },
    });
    assert.ok(message instanceof ToolMessage);
    assert.equal(message.status, 'error');
    assert.match(String(message.content), /SCOPE_VIOLATION.*subject/);
    assert.deepEqual(sent, []);
    assert.deepEqual(spent, []);
    const [latest] = (await client.listPermissions({ action: 'mail.send' })).data;
    assert.equal(latest?.status, 'approved', 'a refused use does not spend the token');
  });

  test('an error of the tool itself passes through unchanged, after the token was spent', async () => {
    const { client, spent } = await harness.client();
    const failing = tool(
      withPermission(
        async (_mail: Mail): Promise<string> => {
          throw new Error('mail server down');
        },
        { client, action: 'mail.send' },
      ),
      { name: 'send_mail', description: 'Send', schema: z.object({ to: z.string(), subject: z.string() }) },
    );
    await assert.rejects(failing.invoke({ to: 'a@example.com', subject: 'Invoice 12' }), /mail server down/);
    assert.equal(spent.length, 1, 'the token is spent before the tool runs');
  });

  test('a broken setup (unknown key) is thrown to the developer, and the tool never runs', async () => {
    const client = new AgentOTPClient({ apiKey: 'ak_not_a_real_key', baseUrl: harness.server.url });
    let ran = false;
    const guarded = tool(
      withPermission(
        async (_mail: Mail) => {
          ran = true;
          return 'sent';
        },
        { client, action: 'mail.send' },
      ),
      { name: 'send_mail', description: 'Send', schema: z.object({ to: z.string(), subject: z.string() }) },
    );
    await assert.rejects(guarded.invoke({ to: 'a@example.com', subject: 'Invoice 13' }), AuthenticationError);
    assert.equal(ran, false);
  });
});

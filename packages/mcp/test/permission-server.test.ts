import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '@agent-otp/server';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { connect, createApprover, decide, eventually, type Session, textOf } from './helpers.ts';

const POLICY = `
- name: "Reports for the team"
  conditions: { action: { equals: "report.send" } }
  action: auto_approve
  enforcement: strict
  scopeTemplate: { recipient_pattern: '^[a-z]+@team\\.example$' }
- name: "Transfers need a human"
  conditions: { action: { startsWith: "bank." } }
  action: require_approval
  approvalTimeout: 60
- name: "Default deny"
  conditions: {}
  action: deny
  priority: -1000
`;

let server: TestServer;
let approver: string;
let mcp: Session;
const logs: string[] = [];

before(async () => {
  server = await startTestServer({ policy: POLICY });
  const { apiKey } = await server.createAgent('mcp-tools-test');
  approver = await createApprover(server);
  mcp = await connect(['mcp'], { AGENT_OTP_KEY: apiKey, AGENT_OTP_URL: server.url });
  mcp.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    logs.push(String(n.params.data));
  });
});

after(async () => {
  await mcp?.close();
  await server?.close();
});

interface Answer {
  isError: boolean;
  text: string;
  data: Record<string, unknown>;
}

async function call(name: string, args: Record<string, unknown>): Promise<Answer> {
  const result = await mcp.client.callTool({ name, arguments: args });
  const text = textOf(result);
  return {
    isError: result.isError === true,
    text,
    data: (result.structuredContent as Record<string, unknown> | undefined) ?? {},
  };
}

test('agent-otp mcp lists the permission tools', async () => {
  const { tools } = await mcp.client.listTools();
  assert.deepEqual(
    tools.map((t) => t.name),
    ['request_permission', 'get_permission', 'use_permission', 'verify_permission', 'revoke_permission'],
  );
});

test('an auto-approved permission is granted, verified, and spent once within its scope', async () => {
  const granted = await call('request_permission', {
    action: 'report.send',
    resource: 'email:bob@team.example',
  });
  assert.equal(granted.isError, false, granted.text);
  assert.equal(granted.data.status, 'approved');
  const { id, token } = granted.data as { id: string; token: string };
  assert.match(token, /^otp_/);
  assert.deepEqual(JSON.parse(granted.text), granted.data);

  const verified = await call('verify_permission', { id, token });
  assert.equal(verified.data.valid, true);

  const outside = await call('use_permission', {
    id,
    token,
    actionDetails: { recipient: 'eve@evil.example' },
  });
  assert.equal(outside.isError, true);
  assert.match(outside.text, /SCOPE_VIOLATION/);

  const used = await call('use_permission', { id, token, actionDetails: { recipient: 'bob@team.example' } });
  assert.equal(used.isError, false, used.text);
  assert.equal(used.data.success, true);

  const again = await call('use_permission', { id, token, actionDetails: { recipient: 'bob@team.example' } });
  assert.equal(again.isError, true);
  assert.match(again.text, /TOKEN_USED/);
});

test('a denial is an answer with its reason, not a tool error', async () => {
  const denied = await call('request_permission', { action: 'db.drop' });
  assert.equal(denied.isError, false);
  assert.equal(denied.data.status, 'denied');
  assert.match(String(denied.data.reason), /Default deny/);
});

test('request_permission with wait returns the token once a human approves', async () => {
  const asking = call('request_permission', { action: 'bank.transfer', scope: { max_amount: 50 }, wait: 30 });
  const text = await eventually(async () => logs.find((l) => l.startsWith('Approval needed for perm_')));
  const id = /perm_[A-Za-z0-9_-]+/.exec(text)?.[0] ?? '';
  assert.equal(await decide(server, approver, id, 'approve'), 200);
  const approved = await asking;
  assert.equal(approved.isError, false, approved.text);
  assert.equal(approved.data.status, 'approved');
  assert.equal(approved.data.id, id);
  assert.match(String(approved.data.token), /^otp_/);
});

test('a wait that runs out leaves the request pending; get_permission then hands over the token', async () => {
  const pending = await call('request_permission', { action: 'bank.wire', wait: 1 });
  assert.equal(pending.data.status, 'pending');
  assert.match(String(pending.data.note), /still pending/);
  const id = String(pending.data.id);
  assert.equal((await call('get_permission', { id })).data.status, 'pending');
  assert.equal(await decide(server, approver, id, 'approve'), 200);
  const first = await call('get_permission', { id });
  assert.equal(first.data.status, 'approved');
  assert.match(String(first.data.token), /^otp_/);
  const revoked = await call('revoke_permission', { id, reason: 'not needed' });
  assert.equal(revoked.data.status, 'revoked');
});

test('bad input is a tool error that names the field', async () => {
  assert.match((await call('request_permission', {})).text, /action is required/);
  assert.match(
    (await call('request_permission', { action: 'x', scope: [] })).text,
    /scope must be a JSON object/,
  );
  assert.match((await call('request_permission', { action: 'x', wait: 99999 })).text, /wait must be/);
  assert.match((await call('use_permission', { id: 'perm_x' })).text, /token is required/);
  const invalid = await call('request_permission', { action: 'not valid!' });
  assert.equal(invalid.isError, true);
  assert.match(invalid.text, /VALIDATION_ERROR/);
  assert.deepEqual(mcp.errors, []);
});

test('without AGENT_OTP_KEY every tool says so', async () => {
  const keyless = await connect(['mcp'], { AGENT_OTP_URL: server.url });
  try {
    const result = await keyless.client.callTool({ name: 'get_permission', arguments: { id: 'perm_x' } });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /AGENT_OTP_KEY is not set/);
  } finally {
    await keyless.close();
  }
});

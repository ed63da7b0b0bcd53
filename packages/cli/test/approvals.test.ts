import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { UserRole } from '@agent-otp/core';
import { startTestServer, type TestServer } from '@agent-otp/server';
import { freePort, run } from './helpers.ts';

const POLICY = `
- name: payments
  conditions: { action: { startsWith: "bank." } }
  action: require_approval
  approvalTimeout: 600
`;

let server: TestServer;
let agentKey: string;
let approverToken: string;
let viewerToken: string;

/** A user with a personal API token, made through the server's own user service. */
async function userToken(name: string, role: UserRole): Promise<string> {
  const actor = { type: 'system', id: 'test' } as const;
  await server.runtime.users.create({ name, role }, actor);
  return (await server.runtime.users.createToken(name, 'test', actor)).token;
}

/** The agent's side, over HTTP as an agent would do it. */
async function agentCall(path: string, body?: object) {
  const response = await fetch(`${server.url}/api/v1${path}`, {
    method: body ? 'POST' : 'GET',
    headers: { authorization: `Bearer ${agentKey}`, 'content-type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  return (await response.json()) as { success: boolean; data: Record<string, unknown> };
}

async function pendingRequest(amount: number): Promise<string> {
  const { data } = await agentCall('/permissions/request', {
    action: 'bank.transfer',
    resource: 'account:landlord',
    scope: { max_amount: amount },
    context: { reason: 'monthly rent' },
  });
  assert.equal(data.status, 'pending');
  return data.id as string;
}

/** Runs `agent-otp approvals …` as the given user, against the test server. */
const approvals = (args: string[], token = approverToken) =>
  run(['approvals', ...args], null, { AGENT_OTP_URL: server.url, AGENT_OTP_TOKEN: token });

before(async () => {
  server = await startTestServer({ policy: POLICY });
  agentKey = (await server.createAgent('pay-bot')).apiKey;
  approverToken = await userToken('alice', 'approver');
  viewerToken = await userToken('victor', 'viewer');
});
after(() => server.close());

test('list shows the pending request; show prints it in full', async () => {
  const id = await pendingRequest(500);
  const list = await approvals(['list', '--json']);
  assert.equal(list.code, 0, list.stderr);
  const [item, ...rest] = JSON.parse(list.stdout);
  assert.deepEqual(rest, []);
  assert.equal(item.permission.id, id);
  assert.equal(item.agent.name, 'pay-bot');
  assert.equal(item.approvalsRequired, 1);

  const show = await approvals(['show', id]);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, new RegExp(`^request:\\s+${id}$`, 'm'));
  assert.match(show.stdout, /^agent:\s+pay-bot \(agt_[\w-]+\)$/m);
  assert.match(show.stdout, /^context:\s+\{"reason":"monthly rent"\}$/m);
  assert.match(show.stdout, /^scope to grant:\s+\{"max_amount":500\}$/m);
  assert.match(show.stdout, /^quorum:\s+0\/1 approvals$/m);
  assert.match(show.stdout, /^votes: none yet$/m);
});

test('approve with a narrower scope wakes the waiting agent with that scope', async () => {
  const id = await pendingRequest(500);
  // The agent is already long-polling: the CLI's decision must reach it through the server.
  const waiting = agentCall(`/permissions/${id}?wait=60`);
  const result = await approvals([
    'approve',
    id,
    '--scope',
    '{"max_amount":100}',
    '--reason',
    'ok',
    '--json',
  ]);
  assert.equal(result.code, 0, result.stderr);
  const decision = JSON.parse(result.stdout);
  assert.equal(decision.outcome, 'approved');
  // One use unless the scope says otherwise: the token is one-time.
  assert.deepEqual(decision.approval.permission.scope, { max_amount: 100, max_uses: 1 });
  assert.equal(decision.approval.votes[0].user, 'alice');

  const { data } = await waiting;
  assert.equal(data.status, 'approved');
  assert.equal(typeof data.token, 'string');
  assert.deepEqual(data.scope, { max_amount: 100, max_uses: 1 });
});

test('approve with a wider scope and a shorter ttl: the clamp is said, show gives the granted lifetime', async () => {
  const { data } = await agentCall('/permissions/request', {
    action: 'bank.transfer',
    scope: { max_amount: 25000 },
    ttl: 300,
  });
  const id = data.id as string;
  const result = await approvals(['approve', id, '--scope', '{"max_amount":50000}', '--ttl', '120']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /token lifetime 120 s, valid until /);
  assert.match(result.stdout, /^clamped: max_amount asked 50000, granted 25000$/m);

  const show = await approvals(['show', id]);
  assert.equal(show.code, 0, show.stderr);
  assert.match(show.stdout, /^token ttl:\s+120 s$/m);
  assert.match(show.stdout, /^granted scope:\s+\{"max_amount":25000,"max_uses":1\}$/m);
});

test('deny gives the agent the reason; a second decision is one error line', async () => {
  const id = await pendingRequest(900);
  const denied = await approvals(['deny', id, '--reason', 'too much']);
  assert.equal(denied.code, 0, denied.stderr);
  assert.equal(denied.stdout, `denied ${id} (bank.transfer by pay-bot): denied by alice: too much\n`);
  const { data } = await agentCall(`/permissions/${id}`);
  assert.equal(data.status, 'denied');
  assert.equal(data.reason, 'denied by alice: too much');

  const again = await approvals(['approve', id]);
  assert.equal(again.code, 1);
  assert.equal(again.stderr, `agent-otp: INVALID_STATE: permission ${id} is already denied\n`);
});

test('a decided request shows what happened and when, not a countdown', async () => {
  const id = await pendingRequest(700);
  const pending = await approvals(['list']);
  assert.equal(pending.code, 0, pending.stderr);
  assert.match(pending.stdout, new RegExp(`^${id} .* pending, \\d+m \\d{2}s left$`, 'm'));

  assert.equal((await approvals(['deny', id, '--reason', 'no'])).code, 0);
  const denied = await approvals(['list', '--status', 'denied']);
  assert.equal(denied.code, 0, denied.stderr);
  const row = denied.stdout.split('\n').find((line) => line.startsWith(id));
  assert.match(row ?? '', / denied \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}Z$/);
  assert.doesNotMatch(denied.stdout, /left|expired|\d+m \d{2}s/);

  const show = await approvals(['show', id]);
  assert.match(show.stdout, /^decided:\s+\d{4}-/m);
  assert.doesNotMatch(show.stdout, /^(deadline|expires|token expires):/m);
});

test('a viewer cannot decide: FORBIDDEN, and the request stays pending', async () => {
  const id = await pendingRequest(50);
  const result = await approvals(['approve', id], viewerToken);
  assert.equal(result.code, 1);
  assert.equal(result.stdout, '');
  assert.equal(result.stderr, 'agent-otp: FORBIDDEN: a viewer cannot approve or deny requests\n');
  assert.equal((await agentCall(`/permissions/${id}`)).data.status, 'pending');
});

test('a server that is not there is one line naming the URL', async () => {
  const url = `http://127.0.0.1:${await freePort()}`;
  const result = await run(['approvals', 'list', '--url', url], null, { AGENT_OTP_TOKEN: approverToken });
  assert.equal(result.code, 1);
  assert.equal(result.stdout, '');
  assert.equal(result.stderr, `agent-otp: the server is not reachable at ${url} (ECONNREFUSED)\n`);
});

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '@agent-otp/server';
import {
  ElicitationCompleteNotificationSchema,
  ElicitRequestSchema,
  type ElicitRequestURLParams,
} from '@modelcontextprotocol/sdk/types.js';
import { AgentOTPClient } from '@orrisai/agent-otp-sdk';
import {
  BIN,
  connect,
  createApprover,
  decide,
  eventually,
  FS_SERVER,
  ROOT,
  tempDir,
  textOf,
} from './helpers.ts';

const temp = tempDir();
const root = temp.dir;

const POLICY = `
- name: "New folders need a human"
  conditions: { action: { equals: "mcp.files.create_directory" } }
  action: require_approval
  approvalTimeout: 60
- name: "Default deny"
  conditions: {}
  action: deny
  priority: -1000
`;

let server: TestServer;
let apiKey: string;
let agent: AgentOTPClient;
let approver: string;

before(async () => {
  mkdirSync(join(root, 'public'));
  server = await startTestServer({ policy: POLICY });
  ({ apiKey } = await server.createAgent('mcp-guard-edges'));
  agent = new AgentOTPClient({ apiKey, baseUrl: server.url });
  approver = await createApprover(server);
});

after(async () => {
  await server?.close();
  temp.remove();
});

const guardArgs = ['guard', '--name', 'files', '--', process.execPath, FS_SERVER, root];

/** A port nothing listens on: bound by the OS, then released. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

test('without AGENT_OTP_KEY the guard says so at start and in every call, and still serves', async () => {
  const guard = await connect(guardArgs, {});
  try {
    await eventually(async () => (guard.stderr().includes('AGENT_OTP_KEY is not set') ? true : undefined));
    assert.ok((await guard.client.listTools()).tools.length > 0);
    const path = join(root, 'public', 'no-key');
    const result = await guard.client.callTool({ name: 'create_directory', arguments: { path } });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /AGENT_OTP_KEY is not set.*The tool did not run/);
    assert.equal(existsSync(path), false);
    assert.deepEqual(guard.errors, []);
  } finally {
    await guard.close();
  }
});

test('an unreachable server is reported at start and as the error of each call', async () => {
  const url = `http://127.0.0.1:${await closedPort()}`;
  const guard = await connect(guardArgs, { AGENT_OTP_KEY: apiKey, AGENT_OTP_URL: url });
  try {
    await eventually(async () => (guard.stderr().includes('cannot reach') ? true : undefined));
    assert.match(guard.stderr(), new RegExp(`cannot reach the Agent OTP server at ${url}`));
    const path = join(root, 'public', 'offline');
    const result = await guard.client.callTool({ name: 'create_directory', arguments: { path } });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /cannot reach the Agent OTP server/);
    assert.equal(existsSync(path), false);
  } finally {
    await guard.close();
  }
});

test('a key the server does not know is reported as refused', async () => {
  const guard = await connect(guardArgs, {
    AGENT_OTP_KEY: `ak_${'x'.repeat(43)}`,
    AGENT_OTP_URL: server.url,
  });
  try {
    const result = await guard.client.callTool({ name: 'list_allowed_directories', arguments: {} });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /refused AGENT_OTP_KEY/);
  } finally {
    await guard.close();
  }
});

test('a client with URL elicitation is offered the approval page, and told when it is decided', async () => {
  const guard = await connect(
    guardArgs,
    { AGENT_OTP_KEY: apiKey, AGENT_OTP_URL: server.url },
    { capabilities: { elicitation: { url: {} } } },
  );
  const offered: ElicitRequestURLParams[] = [];
  const completed: string[] = [];
  guard.client.setRequestHandler(ElicitRequestSchema, (request) => {
    offered.push(request.params as ElicitRequestURLParams);
    return { action: 'accept' };
  });
  guard.client.setNotificationHandler(ElicitationCompleteNotificationSchema, (n) => {
    completed.push(n.params.elicitationId);
  });
  try {
    const path = join(root, 'public', 'elicited');
    const call = guard.client.callTool({ name: 'create_directory', arguments: { path } });
    const request = await eventually(async () => offered[0]);
    assert.equal(request.mode, 'url');
    const view = await agent.getPermission(request.elicitationId);
    assert.equal(view.status, 'pending');
    assert.match(request.url, new RegExp(request.elicitationId));
    assert.equal(await decide(server, approver, request.elicitationId, 'approve'), 200);
    assert.equal((await call).isError, undefined);
    assert.equal(existsSync(path), true);
    await eventually(async () => (completed.includes(request.elicitationId) ? true : undefined));
  } finally {
    await guard.close();
  }
});

test('declining the approval page cancels the request, and the tool does not run', async () => {
  const guard = await connect(
    guardArgs,
    { AGENT_OTP_KEY: apiKey, AGENT_OTP_URL: server.url },
    { capabilities: { elicitation: { url: {} } } },
  );
  let id = '';
  guard.client.setRequestHandler(ElicitRequestSchema, (request) => {
    id = (request.params as ElicitRequestURLParams).elicitationId;
    return { action: 'decline' };
  });
  try {
    const path = join(root, 'public', 'declined');
    const result = await guard.client.callTool({ name: 'create_directory', arguments: { path } });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /declined to open the approval page/);
    assert.equal((await agent.getPermission(id)).status, 'cancelled');
    assert.equal(existsSync(path), false);
  } finally {
    await guard.close();
  }
});

test('--timeout bounds the wait: no decision in time cancels the request, and the tool does not run', async () => {
  const args = ['guard', '--name', 'files', '--timeout', '1', '--', process.execPath, FS_SERVER, root];
  const guard = await connect(args, { AGENT_OTP_KEY: apiKey, AGENT_OTP_URL: server.url });
  try {
    const path = join(root, 'public', 'too-late');
    const result = await guard.client.callTool({ name: 'create_directory', arguments: { path } });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /no decision within 1 s; request cancelled/);
    const [latest] = (await agent.listPermissions({ action: 'mcp.files.create_directory' })).data;
    assert.equal(latest?.status, 'cancelled');
    assert.equal(existsSync(path), false);
  } finally {
    await guard.close();
  }
});

test('a bad --name or a wrapped server that does not start ends the guard with one clear line', () => {
  const run = (args: string[]) =>
    spawnSync(process.execPath, [BIN, 'guard', ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      input: '',
      timeout: 60_000,
    });
  const badName = run(['--name', 'a.b', '--', process.execPath, FS_SERVER, root]);
  assert.equal(badName.status, 1);
  assert.equal(badName.stdout, '');
  assert.match(badName.stderr, /--name must be 1-64 letters/);
  const missing = run(['--name', 'x', '--', join(root, 'no-such-server')]);
  assert.equal(missing.status, 1);
  assert.equal(missing.stdout, '');
  assert.match(missing.stderr, /could not start the wrapped MCP server/);
});

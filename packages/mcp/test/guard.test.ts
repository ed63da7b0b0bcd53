import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '@agent-otp/server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { AgentOTPClient } from '@orrisai/agent-otp-sdk';
import {
  connect,
  createApprover,
  decide,
  eventually,
  FS_SERVER,
  literal,
  type Session,
  tempDir,
  textOf,
} from './helpers.ts';

const temp = tempDir();
const root = temp.dir;
// One path segment that cannot be `.` or `..`: no climbing out of public/ by traversal.
const SEGMENT = '[A-Za-z0-9_-][A-Za-z0-9._-]*';
const IN_PUBLIC = `^${literal(root)}/public/(${SEGMENT}/)*${SEGMENT}$`;

/** Reads under public/ run at once; new folders there need a human; anything else is denied. */
const POLICY = `
- name: "Reads in public"
  conditions: { action: { equals: "mcp.fs.read_text_file" } }
  action: auto_approve
  enforcement: strict
  scopeTemplate: { path_pattern: '${IN_PUBLIC}' }
- name: "New folders need a human"
  conditions: { action: { equals: "mcp.fs.create_directory" } }
  action: require_approval
  approvalTimeout: 60
  enforcement: strict
  scopeTemplate: { path_pattern: '${IN_PUBLIC}' }
- name: "Default deny"
  conditions: {}
  action: deny
  priority: -1000
`;

let server: TestServer;
let apiKey: string;
let agent: AgentOTPClient;
let approver: string;
let guard: Session;
const logs: string[] = [];

before(async () => {
  mkdirSync(join(root, 'public'));
  writeFileSync(join(root, 'public', 'hello.txt'), 'hello from public');
  writeFileSync(join(root, 'secret.txt'), 'the secret');
  server = await startTestServer({ policy: POLICY });
  ({ apiKey } = await server.createAgent('mcp-guard-test'));
  agent = new AgentOTPClient({ apiKey, baseUrl: server.url });
  approver = await createApprover(server);
  guard = await connect(['guard', '--name', 'fs', '--', process.execPath, FS_SERVER, root], {
    AGENT_OTP_KEY: apiKey,
    AGENT_OTP_URL: server.url,
  });
  guard.client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => {
    logs.push(String(n.params.data));
  });
});

after(async () => {
  await guard?.close();
  await server?.close();
  temp.remove();
});

/** The agent's permissions for one action, newest first. */
async function permissionsFor(tool: string) {
  return (await agent.listPermissions({ action: `mcp.fs.${tool}` })).data;
}

test("the guard lists the wrapped server's tools unchanged", async () => {
  const direct = new Client({ name: 'direct', version: '1.0.0' });
  await direct.connect(
    new StdioClientTransport({ command: process.execPath, args: [FS_SERVER, root], stderr: 'ignore' }),
  );
  try {
    assert.deepEqual(await guard.client.listTools(), await direct.listTools());
  } finally {
    await direct.close();
  }
  await eventually(async () =>
    guard.stderr().includes('connected to the Agent OTP server') ? true : undefined,
  );
});

test('a read the policy allows runs, and its token is spent with the real arguments', async () => {
  const path = join(root, 'public', 'hello.txt');
  const result = await guard.client.callTool({ name: 'read_text_file', arguments: { path } });
  assert.equal(result.isError, undefined, textOf(result));
  assert.equal(textOf(result), 'hello from public');
  const [permission] = await permissionsFor('read_text_file');
  assert.equal(permission?.status, 'used');
  assert.equal(permission?.resource, 'mcp:fs/read_text_file');
  assert.deepEqual(permission?.context, { arguments: { path } });
});

test('a read outside the path bound by the policy is refused by the scope, before the tool runs', async () => {
  for (const path of [join(root, 'secret.txt'), `${root}/public/../secret.txt`]) {
    const result = await guard.client.callTool({ name: 'read_text_file', arguments: { path } });
    assert.equal(result.isError, true);
    assert.match(textOf(result), /SCOPE_VIOLATION/);
    assert.match(textOf(result), /The tool did not run/);
    assert.doesNotMatch(textOf(result), /the secret/);
  }
  // Granted by the policy, refused at use: nothing was spent.
  const latest = (await permissionsFor('read_text_file'))[0];
  assert.equal(latest?.status, 'approved');
});

test('a write the policy denies is a tool error with the reason, and nothing is written', async () => {
  const path = join(root, 'public', 'new.txt');
  const result = await guard.client.callTool({ name: 'write_file', arguments: { path, content: 'x' } });
  assert.equal(result.isError, true);
  assert.match(textOf(result), /agent-otp refused mcp\.fs\.write_file: perm_\S+ was denied: .*Default deny/);
  assert.equal(existsSync(path), false);
});

test('a call that needs approval sends the link, waits, and runs once a human approves', async () => {
  const path = join(root, 'public', 'reports');
  const progress: string[] = [];
  const call = guard.client.callTool({ name: 'create_directory', arguments: { path } }, undefined, {
    onprogress: (p) => progress.push(p.message ?? ''),
  });
  const pending = await eventually(async () =>
    (await permissionsFor('create_directory')).find((p) => p.status === 'pending'),
  );
  await eventually(async () => (logs.some((l) => l.includes(pending.id)) ? true : undefined));
  assert.match(
    logs.find((l) => l.includes(pending.id)) ?? '',
    /Approval needed for mcp\.fs\.create_directory .*http/,
  );
  assert.ok(progress.some((m) => m.includes(pending.id)));
  assert.equal(existsSync(path), false, 'nothing runs before the approval');
  assert.equal(await decide(server, approver, pending.id, 'approve'), 200);
  const result = await call;
  assert.equal(result.isError, undefined, textOf(result));
  assert.equal(existsSync(path), true);
  assert.equal((await agent.getPermission(pending.id)).status, 'used');
});

test('a human denial is a tool error and the tool never runs', async () => {
  const path = join(root, 'public', 'denied');
  const call = guard.client.callTool({ name: 'create_directory', arguments: { path } });
  const pending = await eventually(async () =>
    (await permissionsFor('create_directory')).find((p) => p.status === 'pending'),
  );
  assert.equal(await decide(server, approver, pending.id, 'deny'), 200);
  const result = await call;
  assert.equal(result.isError, true);
  assert.match(textOf(result), new RegExp(`${pending.id} was denied`));
  assert.equal(existsSync(path), false);
});

test("nothing but MCP messages came on the guard's stdout", () => {
  assert.deepEqual(guard.errors, []);
});

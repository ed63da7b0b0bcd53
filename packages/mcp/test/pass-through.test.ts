import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startTestServer, type TestServer } from '@agent-otp/server';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { AgentOTPClient } from '@orrisai/agent-otp-sdk';
import { connect, eventually, ROOT, type Session, textOf } from './helpers.ts';

const NOTES = ['--import', 'tsx', join(ROOT, 'packages/mcp/test/fixtures/notes-server.ts')];
const POLICY = `
- name: "Notes may be added"
  conditions: { action: { equals: "mcp.notes.add_note" } }
  action: auto_approve
  scopeTemplate: { text_pattern: '^[a-z ]+$' }
- name: "Default deny"
  conditions: {}
  action: deny
  priority: -1000
`;

let server: TestServer;
let guard: Session;
let direct: Client;
let agent: AgentOTPClient;

before(async () => {
  server = await startTestServer({ policy: POLICY });
  const { apiKey } = await server.createAgent('mcp-pass-through');
  agent = new AgentOTPClient({ apiKey, baseUrl: server.url });
  guard = await connect(['guard', '--name', 'notes', '--', process.execPath, ...NOTES], {
    AGENT_OTP_KEY: apiKey,
    AGENT_OTP_URL: server.url,
  });
  direct = new Client({ name: 'direct', version: '1.0.0' });
  await direct.connect(new StdioClientTransport({ command: process.execPath, args: NOTES, cwd: ROOT }));
});

after(async () => {
  await guard?.close();
  await direct?.close();
  await server?.close();
});

test('resources, resource templates and prompts of the wrapped server pass through unchanged', async () => {
  const g = guard.client;
  assert.deepEqual(await g.listResources(), await direct.listResources());
  assert.deepEqual(await g.listResourceTemplates(), await direct.listResourceTemplates());
  assert.deepEqual(await g.readResource({ uri: 'note://7' }), await direct.readResource({ uri: 'note://7' }));
  assert.deepEqual(await g.listPrompts(), await direct.listPrompts());
  const prompt = { name: 'summarize', arguments: { topic: 'permissions' } };
  assert.deepEqual(await g.getPrompt(prompt), await direct.getPrompt(prompt));
  assert.equal(g.getInstructions(), 'Notes for tests.');
  assert.deepEqual(g.getServerCapabilities()?.resources, direct.getServerCapabilities()?.resources);
});

test('the arguments are checked against the scope the policy bound', async () => {
  const allowed = await guard.client.callTool({ name: 'add_note', arguments: { text: 'buy milk' } });
  assert.equal(textOf(allowed), 'added: buy milk');
  const refused = await guard.client.callTool({ name: 'add_note', arguments: { text: 'rm -rf /' } });
  assert.equal(refused.isError, true);
  assert.match(textOf(refused), /SCOPE_VIOLATION/);
});

test("the wrapped server gets the guard's environment without the agent's key", async () => {
  const result = await guard.client.callTool({ name: 'add_note', arguments: { text: 'env' } });
  assert.equal(textOf(result), 'env: AGENT_OTP_URL');
});

test('after the wrapped server exits, calls fail with a tool error and ask for no permission', async () => {
  assert.equal(
    textOf(await guard.client.callTool({ name: 'add_note', arguments: { text: 'quit' } })),
    'added: quit',
  );
  await eventually(async () => (guard.stderr().includes('exited') ? true : undefined));
  const before = (await agent.listPermissions()).data.length;
  const result = await guard.client.callTool({ name: 'add_note', arguments: { text: 'more' } });
  assert.equal(result.isError, true);
  assert.match(textOf(result), /the wrapped MCP server .* has exited/);
  assert.equal((await agent.listPermissions()).data.length, before);
});

import { startTestServer } from '@agent-otp/server';

/**
 * The real server with a policy for the benchmark, in its own process so the load generator
 * does not share its event loop. Prints the port, an agent key, pre-made tokens for the use
 * scenario (one token per use: every use is a real one-time spend), and an approver's user
 * token for the approval scenario (`bank.*` waits for a human).
 */
const POLICY = `
- name: bench reads
  conditions: { action: { equals: file.read } }
  action: auto_approve
  scopeTemplate: { max_size: 1048576 }
- name: bench transfers
  conditions: { action: { startsWith: bank. } }
  action: require_approval
  approvalTimeout: 600
`;

const tokensWanted = Number(process.argv[2] ?? '0');
const server = await startTestServer({
  policy: POLICY,
  env: { AGENT_OTP_RATE_LIMIT: '1000000', AGENT_OTP_LOG_LEVEL: 'warn' },
});
const { apiKey } = await server.createAgent('bench-agent');
const agent = await server.runtime.agents.authenticate(apiKey);
const permits: { id: string; token: string }[] = [];
for (let i = 0; i < tokensWanted; i++) {
  const outcome = await server.runtime.permissions.request(agent, {
    action: 'file.read',
    scope: { max_size: 1000 },
    ttl: 3600,
  });
  if (outcome.status === 'approved') permits.push({ id: outcome.permission.id, token: outcome.token });
}
const system = { type: 'system', id: 'bench' } as const;
await server.runtime.users.create({ name: 'bench-approver', role: 'approver' }, system);
const { token: userToken } = await server.runtime.users.createToken('bench-approver', 'bench', system);
process.stdout.write(`${JSON.stringify({ ready: true, port: server.port, apiKey, userToken, permits })}\n`);
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));

import { getHeapSpaceStatistics } from 'node:v8';
import { startTestServer } from '@agent-otp/server';

/**
 * The real server with a policy for the benchmark, in its own process so the load generator
 * does not share its event loop. Prints the port, an agent key, pre-made tokens for the use
 * scenario (one token per use: every use is a real one-time spend), and an approver's user
 * token for the approval scenario (`bank.*` waits for a human).
 *
 * The store and cluster settings (DATABASE_URL, REDIS_URL, AGENT_OTP_REDIS_PREFIX,
 * AGENT_OTP_SERVER_SECRET_FILE) come from the environment when set; SQLite in a fresh data
 * directory otherwise. `--join` starts another instance on a database a first one set up:
 * no agent, tokens or users are made, only the port is printed.
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

const join = process.argv.includes('--join');
const tokensWanted = Number(process.argv.find((arg) => /^\d+$/.test(arg)) ?? '0');
const passed = ['DATABASE_URL', 'REDIS_URL', 'AGENT_OTP_REDIS_PREFIX', 'AGENT_OTP_SERVER_SECRET_FILE'];
const fromEnv = Object.fromEntries(
  passed.flatMap((name) => (process.env[name] ? [[name, process.env[name] as string]] : [])),
);
const server = await startTestServer({
  policy: POLICY,
  env: { AGENT_OTP_RATE_LIMIT: '1000000', AGENT_OTP_LOG_LEVEL: 'warn', ...fromEnv },
});
process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
// Where the memory is, on request (the soak asks at its end): one JSON line on stderr.
process.on('SIGUSR2', () => {
  const mb = (bytes: number) => Math.round((bytes / 1048576) * 10) / 10;
  const usage = Object.fromEntries(Object.entries(process.memoryUsage()).map(([k, v]) => [k, mb(v)]));
  const spaces = Object.fromEntries(
    getHeapSpaceStatistics().map((s) => [s.space_name, mb(s.physical_space_size)]),
  );
  process.stderr.write(`${JSON.stringify({ memory: usage, heapSpacesMb: spaces })}\n`);
});
if (join) {
  process.stdout.write(`${JSON.stringify({ ready: true, port: server.port })}\n`);
} else {
  await setUp();
}

async function setUp() {
  const { apiKey } = await server.createAgent('bench-agent');
  const agent = await server.runtime.agents.authenticate(apiKey);
  const permits: { id: string; token: string }[] = [];
  // Several requests in flight: SQLite group-commits them, PostgreSQL runs them on its pool.
  let made = 0;
  const worker = async () => {
    while (made < tokensWanted) {
      made++;
      const outcome = await server.runtime.permissions.request(agent, {
        action: 'file.read',
        scope: { max_size: 1000 },
        ttl: 3600,
      });
      if (outcome.status === 'approved') permits.push({ id: outcome.permission.id, token: outcome.token });
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
  const system = { type: 'system', id: 'bench' } as const;
  await server.runtime.users.create({ name: 'bench-approver', role: 'approver' }, system);
  const { token: userToken } = await server.runtime.users.createToken('bench-approver', 'bench', system);
  process.stdout.write(`${JSON.stringify({ ready: true, port: server.port, apiKey, userToken, permits })}\n`);
}

import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRuntime, parseConfig, type Runtime } from '../src/index.ts';
import { type ChildServer, runCli, startChildServer } from './child-server.ts';
import type { ClusterSetup, PreparedSetup } from './cluster-setups.ts';

/**
 * Several real server processes (`agent-otp serve`) sharing one state, as behind a load
 * balancer: started on a setup (cluster-setups.ts), ready when each answers /healthz, killed
 * with SIGKILL or stopped with SIGTERM one by one, restarted on the same environment.
 */

export const CLUSTER_ADMIN_PASSWORD = 'cluster-test-admin-password';

export interface Cluster {
  setup: PreparedSetup;
  instances: ChildServer[];
  urls(): string[];
  /** Instance i's environment (its data directory, the setup's services). */
  env(i: number): Record<string, string | undefined>;
  /** Starts instance i again (after a kill or stop) on the same environment. */
  restart(i: number): Promise<ChildServer>;
  /** A runtime in this process on the same state, for set-up and for reading what was stored. */
  withRuntime<T>(use: (runtime: Runtime) => Promise<T>): Promise<T>;
  /** `agent-otp <args>` on instance 0's environment. */
  cli(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  close(): Promise<void>;
}

export async function startCluster(
  setupDefinition: ClusterSetup,
  options: { instances?: number; policy: string; env?: Record<string, string> },
): Promise<Cluster> {
  const count = options.instances ?? 2;
  const root = mkdtempSync(join(tmpdir(), 'agent-otp-cluster-'));
  const setup = await setupDefinition.prepare();
  const shared = join(root, 'shared');
  mkdirSync(shared, { mode: 0o700 });
  writeFileSync(join(shared, 'policies.yaml'), options.policy);
  // One server secret for every instance: API keys and tokens hashed on one verify on another.
  const secret = randomBytes(32).toString('hex');
  const envs = Array.from({ length: count }, (_, i) => {
    const dataDir = setup.sharedDataDir ? shared : join(root, `instance-${i}`);
    if (!setup.sharedDataDir) {
      mkdirSync(dataDir, { mode: 0o700 });
      writeFileSync(join(dataDir, 'server-secret'), secret, { mode: 0o600 });
    } else if (i === 0) {
      writeFileSync(join(dataDir, 'server-secret'), secret, { mode: 0o600 });
    }
    return {
      AGENT_OTP_DATA_DIR: dataDir,
      AGENT_OTP_POLICY_FILE: join(shared, 'policies.yaml'),
      AGENT_OTP_AUDIT_CHECKPOINT_FILE: join(shared, 'audit-checkpoints.jsonl'),
      AGENT_OTP_ADMIN_PASSWORD: CLUSTER_ADMIN_PASSWORD,
      AGENT_OTP_POLICY_WATCH: 'false',
      AGENT_OTP_RATE_LIMIT: '1000000',
      ...setup.env,
      ...options.env,
    };
  });

  const withRuntime = async <T>(use: (runtime: Runtime) => Promise<T>): Promise<T> => {
    const runtime = await createRuntime(parseConfig({ ...envs[0], AGENT_OTP_LOG_LEVEL: 'silent' }));
    try {
      return await use(runtime);
    } finally {
      await runtime.close();
    }
  };
  // Migrate once before the instances race to.
  await withRuntime(async () => undefined);

  const instances: ChildServer[] = [];
  const cluster: Cluster = {
    setup,
    instances,
    urls: () => instances.map((instance) => instance.url),
    env: (i) => envs[i] as Record<string, string | undefined>,
    async restart(i) {
      const started = await startChildServer(envs[i] as Record<string, string | undefined>);
      instances[i] = started;
      return started;
    },
    withRuntime,
    cli: (args) => runCli(args, envs[0] as Record<string, string | undefined>),
    async close() {
      await Promise.all(
        instances.map((instance) =>
          instance.process.exitCode === null && instance.process.signalCode === null ? instance.kill() : null,
        ),
      );
      await setup.cleanup();
      rmSync(root, { recursive: true, force: true });
    },
  };
  try {
    const started = await Promise.all(envs.map((env) => startChildServer(env)));
    instances.push(...started);
    await checkOneDatabase(cluster);
  } catch (error) {
    await cluster.close();
    throw error;
  }
  return cluster;
}

/**
 * Every instance must see what was written through another: an agent created here must be known
 * to each. Otherwise the instances silently run on separate databases (a store that ignored
 * DATABASE_URL) and every later assertion would mislead.
 */
async function checkOneDatabase(cluster: Cluster): Promise<void> {
  const apiKey = await cluster.withRuntime(async (runtime) => {
    const created = await runtime.agents.create(`probe-${randomBytes(3).toString('hex')}`, {
      type: 'system',
      id: 'cluster-test',
    });
    return created.apiKey;
  });
  for (const url of cluster.urls()) {
    const response = await fetch(`${url}/api/v1/permissions?limit=1`, {
      headers: { authorization: `Bearer ${apiKey}` },
    });
    if (response.status !== 200) {
      throw new Error(
        `instance ${url} does not see the shared database (answer ${response.status}): is DATABASE_URL honoured by the store?`,
      );
    }
  }
}

/** An agent and an approver's personal token on the cluster's state. */
export async function clusterActors(cluster: Cluster): Promise<{ agentKey: string; userToken: string }> {
  return cluster.withRuntime(async (runtime) => {
    const actor = { type: 'system' as const, id: 'cluster-test' };
    const tag = randomBytes(3).toString('hex');
    const { apiKey } = await runtime.agents.create(`cluster-bot-${tag}`, actor);
    const { user } = await runtime.users.create({ name: `approver-${tag}`, role: 'approver' }, actor);
    const { token } = await runtime.users.createToken(user.id, 'cluster-test', actor);
    return { agentKey: apiKey, userToken: token };
  });
}

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from './config.ts';
import type { RuntimeOptions } from './runtime.ts';
import { type RunningServer, startServer } from './server.ts';

/**
 * The database of one test app. With AGENT_OTP_TEST_STORE=postgres each test app gets a new
 * PostgreSQL database (named agent_otp_t_…, on the server the store's tests use), dropped by
 * `drop()`; otherwise `env` is empty and the app uses the SQLite file in its data directory.
 */
export async function testDatabase(
  /** The test's own environment: when it names a DATABASE_URL already, that database is used. */
  env: Record<string, string> = {},
): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  const kind = process.env.AGENT_OTP_TEST_STORE ?? 'sqlite';
  if (kind === 'sqlite' || env.DATABASE_URL !== undefined) return { env: {}, drop: async () => undefined };
  if (kind !== 'postgres') throw new Error(`AGENT_OTP_TEST_STORE must be sqlite or postgres, not ${kind}`);
  // Loaded only here: test support, never part of a running server.
  const { createTestDatabase } = await import('@agent-otp/store/postgres-test-db');
  const db = await createTestDatabase();
  return { env: { DATABASE_URL: db.url }, drop: () => db.drop() };
}

/** The password of the `admin` user of a test server (unless `env` sets another). */
export const TEST_ADMIN_PASSWORD = 'test-admin-password';

export interface TestServer extends RunningServer {
  dataDir: string;
  /** Creates an agent directly through the service and returns its one-time API key. */
  createAgent(name: string): Promise<{ id: string; apiKey: string }>;
}

/**
 * A real server on a loopback port with a fresh data directory, for tests of the SDK, the CLI
 * and the HTTP API. `policy` is the YAML of policies.yaml (the default file when omitted).
 */
export async function startTestServer(
  options: {
    policy?: string;
    env?: Record<string, string>;
    runtime?: RuntimeOptions & { fastPath?: boolean };
  } = {},
): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'agent-otp-test-'));
  const database = await testDatabase(options.env);
  if (options.policy !== undefined) writeFileSync(join(dataDir, 'policies.yaml'), options.policy);
  const config = parseConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    AGENT_OTP_DATA_DIR: dataDir,
    AGENT_OTP_LOG_LEVEL: 'silent',
    AGENT_OTP_POLICY_WATCH: 'false',
    // A known admin password, so first start prints none (tests log in with it when they need to).
    AGENT_OTP_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
    ...database.env,
    ...options.env,
  });
  let server: RunningServer;
  try {
    server = await startServer(config, options.runtime);
  } catch (error) {
    await database.drop();
    throw error;
  }
  return {
    ...server,
    dataDir,
    async createAgent(name) {
      const { agent, apiKey } = await server.runtime.agents.create(name, { type: 'system', id: 'test' });
      return { id: agent.id, apiKey };
    },
    async close() {
      await server.close();
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

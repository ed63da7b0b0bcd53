import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createClient } from 'redis';
import { createLogger, parseConfig } from '../src/index.ts';
import { type RunningServer, startServer } from '../src/server.ts';

export const SHARED_REDIS = 'redis://127.0.0.1:6379';
const REQUIRE = process.env.AGENT_OTP_REQUIRE_SERVICES === '1';

/**
 * `false` when the service answers; else the reason to skip (node:test's `skip` option). With
 * AGENT_OTP_REQUIRE_SERVICES=1 a missing service fails the run instead.
 */
export async function serviceSkip(name: string, probe: () => Promise<unknown>): Promise<string | false> {
  try {
    await probe();
    return false;
  } catch (error) {
    const reason = `${name} is not reachable (${(error as Error).message}); start it or these tests are skipped`;
    if (REQUIRE) throw new Error(`AGENT_OTP_REQUIRE_SERVICES=1: ${reason}`);
    return reason;
  }
}

export function redisSkip(url = SHARED_REDIS) {
  return serviceSkip(`Redis at ${url}`, async () => {
    const client = createClient({ url, socket: { connectTimeout: 1000, reconnectStrategy: false } });
    client.on('error', () => undefined);
    await client.connect();
    try {
      await client.ping();
    } finally {
      client.destroy();
    }
  });
}

/** A key prefix no other test or deployment uses. */
export const uniquePrefix = () => `agent-otp-test:${randomBytes(6).toString('hex')}:`;

/** Deletes every key under `prefix` on the shared Redis. */
export async function cleanRedis(prefix: string, url = SHARED_REDIS) {
  const client = createClient({ url });
  client.on('error', () => undefined);
  await client.connect();
  try {
    for await (const keys of client.scanIterator({ MATCH: `${prefix}*`, COUNT: 100 }))
      if (keys.length > 0) await client.del(keys);
  } finally {
    client.destroy();
  }
}

export interface Instance extends RunningServer {
  logs(): string;
}

/**
 * Instances of one deployment: real servers on loopback ports over one data directory, so they
 * share the SQLite file and the server secret (an agent's key works on every instance).
 */
export async function startInstances(
  count: number,
  options: { env: Record<string, string>; policy?: string; dataDir?: string },
) {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'agent-otp-cluster-'));
  if (options.policy !== undefined) writeFileSync(join(dataDir, 'policies.yaml'), options.policy);
  const instances: Instance[] = [];
  for (let i = 0; i < count; i++) {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const config = parseConfig({
      PORT: '0',
      HOST: '127.0.0.1',
      AGENT_OTP_DATA_DIR: dataDir,
      AGENT_OTP_POLICY_WATCH: 'false',
      AGENT_OTP_ADMIN_PASSWORD: 'test-admin-password',
      AGENT_OTP_INSTANCE_ID: `instance-${i}`,
      ...options.env,
    });
    const server = await startServer(config, { logger: createLogger('debug', sink) });
    instances.push({ ...server, logs: () => lines.join('') });
  }
  return {
    instances,
    dataDir,
    async close() {
      for (const instance of instances) await instance.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** A redis-server of the test's own on a free port, to stop and start again. */
export async function ownRedis() {
  const port = await freePort();
  let child: ChildProcess | null = null;
  const url = `redis://127.0.0.1:${port}`;
  async function start() {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      {
        stdio: 'ignore',
      },
    );
    const until = Date.now() + 5000;
    while ((await redisSkip(url).catch(() => 'down')) !== false) {
      if (Date.now() > until) throw new Error('redis-server did not start');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  async function stop() {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  }
  await start();
  return { url, port, start, stop };
}

/** Polls `check` until it holds or `ms` pass. */
export async function eventually(check: () => Promise<boolean> | boolean, ms = 5000, every = 50) {
  const until = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > until) return false;
    await new Promise((resolve) => setTimeout(resolve, every));
  }
  return true;
}

export async function json(url: string, init: RequestInit = {}) {
  const response = await fetch(url, init);
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers field by field
  return { status: response.status, body: (await response.json()) as any, headers: response.headers };
}

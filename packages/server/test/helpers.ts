import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createFixedClock } from '@agent-otp/core';
import { createLogger, createRuntime, parseConfig, type Runtime, testDatabase } from '../src/index.ts';

export interface TestRuntime {
  runtime: Runtime;
  clock: ReturnType<typeof createFixedClock>;
  /** Every log line written so far, as text (to prove no secret reaches the logs). */
  logs(): string;
  dataDir: string;
  agent(name: string): Promise<{ id: string; apiKey: string }>;
  /** In-process request against the real app, with JSON helpers. */
  call(
    method: string,
    path: string,
    options?: { key?: string; body?: unknown; raw?: string; headers?: Record<string, string> },
    // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers field by field
  ): Promise<{ status: number; body: any; headers: Headers }>;
  close(): Promise<void>;
}

/**
 * A real runtime (SQLite file in a temp dir, or a fresh PostgreSQL database with
 * AGENT_OTP_TEST_STORE=postgres; real policy file) driven in process with a fixed clock.
 */
export async function createTestRuntime(options: { policy?: string; env?: Record<string, string> } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'agent-otp-api-'));
  if (options.policy !== undefined) writeFileSync(join(dataDir, 'policies.yaml'), options.policy);
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const clock = createFixedClock(Date.UTC(2026, 5, 1, 12));
  const database = await testDatabase(options.env);
  const config = parseConfig({
    AGENT_OTP_DATA_DIR: dataDir,
    AGENT_OTP_POLICY_WATCH: 'false',
    AGENT_OTP_PUBLIC_URL: 'https://otp.example.com',
    ...database.env,
    ...options.env,
  });
  let runtime: Runtime;
  try {
    runtime = await createRuntime(config, { clock, logger: createLogger('debug', sink) });
  } catch (error) {
    await database.drop();
    throw error;
  }
  const test: TestRuntime = {
    runtime,
    clock,
    dataDir,
    logs: () => lines.join(''),
    async agent(name) {
      const { agent, apiKey } = await runtime.agents.create(name, { type: 'system', id: 'test' });
      return { id: agent.id, apiKey };
    },
    async call(method, path, { key, body, raw, headers = {} } = {}) {
      const init: RequestInit = { method, headers: { ...headers } };
      const h = init.headers as Record<string, string>;
      if (key) h.authorization = `Bearer ${key}`;
      if (body !== undefined || raw !== undefined) {
        h['content-type'] ??= 'application/json';
        init.body = raw ?? JSON.stringify(body);
      }
      const response = await runtime.app.request(path, init);
      const text = await response.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      return { status: response.status, body: parsed, headers: response.headers };
    },
    async close() {
      await runtime.close();
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return test;
}

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { createFixedClock, type UserRole } from '@agent-otp/core';
import { createLogger, createRuntime, parseConfig, type Runtime } from '@agent-otp/server';

export const ADMIN_PASSWORD = 'correct horse battery staple';

/** `bank.*` waits for a human; everything else is auto-approved or denied as usual. */
export const BANK_POLICY = `
- name: "Banking needs a human"
  conditions: { action: { startsWith: "bank." } }
  action: require_approval
  priority: 100
  approvalTimeout: 600
  scopeTemplate: { max_amount: 500 }
- name: "File reads are fine"
  conditions: { action: { equals: "file.read" } }
  action: auto_approve
- name: "Default deny"
  conditions: {}
  action: deny
  priority: -1000
`;

export interface Browserless {
  cookie: string;
  csrf: string;
}

export interface Response {
  status: number;
  text: string;
  headers: Headers;
}

/**
 * A real runtime (SQLite in a temp dir, real policy file, fixed clock) whose app is driven in
 * process the way a browser would: form posts, cookies, the CSRF token read from the page.
 */
export async function createDashboardRuntime(options: { policy?: string } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'agent-otp-dash-'));
  writeFileSync(join(dataDir, 'policies.yaml'), options.policy ?? BANK_POLICY);
  const clock = createFixedClock(Date.UTC(2026, 5, 1, 12));
  const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
  const config = parseConfig({ AGENT_OTP_DATA_DIR: dataDir, AGENT_OTP_POLICY_WATCH: 'false' });
  const runtime: Runtime = await createRuntime(config, { clock, logger: createLogger('silent', sink) });
  await runtime.users.ensureAdmin(ADMIN_PASSWORD);

  async function request(
    method: string,
    path: string,
    options: {
      as?: Browserless;
      /** A list sends the field once per value, as ticked checkboxes do. */
      form?: Record<string, string | string[]>;
      headers?: Record<string, string>;
    } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.as) headers.cookie = options.as.cookie;
    let body: string | undefined;
    if (options.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      const pairs = Object.entries(options.form).flatMap(([name, value]) =>
        (Array.isArray(value) ? value : [value]).map((v) => [name, v]),
      );
      body = new URLSearchParams(pairs).toString();
    }
    const response = await runtime.app.request(path, { method, headers, body, redirect: 'manual' });
    return { status: response.status, text: await response.text(), headers: response.headers };
  }

  async function login(name: string, password: string): Promise<Browserless> {
    const response = await request('POST', '/login', { form: { name, password } });
    const setCookie = response.headers.get('set-cookie') ?? '';
    const cookie = setCookie.split(';')[0] ?? '';
    if (response.status !== 303 || !cookie) throw new Error(`login failed: ${response.status}`);
    const page = await request('GET', '/', { as: { cookie, csrf: '' } });
    const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(page.text)?.[1] ?? '';
    return { cookie, csrf };
  }

  return {
    runtime,
    clock,
    request,
    login,
    loginAdmin: () => login('admin', ADMIN_PASSWORD),
    async user(name: string, role: UserRole) {
      const password = `${name}-password-123`;
      await runtime.users.create({ name, role, password }, { type: 'system', id: 'test' });
      return login(name, password);
    },
    async agent(name: string) {
      const { agent, apiKey } = await runtime.agents.create(name, { type: 'system', id: 'test' });
      return { id: agent.id, apiKey, agent };
    },
    /** An agent's request through the service (as the API would make it). */
    async ask(agent: Awaited<ReturnType<typeof runtime.agents.create>>['agent'], action = 'bank.transfer') {
      return runtime.permissions.request(agent, {
        action,
        resource: 'account:acme-savings',
        scope: { max_amount: 1000, currency: 'EUR' },
        context: { reason: 'Pay invoice 42 to ACME' },
      });
    },
    async close() {
      await runtime.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export type DashboardRuntime = Awaited<ReturnType<typeof createDashboardRuntime>>;

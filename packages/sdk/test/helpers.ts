import { startTestServer, type TestServer } from '@agent-otp/server';
import { AgentOTPClient, type AgentOTPClientOptions } from '../src/index.ts';

/**
 * Policies the SDK tests run against: one rule per path of the API the SDK must handle.
 * `approvalTimeout: 60` keeps pending requests pending for the whole test unless the test moves
 * the server's clock.
 */
export const TEST_POLICY = `
- name: "Auto-approve email"
  conditions:
    action: { equals: "gmail.send" }
  action: auto_approve
  scopeTemplate: { max_emails: 1 }
- name: "Reads may be used twice"
  conditions:
    action: { equals: "file.read" }
  action: auto_approve
  scopeTemplate: { max_uses: 2, allowed_extensions: [".txt", ".md"] }
- name: "Transfers need a human"
  conditions:
    action: { startsWith: "bank." }
  action: require_approval
  approvalTimeout: 60
- name: "Default deny"
  conditions: {}
  action: deny
  priority: -1000
`;

/** A clock the test can push forward, so expiry is tested without sleeping for minutes. */
export interface SkewClock {
  now(): number;
  advance(ms: number): void;
}

export function skewClock(): SkewClock {
  let skew = 0;
  return {
    now: () => Date.now() + skew,
    advance(ms) {
      skew += ms;
    },
  };
}

export interface Harness {
  server: TestServer;
  clock: SkewClock;
  /** A client for a fresh agent of this server. */
  client(options?: Partial<AgentOTPClientOptions>): Promise<AgentOTPClient>;
  /**
   * Decides a pending request as a human does: over the approval API with an approver's user
   * token. Resolves with the HTTP status and the response body.
   */
  decide(id: string, decision: 'approve' | 'deny', body?: Record<string, unknown>): Promise<Decided>;
  /** How many listeners wait on this permission's changes now: open SSE streams and held long-polls. */
  waitersOn(id: string): number;
  close(): Promise<void>;
}

export interface Decided {
  status: number;
  body: { success: boolean; data?: { outcome?: string }; error?: { code?: string } };
}

/** Starts a real server on a loopback port; every `client()` is a new agent with its own key. */
export async function startHarness(
  options: { policy?: string; env?: Record<string, string> } = {},
): Promise<Harness> {
  const clock = skewClock();
  const server = await startTestServer({
    policy: options.policy ?? TEST_POLICY,
    // A fast expiry sweep, so a test that moves the clock sees the expiry within moments.
    env: { AGENT_OTP_SWEEP_INTERVAL_MS: '250', ...options.env },
    runtime: { clock },
  });
  let agents = 0;
  let approverToken: Promise<string> | undefined;
  const waiters = countWaiters(server);
  return {
    server,
    clock,
    async client(clientOptions = {}) {
      agents += 1;
      const { apiKey } = await server.createAgent(`sdk-test-${agents}`);
      return new AgentOTPClient({ apiKey, baseUrl: server.url, ...clientOptions });
    },
    async decide(id, decision, body) {
      approverToken ??= createApprover(server);
      const response = await fetch(`${server.url}/api/v1/approvals/${id}/${decision}`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${await approverToken}`,
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
      return { status: response.status, body: (await response.json()) as Decided['body'] };
    },
    waitersOn: (id) => waiters.get(id) ?? 0,
    close: () => server.close(),
  };
}

/** An approver with a personal API token (`uat_…`), as `agent-otp users` would create one. */
export async function createApprover(server: TestServer, name = 'alice'): Promise<string> {
  const actor = { type: 'system', id: 'test' } as const;
  await server.runtime.users.create({ name, role: 'approver' }, actor);
  return (await server.runtime.users.createToken(name, 'sdk tests', actor)).token;
}

/**
 * Counts live subscriptions to the server's events port per permission. The SSE route and the
 * long-poll each hold one while an agent waits and drop it when the agent's connection closes,
 * so a count back at zero shows the SDK closed its stream. The port's own behaviour is kept:
 * this only wraps `subscribe`.
 */
function countWaiters(server: TestServer): Map<string, number> {
  const counts = new Map<string, number>();
  const events = server.runtime.events;
  const subscribe = events.subscribe.bind(events);
  events.subscribe = (id, listener) => {
    counts.set(id, (counts.get(id) ?? 0) + 1);
    const unsubscribe = subscribe(id, listener);
    let done = false;
    return () => {
      if (!done) counts.set(id, (counts.get(id) ?? 1) - 1);
      done = true;
      unsubscribe();
    };
  };
  return counts;
}

/** Polls `check` until it holds or `ms` pass; for server-side effects that follow a close. */
export async function eventually(check: () => boolean, ms = 2000): Promise<boolean> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) return false;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return true;
}

/** Asserts that `promise` rejects, and hands back the rejection for closer checks. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject, but it resolved');
}

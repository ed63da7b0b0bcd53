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
  close(): Promise<void>;
}

/** Starts a real server on a loopback port; every `client()` is a new agent with its own key. */
export async function startHarness(
  options: { policy?: string; env?: Record<string, string> } = {},
): Promise<Harness> {
  const clock = skewClock();
  const server = await startTestServer({
    policy: options.policy ?? TEST_POLICY,
    env: options.env ?? {},
    runtime: { clock },
  });
  let agents = 0;
  return {
    server,
    clock,
    async client(clientOptions = {}) {
      agents += 1;
      const { apiKey } = await server.createAgent(`sdk-test-${agents}`);
      return new AgentOTPClient({ apiKey, baseUrl: server.url, ...clientOptions });
    },
    close: () => server.close(),
  };
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

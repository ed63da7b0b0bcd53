import { startTestServer, type TestServer } from '@agent-otp/server';
import { AgentOTPClient } from '@orrisai/agent-otp-sdk';

/**
 * The policies every adapter test runs against: one rule per outcome a guarded tool must
 * handle. `approvalTimeout: 60` keeps a pending request pending for the whole test.
 */
export const ADAPTER_POLICY = `
- name: "Invoice emails are fine"
  conditions:
    action: { equals: "mail.send" }
  action: auto_approve
  scopeTemplate: { max_emails: 1, subject_pattern: "^Invoice" }
- name: "Transfers need a human"
  conditions:
    action: { equals: "bank.transfer" }
  action: require_approval
  approvalTimeout: 60
- name: "Never delete files"
  conditions:
    action: { equals: "files.delete" }
  action: deny
- name: "Default deny"
  conditions: {}
  action: deny
  priority: -1000
`;

export interface Harness {
  server: TestServer;
  /** A fresh agent's client; it records the tokens it spends, so a test can try one twice. */
  client(): Promise<{ client: AgentOTPClient; spent: SpentToken[]; apiKey: string }>;
  /** Decides a pending request as a human does, over the approval API with a user token. */
  decide(id: string, decision: 'approve' | 'deny', body?: Record<string, unknown>): Promise<number>;
  /** Spends a token again over the HTTP API; resolves with the status and error code. */
  useAgain(apiKey: string, spent: SpentToken): Promise<{ status: number; code: string | undefined }>;
  close(): Promise<void>;
}

export interface SpentToken {
  id: string;
  token: string;
  actionDetails: unknown;
}

/** Starts a real server on a loopback port; `policy: undefined` keeps the default policies.yaml. */
export async function startHarness(
  options: { policy?: string | undefined } = { policy: ADAPTER_POLICY },
): Promise<Harness> {
  const server = await startTestServer(options.policy === undefined ? {} : { policy: options.policy });
  let agents = 0;
  let approver: Promise<string> | undefined;
  return {
    server,
    async client() {
      agents += 1;
      const { apiKey } = await server.createAgent(`adapter-test-${agents}`);
      const spent: SpentToken[] = [];
      // The real fetch, observed: the request bodies of `use` calls show which token was spent.
      const recording: typeof fetch = async (input, init) => {
        const url = String(input);
        const match = /\/permissions\/([^/]+)\/use$/.exec(url);
        const response = await fetch(input, init);
        if (match?.[1] && response.ok && typeof init?.body === 'string') {
          const body = JSON.parse(init.body) as { token: string; actionDetails?: unknown };
          spent.push({ id: match[1], token: body.token, actionDetails: body.actionDetails });
        }
        return response;
      };
      return { client: new AgentOTPClient({ apiKey, baseUrl: server.url, fetch: recording }), spent, apiKey };
    },
    async decide(id, decision, body) {
      approver ??= createApprover(server);
      const response = await fetch(`${server.url}/api/v1/approvals/${id}/${decision}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await approver}`, 'content-type': 'application/json' },
        body: JSON.stringify(body ?? {}),
      });
      return response.status;
    },
    async useAgain(apiKey, spent) {
      const response = await fetch(`${server.url}/api/v1/permissions/${spent.id}/use`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ token: spent.token, actionDetails: spent.actionDetails }),
      });
      const body = (await response.json()) as { error?: { code?: string } };
      return { status: response.status, code: body.error?.code };
    },
    close: () => server.close(),
  };
}

/** An approver with a personal API token (`uat_…`), as `agent-otp users` would create one. */
export async function createApprover(server: TestServer, name = 'alice'): Promise<string> {
  const actor = { type: 'system', id: 'test' } as const;
  await server.runtime.users.create({ name, role: 'approver' }, actor);
  return (await server.runtime.users.createToken(name, 'adapter tests', actor)).token;
}

/** A promise and its resolver, for "the tool is now waiting for a human". */
export function signal<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

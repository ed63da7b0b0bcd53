import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createSqliteStore } from '@agent-otp/store';
import { createRuntime, parseConfig } from '../src/index.ts';
import { type ChildServer, runCli, startChildServer } from './child-server.ts';
import { callJson } from './http-client.ts';

/**
 * Crash safety: the real server (a child process, SQLite) is killed with SIGKILL under mixed
 * concurrent load, then started again on the same data directory. Every response the clients
 * got is a promise the server must keep after the crash: an acknowledged request, decision or
 * use is there with its state, a spent token stays spent, an unspent one works exactly once, and
 * `audit verify` passes, checkpoints included (a checkpoint never names an uncommitted entry).
 * Two kill/restart rounds.
 */

const POLICY = `
- name: reads
  conditions: { action: { equals: file.read } }
  action: auto_approve
- name: sends
  conditions: { action: { equals: gmail.send } }
  action: require_approval
  approvalTimeout: 3600
- name: default deny
  conditions: {}
  action: deny
  priority: -1000
`;
const WORKERS = 8;
/** Acknowledged operations per round before the kill. */
const ACKS_PER_ROUND = 300;

type Status = 'pending' | 'approved' | 'denied' | 'used' | 'revoked';
interface Tracked {
  id: string;
  token: string | null;
  /** The state the last acknowledged operation left it in. */
  acked: Status;
  /** States an operation sent but never answered (cut by the kill) may have left it in. */
  maybe: Set<Status>;
}
type Answer = { status: number; body: { data?: Record<string, unknown>; error?: { code: string } } };

const dataDir = mkdtempSync(join(tmpdir(), 'agent-otp-crash-'));
after(() => rmSync(dataDir, { recursive: true, force: true }));
const env = {
  AGENT_OTP_DATA_DIR: dataDir,
  AGENT_OTP_ADMIN_PASSWORD: 'crash-test-admin-password',
  AGENT_OTP_POLICY_WATCH: 'false',
  AGENT_OTP_RATE_LIMIT: '1000000',
  AGENT_OTP_AUDIT_CHECKPOINT_INTERVAL_MS: '100',
};

const tracked = new Map<string, Tracked>();
const unexpected: string[] = [];
let acks = 0;

/** An agent key and an approver's user token, created on the data directory before the first start. */
async function setUp(): Promise<{ agentKey: string; userToken: string }> {
  writeFileSync(join(dataDir, 'policies.yaml'), POLICY);
  const runtime = await createRuntime(parseConfig({ ...env, AGENT_OTP_LOG_LEVEL: 'silent' }));
  try {
    const actor = { type: 'system' as const, id: 'crash-test' };
    const { apiKey } = await runtime.agents.create('crash-bot', actor);
    const { user } = await runtime.users.create({ name: 'approver', role: 'approver' }, actor);
    const { token } = await runtime.users.createToken(user.id, 'crash-test', actor);
    return { agentKey: apiKey, userToken: token };
  } finally {
    await runtime.close();
  }
}

/** A call whose answer is null when the connection was cut (the outcome is then unknown). */
async function call(url: string, method: string, path: string, key: string, body?: unknown) {
  try {
    return (await callJson(url, method, path, key, body)) as Answer;
  } catch {
    return null;
  }
}

/** Mixed load until the server dies: auto-approved and human-approved requests, verify, use, deny, revoke. */
function load(url: string, keys: { agentKey: string; userToken: string }) {
  const agent = (method: string, path: string, body?: unknown) =>
    call(url, method, path, keys.agentKey, body);
  const human = (path: string) => call(url, 'POST', path, keys.userToken);

  /** One state change of `p`: recorded as acknowledged only when the expected answer arrived. */
  async function change(p: Tracked, target: Status, send: () => Promise<Answer | null>) {
    p.maybe.add(target);
    const answer = await send();
    if (!answer) return false;
    if (answer.status !== 200) {
      unexpected.push(`${p.id} → ${target}: ${answer.status} ${JSON.stringify(answer.body)}`);
      return false;
    }
    p.acked = target;
    p.maybe.delete(target);
    acks += 1;
    return true;
  }
  const use = (p: Tracked) =>
    change(p, 'used', () => agent('POST', `/api/v1/permissions/${p.id}/use`, { token: p.token }));

  async function request(action: string, expected: number): Promise<Tracked | null> {
    const answer = await agent('POST', '/api/v1/permissions/request', { action, resource: 'thing:x' });
    if (!answer) return null;
    if (answer.status !== expected) {
      unexpected.push(`request ${action}: ${answer.status} ${JSON.stringify(answer.body)}`);
      return null;
    }
    const data = answer.body.data as { id: string; status: Status; token?: string };
    const p: Tracked = { id: data.id, token: data.token ?? null, acked: data.status, maybe: new Set() };
    tracked.set(p.id, p);
    acks += 1;
    return p;
  }

  async function iteration(kind: number): Promise<void> {
    if (kind < 4) {
      const p = await request('file.read', 201);
      if (!p) return;
      if (kind === 1) {
        const verified = await agent('POST', `/api/v1/permissions/${p.id}/verify`, { token: p.token });
        if (!verified) return;
        if (verified.body.data?.valid !== true)
          unexpected.push(`verify ${p.id}: ${JSON.stringify(verified.body)}`);
      }
      if (kind <= 1) await use(p);
      if (kind === 3) await change(p, 'revoked', () => agent('POST', `/api/v1/permissions/${p.id}/revoke`));
      return;
    }
    const p = await request('gmail.send', 202);
    if (!p || kind === 6) return;
    if (kind === 5) {
      await change(p, 'denied', () => human(`/api/v1/approvals/${p.id}/deny`));
      return;
    }
    if (!(await change(p, 'approved', () => human(`/api/v1/approvals/${p.id}/approve`)))) return;
    const read = await agent('GET', `/api/v1/permissions/${p.id}`);
    if (!read) return;
    p.token = (read.body.data?.token as string | undefined) ?? null;
    if (!p.token) unexpected.push(`${p.id}: the first read after approval carried no token`);
    if (kind === 4 && p.token) await use(p);
  }

  return Promise.all(
    Array.from({ length: WORKERS }, async (_, worker) => {
      for (let n = 0; n < 10_000; n += 1) {
        const before = acks;
        await iteration((worker + n) % 8);
        // Nothing acknowledged and the answer missing: the server is gone.
        if (acks === before && unexpected.length === 0 && !(await alive(url))) return;
      }
    }),
  );
}

async function alive(url: string): Promise<boolean> {
  try {
    return (await fetch(`${url}/healthz`)).status === 200;
  } catch {
    return false;
  }
}

/** After a restart: every acknowledged state is there, and every token obeys it. */
async function checkEverything(url: string, agentKey: string): Promise<void> {
  for (const p of tracked.values()) {
    const read = await call(url, 'GET', `/api/v1/permissions/${p.id}`, agentKey);
    assert.equal(read?.status, 200, `${p.id}: ${JSON.stringify(read?.body)}`);
    const status = read?.body.data?.status as Status;
    assert.ok(
      status === p.acked || p.maybe.has(status),
      `${p.id} is ${status}; acknowledged ${p.acked}${p.maybe.size ? `, maybe ${[...p.maybe]}` : ''}`,
    );
    const delivered = read?.body.data?.token as string | undefined;
    if (delivered) {
      assert.equal(p.token, null, `${p.id}: a token delivered twice`);
      p.token = delivered;
    }
    p.acked = status;
    p.maybe.clear();
    if (!p.token) continue;
    const use = () => call(url, 'POST', `/api/v1/permissions/${p.id}/use`, agentKey, { token: p.token });
    const first = await use();
    const expected = {
      approved: [200, 'ok'],
      used: [409, 'TOKEN_USED'],
      revoked: [410, 'TOKEN_REVOKED'],
    } as const;
    const [code, error] = expected[status as keyof typeof expected] ?? [0, ''];
    assert.deepEqual(
      [first?.status, first?.body.error?.code ?? 'ok'],
      [code, error],
      `${p.id} (${status}): first use after the crash`,
    );
    if (first?.status === 200) {
      p.acked = 'used';
      const second = await use();
      assert.deepEqual(
        [second?.status, second?.body.error?.code],
        [409, 'TOKEN_USED'],
        `${p.id}: second use`,
      );
    }
  }
}

/** `audit verify` on the data directory exactly as the crash left it. */
async function auditVerify(): Promise<{
  ok: boolean;
  entries: number;
  anchor: { status: string; seq?: number };
}> {
  const result = await runCli(['audit', 'verify', '--json'], { AGENT_OTP_DATA_DIR: dataDir });
  assert.equal(result.code, 0, `audit verify failed: ${result.stdout} ${result.stderr}`);
  return JSON.parse(result.stdout);
}

test('crash safety: SIGKILL under mixed load loses nothing acknowledged, twice', {
  timeout: 180_000,
}, async () => {
  const keys = await setUp();
  let server: ChildServer = await startChildServer(env);
  let anchoredBefore = 0;
  try {
    for (let round = 1; round <= 2; round += 1) {
      const target = acks + ACKS_PER_ROUND;
      const running = load(server.url, keys);
      for (const deadline = Date.now() + 30_000; acks < target && unexpected.length === 0; await sleep(5)) {
        assert.ok(Date.now() < deadline, `only ${acks} acknowledged operations in 30 s`);
      }
      await server.kill();
      await running;
      assert.deepEqual(unexpected, [], 'every operation before the kill succeeded');

      const verified = await auditVerify();
      assert.equal(verified.ok, true);
      assert.equal(verified.anchor.status, 'anchored', 'checkpoints were written during the load');
      assert.ok(
        (verified.anchor.seq ?? 0) > anchoredBefore,
        `round ${round}: the anchor moved with the load`,
      );
      assert.ok((verified.anchor.seq ?? 0) <= verified.entries, 'no checkpoint names an uncommitted entry');
      anchoredBefore = verified.anchor.seq ?? 0;

      server = await startChildServer(env);
      await checkEverything(server.url, keys.agentKey);
    }
    assert.equal(await server.stop(), 0);
    const final = await auditVerify();
    assert.equal(final.anchor.seq, final.entries, 'the graceful shutdown anchored the head');
  } finally {
    if (server.process.exitCode === null && server.process.signalCode === null) await server.kill();
  }

  // From the audit's side too: every spent permission was spent exactly once.
  const store = createSqliteStore(join(dataDir, 'agent-otp.db'));
  try {
    const used = [...tracked.values()].filter((p) => p.acked === 'used');
    assert.ok(used.length > 50, `${used.length} spent permissions`);
    for (const p of used) {
      const events = await store.listAudit({ permissionId: p.id, event: 'token.used', limit: 10 });
      assert.equal(events.length, 1, `${p.id}: ${events.length} token.used entries`);
    }
  } finally {
    await store.close();
  }
});

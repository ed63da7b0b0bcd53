import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createChainVerifier } from '@agent-otp/core';
import { startTestServer, type TestServer } from '../src/index.ts';

/**
 * Throws a few thousand generated malformed requests at a real server over HTTP and asserts
 * that none gets a 5xx, every error uses the envelope, and nothing half-written is left.
 * The generator is seeded, so a failure replays.
 */
function random(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  return { next, pick, int: (max: number) => Math.floor(next() * max) };
}

const rng = random(20261126);
const WEIRD_STRINGS = [
  '',
  ' ',
  'perm_',
  'perm_../../etc',
  '%00',
  '\u0000',
  '😀'.repeat(50),
  'a'.repeat(5000),
  '__proto__',
  'constructor',
  '{"a":1}',
  'null',
  '-1',
  '1e309',
  'otp_',
  'ak_',
];

function weirdValue(depth = 0): unknown {
  switch (rng.int(depth > 3 ? 7 : 10)) {
    case 0:
      return null;
    case 1:
      return rng.pick([true, false]);
    case 2:
      return rng.pick([0, -1, 1.5, 1e308, -1e308, 2 ** 53 + 1, Number.MAX_SAFE_INTEGER]);
    case 3:
      return rng.pick(WEIRD_STRINGS);
    case 4:
      return `s${rng.int(1000)}`;
    case 5:
      return rng.pick(['file.read', 'gmail.send', 'bank.transfer', 'a.b']);
    case 6:
      return rng.pick([30, 300, 3600, 29, 3601]);
    case 7:
      return Array.from({ length: rng.int(4) }, () => weirdValue(depth + 1));
    default: {
      const keys = [
        'action',
        'resource',
        'scope',
        'context',
        'ttl',
        'token',
        'actionDetails',
        'reason',
        'max_uses',
        'subject_pattern',
        'max_size',
        'allowed_extensions',
        '__proto__',
        'size_limit',
        'x',
      ];
      const out: Record<string, unknown> = {};
      for (let i = rng.int(5); i > 0; i--) out[rng.pick(keys)] = weirdValue(depth + 1);
      return out;
    }
  }
}

function weirdBody(): string | undefined {
  switch (rng.int(8)) {
    case 0:
      return undefined;
    case 1:
      return '{"action": ';
    case 2:
      return '['.repeat(20000);
    case 3:
      return `${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`;
    case 4:
      return Buffer.from(Array.from({ length: 64 }, () => rng.int(256))).toString('latin1');
    default:
      return JSON.stringify(weirdValue());
  }
}

describe('a few thousand malformed requests', () => {
  let server: TestServer;
  let keys: string[];
  let ids: string[];
  let tokens: string[];
  before(async () => {
    server = await startTestServer({ env: { AGENT_OTP_RATE_LIMIT: '1000000' } });
    const a = await server.createAgent('fuzz-a');
    const b = await server.createAgent('fuzz-b');
    keys = [a.apiKey, b.apiKey];
    ids = [];
    tokens = [];
    for (const action of ['file.read', 'bank.transfer', 'gmail.send']) {
      const res = await fetch(`${server.url}/api/v1/permissions/request`, {
        method: 'POST',
        headers: { authorization: `Bearer ${a.apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ action, scope: { size_limit: 10 } }),
      });
      const { data } = await res.json();
      ids.push(data.id);
      if (data.token) tokens.push(data.token);
    }
  });
  after(() => server.close());

  it('never answers 5xx, always with the error envelope', async () => {
    const failures: string[] = [];
    const total = 3000;
    let sent = 0;
    const worker = async () => {
      while (sent < total) {
        sent += 1;
        const id = rng.pick([
          ...ids,
          ...WEIRD_STRINGS.map(encodeURIComponent),
          'perm_AAAAAAAAAAAAAAAAAAAAAA',
        ]);
        const path = rng.pick([
          '/api/v1/permissions/request',
          `/api/v1/permissions/${id}`,
          `/api/v1/permissions/${id}/verify`,
          `/api/v1/permissions/${id}/use`,
          `/api/v1/permissions/${id}/revoke`,
          `/api/v1/permissions?limit=${encodeURIComponent(JSON.stringify(weirdValue()) ?? '')}&cursor=${encodeURIComponent(JSON.stringify(weirdValue()) ?? '')}`,
          `/api/v1/permissions?status=${encodeURIComponent(JSON.stringify(weirdValue()) ?? '')}`,
          '/api/v1/permissions/request/extra',
        ]);
        const method = rng.pick(['GET', 'POST', 'POST', 'POST', 'PUT', 'DELETE', 'PATCH']);
        const headers: Record<string, string> = {};
        const key = rng.pick([...keys, ...keys, 'ak_bogus', `ak_${'x'.repeat(43)}`, '', 'uat_x']);
        if (key) headers.authorization = rng.pick([`Bearer ${key}`, key, `bearer  ${key}`]);
        const type = rng.pick([
          'application/json',
          'application/json',
          'text/plain',
          'application/json; charset=utf-8',
          '',
          'multipart/form-data',
        ]);
        if (type) headers['content-type'] = type;
        let body = method === 'GET' ? undefined : weirdBody();
        if (body && rng.int(4) === 0 && tokens.length > 0) {
          body = JSON.stringify({ token: rng.pick(tokens), actionDetails: weirdValue() });
        }
        const res = await fetch(server.url + path, { method, headers, body });
        const text = await res.text();
        if (res.status >= 500)
          failures.push(`${method} ${path} ${body?.slice(0, 80)} → ${res.status} ${text.slice(0, 200)}`);
        else if (res.status >= 400) {
          const parsed = JSON.parse(text);
          if (parsed.success !== false || !/^[A-Z_]+$/.test(parsed.error?.code) || !parsed.error.message) {
            failures.push(`${method} ${path} → ${res.status} without the envelope: ${text.slice(0, 200)}`);
          }
        }
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    assert.deepEqual(failures.slice(0, 5), []);
  });

  it('left every stored permission consistent and the audit chain intact', async () => {
    const { store } = server.runtime;
    const verifier = createChainVerifier();
    let requested = 0;
    for (let afterSeq = 0; ; ) {
      const page = await store.listAudit({ afterSeq, limit: 1000 });
      if (page.length === 0) break;
      for (const entry of page) {
        verifier.add(entry);
        if (entry.event === 'permission.requested') requested += 1;
      }
      afterSeq = page[page.length - 1]?.seq ?? afterSeq;
    }
    assert.equal(verifier.result().ok, true);
    let stored = 0;
    for (const agent of await store.listAgents()) {
      let cursor: string | undefined;
      do {
        const page = await store.listPermissions({ agentId: agent.id, limit: 200, cursor });
        for (const p of page.items) {
          stored += 1;
          if (p.status === 'approved' || p.status === 'used') assert.ok(p.tokenHash && p.grantedScope, p.id);
          if (p.status === 'pending') assert.equal(p.tokenHash, null);
        }
        cursor = page.nextCursor ?? undefined;
      } while (cursor);
    }
    assert.equal(stored, requested, 'every stored request has its audit entry and vice versa');
  });
});

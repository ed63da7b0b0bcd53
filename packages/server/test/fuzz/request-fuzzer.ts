import { Writable } from 'node:stream';
import { createChainVerifier } from '@agent-otp/core';
import { createLogger, startTestServer, TEST_ADMIN_PASSWORD, type TestServer } from '../../src/index.ts';
import { createHostileValues, type Rng, seededRng, WEIRD_STRINGS } from './hostile.ts';

/**
 * The request fuzzer: a real server on a loopback port, two agents, an admin with a personal
 * token and a browser session, and a stream of generated hostile requests against every
 * route family. It checks, on every answer and once more at the end, the properties an
 * attacker would try to break:
 *
 * - no 5xx, and every API error in the envelope with a code and a message;
 * - no error body, log line or audit entry carries a credential (the run plants real ones in
 *   its input);
 * - an agent never gets a 2xx on another agent's permission, nor on a human route;
 * - a token is never spent more often than its grant allows;
 * - a login never redirects off the site;
 * - afterwards the audit chain verifies and every stored request has its audit entry.
 */
export interface FuzzOptions {
  requests: number;
  seed: number;
  concurrency?: number;
  /** Called now and then with the count sent so far. */
  progress?: (sent: number) => void;
}

export interface FuzzReport {
  sent: number;
  statuses: Record<string, number>;
  failures: string[];
  auditEntries: number;
  /** Tokens the run received (auto-approved or delivered after a human approval). */
  tokens: number;
  /** Successful uses. */
  spent: number;
}

/** Any credential the product issues: a prefix and a 256-bit base64url body. */
const CREDENTIAL = /(?:otp|ak|uat|ses)_[A-Za-z0-9_-]{43}/;
const MAX_FAILURES = 50;

interface Grant {
  owner: number;
  token?: string;
  /** Uses the grant allowed when its token was first seen; null = unlimited. */
  usesAllowed?: number | null;
  used: number;
}

export async function runRequestFuzzer(options: FuzzOptions): Promise<FuzzReport> {
  const rng = seededRng(options.seed);
  const failures: string[] = [];
  const fail = (message: string) => {
    if (failures.length < MAX_FAILURES) failures.push(message);
  };
  const secrets: string[] = [];
  const hostile = createHostileValues(rng, () => secrets);

  // Every log line is scanned as it is written, for credentials of any kind.
  const logSink = new Writable({
    write(chunk, _encoding, done) {
      const line = String(chunk);
      if (CREDENTIAL.test(line)) fail(`a log line carries a credential: ${line.slice(0, 200)}`);
      done();
    },
  });
  const server = await startTestServer({
    env: { AGENT_OTP_RATE_LIMIT: '1000000' },
    runtime: { logger: createLogger('info', logSink) },
  });
  try {
    const world = await setUpWorld(server, secrets);
    const statuses: Record<string, number> = {};
    let sent = 0;
    const worker = async () => {
      while (sent < options.requests && failures.length < MAX_FAILURES) {
        sent += 1;
        if (options.progress && sent % 5000 === 0) options.progress(sent);
        const probe = nextProbe(rng, hostile, world);
        const answer = await send(server.url, probe);
        statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
        checkAnswer(probe, answer, world, fail);
      }
    };
    await Promise.all(Array.from({ length: options.concurrency ?? 16 }, worker));
    const auditEntries = await checkStoredState(server, secrets, fail);
    const grants = [...world.grants.values()];
    const tokens = grants.filter((g) => g.token).length;
    const spent = grants.reduce((sum, g) => sum + g.used, 0);
    return { sent, statuses, failures, auditEntries, tokens, spent };
  } finally {
    await server.close();
  }
}

interface World {
  keys: string[];
  userToken: string;
  cookie: string;
  csrf: string;
  grants: Map<string, Grant>;
}

async function setUpWorld(server: TestServer, secrets: string[]): Promise<World> {
  const a = await server.createAgent('fuzz-a');
  const b = await server.createAgent('fuzz-b');
  const { token: userToken } = await server.runtime.users.createToken('admin', 'fuzz', {
    type: 'system',
    id: 'fuzz',
  });
  const login = await server.runtime.users.login('admin', TEST_ADMIN_PASSWORD);
  secrets.push(a.apiKey, b.apiKey, userToken, login.sessionToken);
  return {
    keys: [a.apiKey, b.apiKey],
    userToken,
    cookie: `agent_otp_session=${login.sessionToken}`,
    csrf: server.runtime.users.csrfToken(login.session),
    grants: new Map(),
  };
}

interface Probe {
  family: 'request' | 'permission' | 'list' | 'human' | 'agent-on-human' | 'login' | 'page';
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Which agent's key was sent (index into world.keys), if any. */
  agent?: number;
  /** The permission the path names, if it is one of the run's. */
  permissionId?: string;
}

interface Answer {
  status: number;
  text: string;
  location: string | null;
}

/** Event streams stay open while a request is pending: they are read briefly, then dropped. */
const STREAM_READ_MS = 200;
/** Anything slower is a server that hangs on hostile input. */
const ANSWER_TIMEOUT_MS = 30_000;

async function send(base: string, probe: Probe): Promise<Answer> {
  const stream = probe.path.includes('/events');
  const signal = AbortSignal.timeout(stream ? STREAM_READ_MS : ANSWER_TIMEOUT_MS);
  try {
    const res = await fetch(base + probe.path, {
      method: probe.method,
      headers: probe.headers,
      body: probe.body,
      redirect: 'manual',
      signal,
    });
    const location = res.headers.get('location');
    const text = await res.text().catch((error) => {
      if (stream && signal.aborted) return '';
      throw error;
    });
    return { status: res.status, text, location };
  } catch (error) {
    // No headers yet when the read was cut short: nothing to judge.
    if (stream && signal.aborted) return { status: 0, text: '', location: null };
    if (signal.aborted)
      return { status: 599, text: `no answer within ${ANSWER_TIMEOUT_MS} ms`, location: null };
    throw error;
  }
}

type Hostile = ReturnType<typeof createHostileValues>;

function nextProbe(rng: Rng, hostile: Hostile, world: World): Probe {
  const ids = [...world.grants.keys()];
  const someId = () =>
    ids.length > 0 && rng.int(4) !== 0
      ? (rng.pick(ids) as string)
      : encodeURIComponent(wellFormed(rng.pick([...WEIRD_STRINGS, 'perm_AAAAAAAAAAAAAAAAAAAAAA'])));
  let agent = rng.int(world.keys.length);
  // Half the probes are plausible (well-formed, mostly valid) so that permissions get granted,
  // approved and spent, and the properties about them are exercised; the rest are hostile.
  const plausible = rng.int(2) === 0;
  const agentHeaders = (): Record<string, string> => ({
    authorization:
      !plausible && rng.int(10) === 0 ? `bearer  ${world.keys[agent]}` : `Bearer ${world.keys[agent]}`,
    'content-type': plausible ? 'application/json' : rng.pick(['application/json', 'text/plain', '']),
  });
  const roll = rng.int(100);
  if (roll < 30) {
    const body = plausible
      ? JSON.stringify({
          action: rng.pick(['file.read', 'file.read', 'file.read', 'bank.transfer', 'gmail.send']),
          resource: rng.pick([undefined, 'file:/data/a.txt', hostile.secretString()]),
          scope: rng.pick([
            { size_limit: 100 },
            { size_limit: 100, max_uses: rng.pick([1, 2, 3, 1_000_000]) },
            { size_limit: 100, allowed_countries: ['DE'] },
            hostile.scope(),
          ]),
          context: rng.pick([
            undefined,
            { recipient: 'boss@mycompany.com' },
            { note: hostile.secretString() },
          ]),
          ttl: rng.pick([undefined, 60]),
        })
      : hostile.body();
    return {
      family: 'request',
      method: 'POST',
      path: '/api/v1/permissions/request',
      headers: agentHeaders(),
      body,
      agent,
    };
  }
  if (roll < 65) {
    const id = someId();
    const grant = world.grants.get(id);
    // A plausible probe is mostly the owner acting on its own permission with its own token.
    if (plausible && grant && rng.int(10) !== 0) agent = grant.owner;
    const verb = rng.pick(['', '/verify', '/use', '/use', '/revoke', '/events']);
    const token = grant?.token && (plausible || rng.int(3) === 0) ? grant.token : hostile.secretString();
    const body =
      verb === '' || verb === '/events'
        ? undefined
        : !plausible
          ? hostile.body()
          : JSON.stringify({
              token,
              actionDetails: rng.pick([
                undefined,
                hostile.value(),
                { path: '/data/a.txt', size: 10 },
                { path: '/data/a.txt', size: 10 },
              ]),
              reason: rng.pick([undefined, hostile.secretString()]),
            });
    const query = verb === '' && rng.int(10) === 0 ? '?wait=0' : '';
    return {
      family: 'permission',
      method: verb === '' || verb === '/events' ? 'GET' : plausible ? 'POST' : rng.pick(['POST', 'PUT']),
      path: `/api/v1/permissions/${id}${verb}${query}`,
      headers: agentHeaders(),
      body,
      agent,
      permissionId: grant ? id : undefined,
    };
  }
  if (roll < 70) {
    const param = () => encodeURIComponent(wellFormed(JSON.stringify(hostile.value()) ?? ''));
    return {
      family: 'list',
      method: 'GET',
      path: `/api/v1/permissions?limit=${param()}&cursor=${param()}&status=${param()}`,
      headers: agentHeaders(),
      agent,
    };
  }
  if (roll < 85) {
    const human = rng.int(3) === 0 ? 'agent-on-human' : 'human';
    const id = someId();
    const verb = rng.pick(['', '/approve', '/approve', '/deny']);
    const decision = () => ({
      scope: rng.pick([undefined, hostile.scope(), { max_amount: 10 }]),
      ttl: rng.pick([undefined, 30, 60, hostile.value()]),
      reason: rng.pick([undefined, hostile.secretString(), hostile.value()]),
    });
    const body =
      verb === ''
        ? undefined
        : plausible
          ? JSON.stringify(rng.pick([{}, { ttl: 60 }, { reason: hostile.secretString() }]))
          : hostile.body(decision);
    const credential = human === 'human' ? world.userToken : (world.keys[agent] as string);
    return {
      family: human,
      method: verb === '' ? 'GET' : 'POST',
      path: verb === '' && rng.int(3) === 0 ? '/api/v1/approvals' : `/api/v1/approvals/${id}${verb}`,
      headers: { authorization: `Bearer ${credential}`, 'content-type': 'application/json' },
      body,
      agent: human === 'human' ? undefined : agent,
    };
  }
  if (roll < 92) {
    const next = encodeURIComponent(
      rng.pick(['/', '/audit', '//evil.example', '/\t/evil.example', '/\\evil', 'https://evil.example']),
    );
    const form = new URLSearchParams({
      name: rng.pick(['admin', 'nobody', hostile.secretString(), hostile.text()]),
      password: rng.pick(['wrong-password-123', '', hostile.text()]),
      next: decodeURIComponent(next),
    });
    return rng.int(2) === 0
      ? { family: 'login', method: 'GET', path: `/login?next=${next}`, headers: {} }
      : {
          family: 'login',
          method: 'POST',
          path: '/login',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: form.toString(),
        };
  }
  const query = encodeURIComponent(wellFormed(hostile.text()));
  return {
    family: 'page',
    method: 'GET',
    path: rng.pick([
      `/requests/${someId()}`,
      `/audit?event=${query}&agent=${query}&cursor=${query}`,
      `/?page=${query}`,
      '/agents',
      '/users',
      '/policies',
    ]),
    headers: { cookie: world.cookie, 'x-csrf-token': world.csrf },
  };
}

/** A path on this site: one leading slash, no backslash, whitespace or control character. */
function isSameSitePath(location: string): boolean {
  if (!location.startsWith('/') || location[1] === '/' || location[1] === '\\') return false;
  return [...location].every((ch) => ch > ' ' && ch !== '\\' && ch !== '\u007f');
}

/** URLs cannot carry lone surrogates; bodies can (JSON escapes them). */
function wellFormed(text: string): string {
  return text.replace(/[\ud800-\udfff]/g, '\ufffd');
}

function checkAnswer(probe: Probe, answer: Answer, world: World, fail: (message: string) => void): void {
  const what = `${probe.method} ${probe.path.slice(0, 120)} → ${answer.status}`;
  if (answer.status >= 500) {
    fail(`${what} ${probe.body?.slice(0, 80) ?? ''} ${answer.text.slice(0, 200)}`);
    return;
  }
  const api = probe.path.startsWith('/api/');
  if (api && answer.status >= 400 && !isErrorEnvelope(answer.text)) {
    fail(`${what} without the error envelope: ${answer.text.slice(0, 200)}`);
  }
  // Pages may show visitors what they typed; API errors never repeat a credential.
  if (api && answer.status >= 400 && CREDENTIAL.test(answer.text)) {
    fail(`${what}: an error body carries a credential: ${answer.text.slice(0, 200)}`);
  }
  if (answer.location !== null && !isSameSitePath(answer.location)) {
    fail(`${what}: redirects off the site to ${JSON.stringify(answer.location)}`);
  }
  if (probe.family === 'agent-on-human' && answer.status < 300) {
    fail(`${what}: an agent key was accepted on a human route`);
  }
  const ok = answer.status >= 200 && answer.status < 300;
  if (!ok || !api) return;
  const data = parseData(answer.text);
  if (probe.family === 'request' && typeof data?.id === 'string' && probe.agent !== undefined) {
    world.grants.set(data.id, { owner: probe.agent, used: 0 });
    noteToken(world.grants.get(data.id) as Grant, data);
    return;
  }
  if (probe.permissionId === undefined || probe.agent === undefined) return;
  const grant = world.grants.get(probe.permissionId) as Grant;
  if (grant.owner !== probe.agent) {
    fail(`${what}: agent ${probe.agent} reached agent ${grant.owner}'s permission`);
    return;
  }
  noteToken(grant, data);
  if (probe.path.endsWith('/use')) {
    grant.used += 1;
    if (typeof grant.usesAllowed === 'number' && grant.used > grant.usesAllowed) {
      fail(`${what}: spent ${grant.used} times, the grant allowed ${grant.usesAllowed}`);
    }
  }
}

/** The token and its allowance, when an answer delivers one (auto-approval, or first read). */
function noteToken(grant: Grant, data: Record<string, unknown> | null): void {
  if (!data || typeof data.token !== 'string' || grant.token) return;
  grant.token = data.token;
  grant.usesAllowed = typeof data.usesRemaining === 'number' ? data.usesRemaining : null;
}

function parseData(text: string): Record<string, unknown> | null {
  try {
    const parsed = JSON.parse(text);
    return parsed && typeof parsed.data === 'object' ? parsed.data : null;
  } catch {
    return null;
  }
}

function isErrorEnvelope(text: string): boolean {
  try {
    const parsed = JSON.parse(text);
    return (
      parsed.success === false &&
      /^[A-Z_]+$/.test(parsed.error?.code) &&
      typeof parsed.error.message === 'string' &&
      parsed.error.message !== ''
    );
  } catch {
    return false;
  }
}

/** The audit chain verifies, holds no credential, and matches the stored permissions one to one. */
async function checkStoredState(
  server: TestServer,
  secrets: readonly string[],
  fail: (message: string) => void,
): Promise<number> {
  const { store } = server.runtime;
  const verifier = createChainVerifier();
  let requested = 0;
  let entries = 0;
  for (let afterSeq = 0; ; ) {
    const page = await store.listAudit({ afterSeq, limit: 1000 });
    if (page.length === 0) break;
    for (const entry of page) {
      entries += 1;
      verifier.add(entry);
      if (entry.event === 'permission.requested') requested += 1;
      const text = JSON.stringify(entry);
      if (CREDENTIAL.test(text) || secrets.some((s) => text.includes(s))) {
        fail(`audit entry ${entry.seq} (${entry.event}) carries a credential: ${text.slice(0, 300)}`);
      }
    }
    afterSeq = page[page.length - 1]?.seq ?? afterSeq;
  }
  const chain = verifier.result();
  if (!chain.ok) fail(`the audit chain is broken: ${chain.reason}`);
  let stored = 0;
  for (const agent of await store.listAgents()) {
    let cursor: string | undefined;
    do {
      const page = await store.listPermissions({ agentId: agent.id, limit: 200, cursor });
      for (const p of page.items) {
        stored += 1;
        if ((p.status === 'approved' || p.status === 'used') && p.decision === 'auto_approve') {
          if (!p.tokenHash || !p.grantedScope) fail(`${p.id} is ${p.status} without a token or scope`);
        }
        if (p.status === 'pending' && p.tokenHash !== null) fail(`${p.id} is pending with a token`);
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
  if (stored !== requested) fail(`${stored} stored requests but ${requested} request audit entries`);
  return entries;
}

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type Harness, startHarness } from './helpers.ts';

// Clients written for the original service call `onPendingApproval` only when a pending answer
// carries `webhookUrl`, then wait for the decision by polling the permission. `legacyRequest` is
// a small stand-in that behaves that way (it is not the published package, which this repository
// does not depend on); it talks to a real server over HTTP.

interface LegacyPendingInfo {
  permissionId: string;
  approvalUrl: string;
  webhookUrl: string;
  expiresAt: string;
}

type Json = Record<string, unknown>;

async function legacyCall(baseUrl: string, apiKey: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await response.json()) as { success: boolean; data?: Json };
  if (!response.ok || !json.success) throw new Error(`HTTP ${response.status}`);
  return json.data as Json;
}

/** requestPermission as the original client does it: callback only with webhookUrl, then poll. */
async function legacyRequest(
  baseUrl: string,
  apiKey: string,
  options: { action: string; onPendingApproval?: (info: LegacyPendingInfo) => void; pollMs?: number },
): Promise<Json> {
  const result = await legacyCall(baseUrl, apiKey, 'POST', '/api/v1/permissions/request', {
    action: options.action,
    scope: {},
    context: {},
    ttl: 300,
  });
  if (result.status !== 'pending') return result;
  if (options.onPendingApproval && result.approvalUrl && result.webhookUrl) {
    options.onPendingApproval({
      permissionId: result.id as string,
      approvalUrl: result.approvalUrl as string,
      webhookUrl: result.webhookUrl as string,
      expiresAt: result.expiresAt as string,
    });
  }
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 50));
    const status = await legacyCall(baseUrl, apiKey, 'GET', `/api/v1/permissions/${result.id}`);
    if (status.status !== 'pending') return status;
  }
}

/** Reads Server-Sent Events from `url` until one reports a state other than pending. */
async function decisionFromStream(url: string, apiKey: string): Promise<Json> {
  const response = await fetch(url, {
    headers: { authorization: `Bearer ${apiKey}`, accept: 'text/event-stream' },
  });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error('the stream ended without a decision');
      buffer += decoder.decode(value, { stream: true });
      for (const line of buffer.split('\n')) {
        if (!line.startsWith('data: ')) continue;
        const state = JSON.parse(line.slice(6)) as Json;
        if (state.status !== 'pending') return state;
      }
    }
  } finally {
    await reader.cancel();
  }
}

describe('clients written for the original service', () => {
  let harness: Harness;
  before(async () => {
    harness = await startHarness();
  });
  after(() => harness.close());

  let agents = 0;
  async function agentKey() {
    const { apiKey } = await harness.server.createAgent(`legacy-${++agents}`);
    return apiKey;
  }

  test('onPendingApproval fires with webhookUrl, and the approval then reaches the waiting client', async () => {
    const apiKey = await agentKey();
    const seen: LegacyPendingInfo[] = [];
    const done = legacyRequest(harness.server.url, apiKey, {
      action: 'bank.transfer',
      onPendingApproval: (info) => {
        seen.push(info);
        void harness.decide(info.permissionId, 'approve');
      },
    });
    const result = await done;
    assert.equal(seen.length, 1, 'the callback fired once');
    const [info] = seen as [LegacyPendingInfo];
    assert.match(info.permissionId, /^perm_/);
    assert.equal(
      info.webhookUrl,
      `${harness.server.runtime.urls.publicUrl}/api/v1/permissions/${info.permissionId}/events`,
    );
    assert.equal(result.status, 'approved');
    assert.match(String(result.token), /^otp_/);
  });

  test('webhookUrl streams the decision of the request', async () => {
    const apiKey = await agentKey();
    const pending = await legacyCall(harness.server.url, apiKey, 'POST', '/api/v1/permissions/request', {
      action: 'bank.transfer',
    });
    assert.equal(pending.status, 'pending');
    const decision = decisionFromStream(pending.webhookUrl as string, apiKey);
    setTimeout(() => void harness.decide(pending.id as string, 'deny', { reason: 'not today' }), 100);
    const final = await decision;
    assert.equal(final.status, 'denied');
    assert.match(String(final.reason), /not today/);
  });

  test('GET of a pending permission carries webhookUrl; a decided one does not', async () => {
    const apiKey = await agentKey();
    const { id } = await legacyCall(harness.server.url, apiKey, 'POST', '/api/v1/permissions/request', {
      action: 'bank.transfer',
    });
    const read = await legacyCall(harness.server.url, apiKey, 'GET', `/api/v1/permissions/${id}`);
    assert.equal(read.webhookUrl, read.eventsUrl);
    assert.match(String(read.approvalUrl), new RegExp(`/requests/${id}$`));
    await harness.decide(id as string, 'deny');
    const decided = await legacyCall(harness.server.url, apiKey, 'GET', `/api/v1/permissions/${id}`);
    assert.equal(decided.webhookUrl, undefined);
    assert.equal(decided.eventsUrl, undefined);
  });

  test('without webhookUrl the original client would not call back: auto-approval answers carry none', async () => {
    const apiKey = await agentKey();
    const seen: unknown[] = [];
    const result = await legacyRequest(harness.server.url, apiKey, {
      action: 'gmail.send',
      onPendingApproval: (info) => seen.push(info),
    });
    assert.equal(result.status, 'approved');
    assert.equal(result.webhookUrl, undefined);
    assert.equal(seen.length, 0);
  });
});

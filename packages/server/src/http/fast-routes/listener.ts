import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { AgentOtpError, type AgentService, newId } from '@agent-otp/core';
import type { Logger } from 'pino';
import type { Metrics } from '../../metrics.ts';
import type { PermissionActions } from '../../routes/permission-actions.ts';
import { errorAnswer } from '../errors.ts';
import { fastRequestBody, fastTokenBody, fastUseBody } from '../fast-input.ts';
import type { RequestLimiter } from '../rate-limit.ts';
import { type FastHeaders, readFastHeaders, SECURE_HEADERS } from './headers.ts';
import { type FastRoute, matchFastRoute } from './match.ts';
import { replayThroughApp } from './replay.ts';

export interface FastRouteDeps {
  agents: AgentService;
  actions: PermissionActions;
  /** The same limiter instance the Hono app's agentRateLimit uses: one budget per agent. */
  requestLimiter: RequestLimiter;
  rateLimitPerMinute: number;
  bodyLimitBytes: number;
  logger: Logger;
  metrics: Metrics;
  /** The Hono app's fetch, for bodies the fast checks are not sure of. */
  fetch: (request: Request, env: object) => Response | Promise<Response>;
}

/**
 * A node:http listener that serves the three hot agent routes (request, verify, use) itself and
 * hands every other request, untouched, to `fallback` (the Hono app's listener). It does what the
 * Hono path does for these routes — request id, secure headers, agent auth, rate limit, body
 * limit, metrics and one log line — without building WHATWG Request/Headers/Response objects.
 */
export function fastRoutesListener(deps: FastRouteDeps, fallback: RequestListener): RequestListener {
  return (req, res) => {
    const route = matchFastRoute(req.method, req.url);
    const headers =
      route && !req.url?.includes('?')
        ? readFastHeaders(req.headers, req.rawHeaders, deps.bodyLimitBytes)
        : null;
    if (!route || !headers) return fallback(req, res);
    serveFast(deps, route, headers, req, res).catch(() => res.destroy());
  };
}

async function serveFast(
  deps: FastRouteDeps,
  route: FastRoute,
  headers: FastHeaders,
  req: IncomingMessage,
  res: ServerResponse,
) {
  const started = performance.now();
  const body = await readBody(req, headers.length);
  if (body === null) return res.destroy();
  const input = readInput(route, body);
  // Not sure of the body: the Hono route answers it, so every refusal is the schema's.
  if (!input) return replayThroughApp(deps.fetch, req, res, body);

  const requestId = headers.requestId ?? newId('request');
  let status: number;
  let payload: unknown;
  let agentId: string | undefined;
  let retryAfter: number | undefined;
  try {
    const agent = await deps.agents.authenticate(headers.apiKey);
    agentId = agent.id;
    const limit = await deps.requestLimiter.consume(agent.id);
    if (!limit.allowed) {
      retryAfter = limit.retryAfterSeconds;
      throw new AgentOtpError(
        'RATE_LIMITED',
        `rate limit of ${deps.rateLimitPerMinute} requests a minute exceeded`,
        { retryAfter },
      );
    }
    const answer = await act(deps, route, input, agent, headers.idempotencyKey);
    status = answer.status;
    payload = { success: true, data: answer.data };
  } catch (error) {
    const answer = errorAnswer(error, requestId, deps.logger);
    status = answer.status;
    payload = answer.body;
  }
  const text = Buffer.from(JSON.stringify(payload));
  const out: Record<string, string> = {
    'content-type': 'application/json',
    'x-request-id': requestId,
    ...SECURE_HEADERS,
    'content-length': String(text.length),
  };
  if (retryAfter !== undefined) out['retry-after'] = String(retryAfter);
  res.writeHead(status, out);
  res.end(text);
  record(deps, route, requestId, status, started, agentId);
}

type Input =
  | { kind: 'request'; json: NonNullable<ReturnType<typeof fastRequestBody>> }
  | { kind: 'verify'; json: NonNullable<ReturnType<typeof fastTokenBody>> }
  | { kind: 'use'; json: NonNullable<ReturnType<typeof fastUseBody>> };

/** The body as the route's fast checks accept it, or null when they are not sure. */
function readInput(route: FastRoute, body: Buffer): Input | null {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return null;
  }
  if (route.kind === 'request') {
    const json = fastRequestBody(parsed);
    return json ? { kind: 'request', json } : null;
  }
  if (route.kind === 'verify') {
    const json = fastTokenBody(parsed);
    return json ? { kind: 'verify', json } : null;
  }
  const json = fastUseBody(parsed);
  return json ? { kind: 'use', json } : null;
}

async function act(
  deps: FastRouteDeps,
  route: FastRoute,
  input: Input,
  agent: Parameters<PermissionActions['verify']>[0],
  idempotencyKey: string | undefined,
): Promise<{ status: number; data: unknown }> {
  if (input.kind === 'request') return deps.actions.request(agent, input.json, idempotencyKey);
  const id = (route as { id: string }).id;
  if (input.kind === 'verify')
    return { status: 200, data: await deps.actions.verify(agent, id, input.json.token) };
  const { token, actionDetails } = input.json;
  return { status: 200, data: await deps.actions.use(agent, id, token, actionDetails) };
}

/** The declared `length` bytes of the body, or null if the stream ends short, runs over or fails. */
function readBody(req: IncomingMessage, length: number): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      chunks.push(chunk);
    });
    req.on('end', () => resolve(size === length ? Buffer.concat(chunks, size) : null));
    req.on('error', () => resolve(null));
    // A client gone before the end: nothing to answer (after 'end' this is a no-op).
    req.on('close', () => resolve(null));
  });
}

/** The metrics and the one log line requestContext writes for a request of the Hono app. */
function record(
  deps: FastRouteDeps,
  route: FastRoute,
  requestId: string,
  status: number,
  started: number,
  agentId: string | undefined,
) {
  const seconds = (performance.now() - started) / 1000;
  deps.metrics.httpRequests.inc({ method: 'POST', route: route.label, status });
  deps.metrics.httpDuration.observe({ route: route.label }, seconds);
  const level = status >= 500 ? 'error' : 'info';
  if (deps.logger.isLevelEnabled(level)) {
    deps.logger[level](
      {
        requestId,
        method: 'POST',
        route: route.label,
        status,
        ms: Math.round(seconds * 100000) / 100,
        agentId,
      },
      'request',
    );
  }
}

import { errorFromResponse } from './error-mapping.ts';
import { type AgentOTPError, NetworkError, ServerError, TimeoutError } from './errors.ts';
import { backoffDelay, failedBeforeSending, type RetryMode, sleep } from './retry.ts';

/**
 * The subset of `fetch` the SDK calls; any compatible implementation works (undici, a wrapper
 * that adds a proxy or tracing, …).
 *
 * @example
 * ```ts
 * const tracedFetch: FetchLike = (url, init) => {
 *   console.debug(init.method, url);
 *   return fetch(url, init);
 * };
 * const otp = new AgentOTPClient({ apiKey: process.env.AGENT_OTP_KEY, fetch: tracedFetch });
 * ```
 */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/**
 * A fresh idempotency key: a random UUID where the runtime has Web Crypto (Node 19+, Bun, Deno,
 * browsers, edge), else 128 random bits from Math.random — a key only has to be unique among
 * one agent's requests of a day, not secret.
 */
export function newIdempotencyKey(): string {
  const crypto = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (typeof crypto?.randomUUID === 'function') return crypto.randomUUID();
  let key = '';
  for (let i = 0; i < 4; i++)
    key += Math.floor(Math.random() * 2 ** 32)
      .toString(16)
      .padStart(8, '0');
  return key;
}

/** Resolved client options (see options.ts), validated once at construction. */
export interface TransportSettings {
  baseUrl: string;
  apiKey: string;
  fetch: FetchLike;
  timeoutMs: number;
  maxRetries: number;
  userAgent: string;
}

/** One API call as the client methods describe it. */
export interface Call {
  method: 'GET' | 'POST';
  /** Path under `/api/v1`, already encoded. */
  path: string;
  query?: Record<string, string | number | undefined>;
  body?: unknown;
  /** Extra request headers (e.g. `idempotency-key`). */
  headers?: Record<string, string>;
  retry: RetryMode;
  signal?: AbortSignal | undefined;
  /** Extra time on top of `timeoutMs`, for long-polls the server holds on purpose. */
  extraTimeoutMs?: number;
}

/** What one attempt produced: a parsed success envelope, or an error and whether repeating may help. */
type Attempt =
  | { ok: true; body: Record<string, unknown> }
  | { ok: false; error: AgentOTPError; retryable: boolean };

/**
 * The HTTP layer: one JSON call with auth, a per-attempt timeout, the success/error envelope,
 * and retries (see retry.ts for which failures are repeated). Resolves with the whole success
 * envelope, since list responses carry `nextCursor` beside `data`.
 */
export function createTransport(settings: TransportSettings) {
  const root = `${settings.baseUrl.replace(/\/+$/, '')}/api/v1`;

  function urlFor(call: Call): string {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(call.query ?? {})) {
      if (value !== undefined) params.set(key, String(value));
    }
    const search = params.toString();
    return `${root}${call.path}${search ? `?${search}` : ''}`;
  }

  function headersFor(accept: string): Record<string, string> {
    return { authorization: `Bearer ${settings.apiKey}`, accept, 'user-agent': settings.userAgent };
  }

  async function attempt(call: Call): Promise<Attempt> {
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), settings.timeoutMs + (call.extraTimeoutMs ?? 0));
    const signal = call.signal ? AbortSignal.any([call.signal, timeout.signal]) : timeout.signal;
    const headers = { ...call.headers, ...headersFor('application/json') };
    if (call.body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    let text: string;
    try {
      response = await settings.fetch(urlFor(call), {
        method: call.method,
        headers,
        body: call.body === undefined ? undefined : JSON.stringify(call.body),
        signal,
      });
      text = await response.text();
    } catch (cause) {
      // The caller's own abort wins over everything: rethrow its reason untouched.
      if (call.signal?.aborted) throw call.signal.reason;
      const where = `${call.method} ${call.path}`;
      if (timeout.signal.aborted) {
        const error = new TimeoutError(`${where} got no answer within ${settings.timeoutMs} ms`, { cause });
        return { ok: false, error, retryable: call.retry === 'safe' };
      }
      const reason = cause instanceof Error ? cause.message : String(cause);
      const error = new NetworkError(`${where} failed: ${reason} (${settings.baseUrl})`, { cause });
      return { ok: false, error, retryable: call.retry === 'safe' || failedBeforeSending(cause) };
    } finally {
      clearTimeout(timer);
    }
    return interpret(response, text, call);
  }

  function interpret(response: Response, text: string, call: Call): Attempt {
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    const serverFailed = response.status >= 500;
    if (response.ok && (body as { success?: unknown } | undefined)?.success === true) {
      return { ok: true, body: body as Record<string, unknown> };
    }
    if (response.ok) {
      // A 2xx that is not our envelope: a proxy or a different service answered at baseUrl.
      const error = new ServerError(
        'UNEXPECTED_RESPONSE',
        `${call.method} ${call.path}: not an Agent OTP response`,
        {
          status: response.status,
          requestId: response.headers.get('x-request-id') ?? undefined,
        },
      );
      return { ok: false, error, retryable: false };
    }
    return {
      ok: false,
      error: errorFromResponse(response, body),
      retryable: serverFailed && call.retry === 'safe',
    };
  }

  /** Performs the call, repeating retryable failures up to `maxRetries` times with backoff. */
  async function send(call: Call): Promise<Record<string, unknown>> {
    for (let retries = 0; ; retries += 1) {
      call.signal?.throwIfAborted();
      const result = await attempt(call);
      if (result.ok) return result.body;
      if (!result.retryable || retries >= settings.maxRetries) throw result.error;
      await sleep(backoffDelay(retries), call.signal);
    }
  }

  /**
   * Opens a GET whose body streams (Server-Sent Events) and resolves with the response once its
   * headers arrive, whatever its status: the caller decides what it can use. `timeoutMs` bounds
   * only the wait for the headers — the body then lasts as long as `signal` allows, so the caller
   * must abort `signal` (or cancel the body) when done. Never retried: a caller that cannot
   * stream has another way to wait. Rejects with fetch's error, or `signal.reason` on abort.
   */
  async function openStream(path: string, signal: AbortSignal): Promise<Response> {
    const timeout = new AbortController();
    const timer = setTimeout(() => timeout.abort(), settings.timeoutMs);
    try {
      const headers = { ...headersFor('text/event-stream'), 'cache-control': 'no-cache' };
      return await settings.fetch(urlFor({ method: 'GET', path, retry: 'safe' }), {
        method: 'GET',
        headers,
        signal: AbortSignal.any([signal, timeout.signal]),
      });
    } catch (cause) {
      if (signal.aborted) throw signal.reason;
      throw cause;
    } finally {
      clearTimeout(timer);
    }
  }

  return { send, openStream };
}

/** The HTTP layer a client holds. */
export type Transport = ReturnType<typeof createTransport>;

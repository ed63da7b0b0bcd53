import { CliError } from './output.ts';

/**
 * A small client for the server's human API (`/api/v1/approvals…`). The approval commands go
 * through HTTP rather than the store so that a decision reaches agents waiting on that server
 * (its SSE streams and long polls are in its memory), exactly as a dashboard click would.
 */

export const DEFAULT_URL = 'http://localhost:8787';
const TIMEOUT_MS = 30_000;

export interface ApiOptions {
  url?: string;
  token?: string;
}

export interface ApiClient {
  readonly baseUrl: string;
  get<T>(path: string): Promise<Page<T>>;
  post<T>(path: string, body: object): Promise<T>;
}

export interface Page<T> {
  data: T;
  nextCursor?: string | null;
}

interface Envelope {
  success?: unknown;
  data?: unknown;
  nextCursor?: string | null;
  error?: { code?: unknown; message?: unknown };
}

function baseUrlOf(option: string | undefined): string {
  const raw = option ?? process.env.AGENT_OTP_URL ?? DEFAULT_URL;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CliError(`invalid server URL ${JSON.stringify(raw)} (--url / AGENT_OTP_URL)`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw new CliError(`the server URL must be http(s): ${raw}`);
  return url.href.replace(/\/+$/, '');
}

function tokenOf(option: string | undefined): string {
  if (option !== undefined) {
    process.stderr.write(
      'warning: --token is visible to other users in the process list; prefer AGENT_OTP_TOKEN\n',
    );
    return option;
  }
  const token = process.env.AGENT_OTP_TOKEN;
  if (!token)
    throw new CliError(
      'no user token: set AGENT_OTP_TOKEN (an admin creates one with: agent-otp users token create --name USER)',
    );
  return token;
}

/** Why fetch failed, from its cause (ECONNREFUSED, ENOTFOUND, a timeout…). */
function networkReason(error: unknown): string {
  if (error instanceof Error && error.name === 'TimeoutError')
    return `no answer within ${TIMEOUT_MS / 1000} s`;
  const cause = error instanceof Error ? (error.cause as NodeJS.ErrnoException | undefined) : undefined;
  return cause?.code ?? cause?.message ?? String(error);
}

export function apiClient(options: ApiOptions): ApiClient {
  const baseUrl = baseUrlOf(options.url);
  const token = tokenOf(options.token);

  async function call(method: 'GET' | 'POST', path: string, body?: object): Promise<Envelope> {
    let response: Response;
    try {
      response = await fetch(`${baseUrl}/api/v1${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          accept: 'application/json',
          ...(body ? { 'content-type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      throw new CliError(`the server is not reachable at ${baseUrl} (${networkReason(error)})`);
    }
    let envelope: Envelope;
    try {
      envelope = (await response.json()) as Envelope;
    } catch {
      // Something answered, but not our API: a proxy's error page, another service on the port.
      throw new CliError(`unexpected answer from ${baseUrl}: HTTP ${response.status}, not the Agent OTP API`);
    }
    if (envelope.success === true) return envelope;
    const code = typeof envelope.error?.code === 'string' ? envelope.error.code : `HTTP_${response.status}`;
    const message =
      typeof envelope.error?.message === 'string' ? envelope.error.message : response.statusText;
    throw new CliError(`${code}: ${message}`);
  }

  return {
    baseUrl,
    async get<T>(path: string) {
      const envelope = await call('GET', path);
      return { data: envelope.data as T, nextCursor: envelope.nextCursor ?? null };
    },
    async post<T>(path: string, body: object) {
      return (await call('POST', path, body)).data as T;
    },
  };
}

import { AgentOTPClient, AgentOTPError } from '@orrisai/agent-otp-sdk';

/** Where the agent's key and the server come from, for both MCP commands. */
export const DEFAULT_URL = 'http://localhost:8787';

/**
 * The Agent OTP client of an MCP process, or why there is none. A missing or malformed key does
 * not stop the process: the MCP client would only see a server that died at start. Instead it
 * is said on stderr once and again as the error of every tool call, where the user sees it.
 */
export interface OtpAccess {
  client: AgentOTPClient | null;
  baseUrl: string;
  /** Why there is no client, written for the person configuring the MCP client. */
  problem: string | null;
}

/** Reads `AGENT_OTP_KEY` and `AGENT_OTP_URL` (default `http://localhost:8787`). */
export function otpFromEnv(env: NodeJS.ProcessEnv): OtpAccess {
  const baseUrl = env.AGENT_OTP_URL || DEFAULT_URL;
  const apiKey = env.AGENT_OTP_KEY;
  if (!apiKey) {
    return {
      client: null,
      baseUrl,
      problem: 'AGENT_OTP_KEY is not set: put the agent API key (ak_…) in the MCP server\'s "env"',
    };
  }
  try {
    // A timeout well below MCP clients' own request timeouts, so a dead server is reported.
    return { client: new AgentOTPClient({ apiKey, baseUrl, timeoutMs: 15_000 }), baseUrl, problem: null };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { client: null, baseUrl, problem: `AGENT_OTP_KEY / AGENT_OTP_URL: ${message}` };
  }
}

/**
 * Checks at start that the server answers and accepts the key, so a wrong URL or key is said at
 * once on stderr rather than at the first tool call. Returns the line to log; never throws.
 */
export async function probe(access: OtpAccess): Promise<string> {
  if (!access.client) return `warning: ${access.problem}; every tool call will fail until it is fixed`;
  try {
    await access.client.listPermissions({ limit: 1, signal: AbortSignal.timeout(5000) });
    return `connected to the Agent OTP server at ${access.baseUrl}`;
  } catch (error) {
    return `warning: ${describeOtpError(error, access.baseUrl)}; tool calls will fail until it is fixed`;
  }
}

/** One sentence about a failed call to the server, naming the code the server gave. */
export function describeOtpError(error: unknown, baseUrl: string): string {
  if (error instanceof AgentOTPError) {
    if (error.code === 'NETWORK_ERROR') {
      return `cannot reach the Agent OTP server at ${baseUrl} (${error.code}: ${error.message})`;
    }
    if (error.status === 401) {
      return `the Agent OTP server at ${baseUrl} refused AGENT_OTP_KEY (${error.code}: ${error.message})`;
    }
    return `${error.code}: ${error.message}`;
  }
  if (error instanceof Error && error.name === 'AbortError') return 'cancelled by the client';
  return `cannot reach the Agent OTP server at ${baseUrl} (${error instanceof Error ? error.message : String(error)})`;
}

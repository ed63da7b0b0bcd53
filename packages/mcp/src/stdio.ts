import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { GUARD_NAME, startGuard } from './guard.ts';
import { otpFromEnv, probe } from './otp-access.ts';
import { startPermissionServer } from './permission-server.ts';

/** The guard's and the server's own lines: stderr only, since stdout carries the protocol. */
function logger(prefix: string): (line: string) => void {
  return (line) => process.stderr.write(`${prefix}: ${line}\n`);
}

/**
 * Resolves when the MCP client goes away (stdin closes), so the command can end and take the
 * wrapped server down with it.
 */
function untilStdinCloses(): Promise<void> {
  return new Promise((resolve) => {
    process.stdin.once('end', resolve);
    process.stdin.once('close', resolve);
  });
}

export interface GuardCommand {
  name: string;
  command: string;
  args: string[];
  /** Longest wait for a human, in seconds; default until the server's approval deadline. */
  timeoutSeconds?: number;
}

/**
 * `agent-otp guard --name NAME -- <command> [args…]` on this process's stdio. Throws (before
 * serving anything) only for what makes the guard unusable: a bad name, a wrapped server that
 * does not start. A missing key or an unreachable server is logged and reported per call.
 */
export async function serveGuard(options: GuardCommand): Promise<void> {
  if (!GUARD_NAME.test(options.name)) {
    throw new Error(
      `--name must be 1-64 letters, digits, "_" or "-" (it becomes mcp.${options.name}.<tool>)`,
    );
  }
  const log = logger(`agent-otp guard ${options.name}`);
  const otp = otpFromEnv(process.env);
  // The wrapped server gets the guard's environment but never the agent's key: it is the
  // party being guarded, and with the key it could ask for permissions itself.
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value !== undefined && key !== 'AGENT_OTP_KEY') env[key] = value;
  }
  const [guard, status] = await Promise.all([
    startGuard(
      {
        name: options.name,
        command: options.command,
        args: options.args,
        otp,
        env,
        waitTimeoutMs: options.timeoutSeconds === undefined ? undefined : options.timeoutSeconds * 1000,
        log,
      },
      new StdioServerTransport(),
    ),
    probe(otp),
  ]);
  log(status);
  await untilStdinCloses();
  await guard.close();
}

/** `agent-otp mcp`: the permission tools on this process's stdio. */
export async function servePermissionTools(): Promise<void> {
  const log = logger('agent-otp mcp');
  const otp = otpFromEnv(process.env);
  const server = await startPermissionServer(otp, new StdioServerTransport());
  log(await probe(otp));
  await untilStdinCloses();
  await server.close();
}

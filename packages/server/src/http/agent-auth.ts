import { AgentOtpError, type AgentService } from '@agent-otp/core';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './env.ts';

/**
 * Agent routes take `Authorization: Bearer ak_…`. Any other credential, or none, is refused
 * with 401 before the route runs; a disabled agent gets 403.
 */
export function agentAuth(agents: AgentService): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    if (!header) throw new AgentOtpError('UNAUTHORIZED', 'missing Authorization header: send "Bearer ak_…"');
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match?.[1])
      throw new AgentOtpError('UNAUTHORIZED', 'the Authorization header must be "Bearer ak_…"');
    if (!match[1].startsWith('ak_')) {
      throw new AgentOtpError('UNAUTHORIZED', 'agent routes take an agent API key (ak_…)');
    }
    c.set('agent', await agents.authenticate(match[1]));
    await next();
  };
}

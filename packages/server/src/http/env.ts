import type { Agent } from '@agent-otp/core';

/** What middleware puts on the Hono context for later handlers. */
export interface AppEnv {
  Variables: {
    requestId: string;
    agent: Agent;
  };
}

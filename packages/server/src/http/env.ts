import type { Agent, Session, User } from '@agent-otp/core';

/** What middleware puts on the Hono context for later handlers. */
export interface AppEnv {
  Variables: {
    requestId: string;
    /** Set by agentAuth on agent routes. */
    agent: Agent;
    /** Set by humanAuth on human routes. */
    user: User;
    /** The browser session, when the human came with a cookie rather than a personal token. */
    session: Session | null;
    /** A POST's body as jsonBody parsed it (a JSON object), for the fast input checks. */
    jsonBody: unknown;
  };
}

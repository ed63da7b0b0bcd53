import type { Agent, JsonObject } from '../types.ts';

/** The agent a presented key belongs to, and whether it was the previous key of a grace period. */
export interface AuthenticatedAgent extends Agent {
  usedPreviousKey: boolean;
}

/**
 * What the audit entries of an agent's own actions record about the key it used:
 * `previousKey: true` while it still uses the key a rotation replaced, so an operator can see
 * who has not switched yet before the grace period ends.
 */
export const keyUsedDetails = (agent: Agent): JsonObject =>
  (agent as Partial<AuthenticatedAgent>).usedPreviousKey ? { previousKey: true } : {};

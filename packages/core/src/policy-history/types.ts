import type { Actor } from '../types.ts';

/** What put a policy version in force on a server: the file at start, a reload of it, or a dashboard edit. */
export const POLICY_ORIGINS = ['start', 'reload', 'dashboard'] as const;
export type PolicyOrigin = (typeof POLICY_ORIGINS)[number];

/** A policy version the server ran, as first recorded. The version is the content hash (`pol_…`). */
export interface PolicyVersionSummary {
  version: string;
  /** When a server first put it in force (ms since the epoch). */
  firstInForceAt: number;
  origin: PolicyOrigin;
  /** The user for a dashboard edit; the system for the file at start or a reload. */
  actor: Actor;
  rules: number;
}

/** A recorded version with the full YAML source it was loaded from. */
export interface PolicyVersionRecord extends PolicyVersionSummary {
  source: string;
}

export interface PolicyVersionQuery {
  limit: number;
  /** From a previous page's `nextCursor`. */
  cursor?: string;
}

export interface PolicyVersionPage {
  items: PolicyVersionSummary[];
  nextCursor: string | null;
}

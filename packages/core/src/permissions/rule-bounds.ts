import type { PolicyRule } from '../policy/types.ts';
import { COUNT_KEYS, narrowScope } from '../scope/index.ts';
import type { Scope } from '../types.ts';
import { TTL_BOUNDS } from './request-input.ts';

/** One value granted below what the agent asked for (by the rule's template or its bounds). */
export interface Adjustment {
  /** A count key of the scope (`max_uses`, `max_emails`, …) or `ttl`. */
  field: string;
  requested: number;
  granted: number;
}

export interface BoundedGrant {
  grantedScope: Scope;
  ttlSeconds: number;
  /** What was clamped, so the response and the audit can say it; empty when nothing was. */
  adjusted: Adjustment[];
}

/**
 * What a rule grants for a request: the requested scope narrowed by the rule's template, with
 * every count constraint clamped to the rule's `maxUses`, and the lifetime to its `maxTtl`. The
 * agent chooses within these bounds, never beyond them: a request for a million uses of an
 * auto-approved token gets the rule's maximum (one by default), and the response says so.
 */
export function boundGrant(
  rule: PolicyRule | null,
  requested: { scope: Scope; ttlSeconds: number; explicitTtl: boolean },
): BoundedGrant {
  const narrowed = narrowScope(requested.scope, rule?.scopeTemplate ?? {});
  const maxUses = rule ? rule.maxUses : 1;
  const grantedScope = maxUses === null ? narrowed : clampCounts(narrowed, maxUses);
  const adjusted = lowered(requested.scope, grantedScope);
  const maxTtl = rule?.maxTtl ?? TTL_BOUNDS.max;
  let ttlSeconds = requested.ttlSeconds;
  if (ttlSeconds > maxTtl) {
    // Reported only when the agent asked for a lifetime; a server default is not a request.
    if (requested.explicitTtl) adjusted.push({ field: 'ttl', requested: ttlSeconds, granted: maxTtl });
    ttlSeconds = maxTtl;
  }
  return { grantedScope, ttlSeconds, adjusted };
}

/** Every count key above `max` (or "unlimited") becomes `max`. */
function clampCounts(scope: Scope, max: number): Scope {
  const entries = Object.entries(scope).map(([key, value]): [string, unknown] =>
    COUNT_KEYS.includes(key) && !(typeof value === 'number' && value <= max) ? [key, max] : [key, value],
  );
  return Object.fromEntries(entries);
}

/** The count keys the agent asked for that were granted lower, whether by template or bound. */
function lowered(asked: Scope, granted: Scope): Adjustment[] {
  const adjusted: Adjustment[] = [];
  for (const field of COUNT_KEYS) {
    const request = asked[field];
    const grant = granted[field];
    if (typeof request === 'number' && typeof grant === 'number' && grant < request) {
      adjusted.push({ field, requested: request, granted: grant });
    }
  }
  return adjusted;
}

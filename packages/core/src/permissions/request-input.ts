import { AgentOtpError } from '../errors.ts';
import { validateScope } from '../scope/index.ts';
import type { JsonObject, Scope } from '../types.ts';
import { jsonDepthExceeds, MAX_JSON_DEPTH } from './json-shape.ts';

export const TTL_BOUNDS = { min: 30, max: 3600 } as const;

export interface PermissionRequestInput {
  action: string;
  resource?: string | null;
  scope?: Scope;
  context?: JsonObject;
  ttl?: number;
}

export interface CheckedRequest {
  action: string;
  resource: string | null;
  scope: Scope;
  context: JsonObject;
  ttlSeconds: number;
}

/**
 * The rules a request must meet beyond its JSON shape (which the route's schema checks): ttl
 * bounds, context depth, and a scope whose constraints the server can interpret. Each failure
 * is a VALIDATION_ERROR naming the field.
 */
export function checkRequestInput(input: PermissionRequestInput, defaultTtlSeconds: number): CheckedRequest {
  const ttlSeconds = input.ttl ?? defaultTtlSeconds;
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < TTL_BOUNDS.min || ttlSeconds > TTL_BOUNDS.max) {
    throw new AgentOtpError(
      'VALIDATION_ERROR',
      `ttl must be an integer from ${TTL_BOUNDS.min} to ${TTL_BOUNDS.max}`,
      {
        field: 'ttl',
      },
    );
  }
  checkDepth(input.context, 'context');
  const checked = validateScope(input.scope ?? {}, 'request');
  if (!checked.ok) {
    throw new AgentOtpError('VALIDATION_ERROR', `scope is invalid: ${checked.errors[0]?.message}`, {
      field: 'scope',
      errors: checked.errors,
    });
  }
  return {
    action: input.action,
    resource: input.resource ?? null,
    scope: checked.scope,
    context: input.context ?? {},
    ttlSeconds,
  };
}

/** Free-form JSON (context, action details) may not nest deeper than MAX_JSON_DEPTH. */
export function checkDepth(value: JsonObject | undefined, field: string): void {
  if (value && jsonDepthExceeds(value, MAX_JSON_DEPTH)) {
    throw new AgentOtpError('VALIDATION_ERROR', `${field} is nested deeper than ${MAX_JSON_DEPTH} levels`, {
      field,
    });
  }
}

import { AgentOtpError } from '../errors.ts';

/** The longest a rotated key may stay valid beside its successor. */
export const MAX_GRACE_MS = 24 * 60 * 60 * 1000;
/** The furthest an agent's expiry may lie ahead (ten years), so dates stay sane everywhere. */
export const MAX_EXPIRY_MS = 3650 * 24 * 60 * 60 * 1000;

const UNIT_MS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const DURATION = /^(\d{1,7})([smhd])$/;

/**
 * A duration as operators type it: a whole number and one unit, `s`, `m`, `h` or `d`
 * (`90s`, `10m`, `12h`, `30d`). `0` alone is accepted as no time at all.
 */
export function parseDuration(text: string, field: string): number {
  const trimmed = text.trim();
  if (trimmed === '0') return 0;
  const match = DURATION.exec(trimmed);
  if (!match) {
    throw new AgentOtpError(
      'VALIDATION_ERROR',
      `${field} must be a whole number with a unit s, m, h or d (e.g. 10m, 30d), got "${text}"`,
      { field },
    );
  }
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** A rotation's grace period in ms: 0 (the old key dies at once) up to MAX_GRACE_MS. */
export function parseGrace(text: string | undefined): number {
  if (text === undefined || text === '') return 0;
  const ms = parseDuration(text, 'grace');
  if (ms > MAX_GRACE_MS) {
    throw new AgentOtpError('VALIDATION_ERROR', `grace must be at most 24h, got "${text}"`, {
      field: 'grace',
    });
  }
  return ms;
}

/** How an operator states an expiry: exactly one of a duration from now, a time, or never. */
export interface ExpiryInput {
  expiresIn?: string | undefined;
  expiresAt?: string | undefined;
  never?: boolean | undefined;
}

/**
 * The epoch-ms expiry an input names (null for never), or undefined when it names none.
 * The time must lie in the future and at most MAX_EXPIRY_MS ahead: an expiry in the past would
 * be a disable without its revocations, which `agents disable` does properly.
 */
export function resolveExpiry(input: ExpiryInput, now: number): number | null | undefined {
  const given = [input.expiresIn, input.expiresAt, input.never ? true : undefined].filter(
    (v) => v !== undefined && v !== '',
  );
  if (given.length > 1) {
    throw new AgentOtpError('VALIDATION_ERROR', 'give only one of expiresIn, expiresAt or never', {
      field: 'expiresAt',
    });
  }
  if (input.never) return null;
  let at: number;
  let field: string;
  if (input.expiresIn !== undefined && input.expiresIn !== '') {
    field = 'expiresIn';
    at = now + parseDuration(input.expiresIn, field);
  } else if (input.expiresAt !== undefined && input.expiresAt !== '') {
    field = 'expiresAt';
    // Only full ISO 8601 times with a zone, so "03/04" never means a guessed date.
    const iso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})$/;
    at = iso.test(input.expiresAt.trim()) ? Date.parse(input.expiresAt.trim()) : Number.NaN;
    if (Number.isNaN(at)) {
      throw new AgentOtpError(
        'VALIDATION_ERROR',
        `expiresAt must be an ISO 8601 time with a zone (e.g. 2030-01-31T12:00:00Z), got "${input.expiresAt}"`,
        { field },
      );
    }
  } else {
    return undefined;
  }
  if (at <= now) throw new AgentOtpError('VALIDATION_ERROR', `${field} must lie in the future`, { field });
  if (at - now > MAX_EXPIRY_MS) {
    throw new AgentOtpError('VALIDATION_ERROR', `${field} must be at most 3650 days ahead`, { field });
  }
  return at;
}

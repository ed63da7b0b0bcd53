import { AgentOtpError } from '@agent-otp/core';
import type { Context } from 'hono';

/** The string fields of a posted form (files and repeated fields are ignored). */
export async function formFields(c: Context): Promise<Record<string, string>> {
  const type = c.req.header('content-type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data'))
    return {};
  const body = await c.req.parseBody();
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(body)) if (typeof value === 'string') out[key] = value;
  return out;
}

/** Parses a textarea that must hold a JSON object; empty means "not given". */
export function jsonObjectField(
  text: string | undefined,
  field: string,
): Record<string, unknown> | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message : 'invalid JSON';
    throw new AgentOtpError('VALIDATION_ERROR', `${field} is not valid JSON: ${reason}`, { field });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new AgentOtpError('VALIDATION_ERROR', `${field} must be a JSON object`, { field });
  }
  return value as Record<string, unknown>;
}

/** An optional whole number field within bounds. */
export function intField(
  text: string | undefined,
  field: string,
  min: number,
  max: number,
): number | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new AgentOtpError('VALIDATION_ERROR', `${field} must be a whole number from ${min} to ${max}`, {
      field,
    });
  }
  return value;
}

/** Secure cookies only over https (directly or as reported by a TLS-terminating proxy). */
export function isHttps(c: Context): boolean {
  return new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https';
}

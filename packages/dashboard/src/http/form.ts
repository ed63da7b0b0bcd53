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

/** Every string value of a posted form; a field sent more than once (ticked boxes) is a list. */
export type FormValues = Record<string, string | string[]>;

export async function formValues(c: Context): Promise<FormValues> {
  const type = c.req.header('content-type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data'))
    return {};
  const body = await c.req.parseBody({ all: true });
  const out: FormValues = {};
  for (const [key, value] of Object.entries(body)) {
    if (typeof value === 'string') out[key] = value;
    else if (Array.isArray(value)) out[key] = value.filter((v): v is string => typeof v === 'string');
  }
  return out;
}

/** A single field's value: the last one when it was sent more than once, as a browser would. */
export const lastValue = (value: string | string[] | undefined): string | undefined =>
  Array.isArray(value) ? value.at(-1) : value;

/** All values of a field, whether it was sent once or more. */
export const allValues = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

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

import type { Context } from 'hono';
import type { ZodError } from 'zod';
import type { AppEnv } from './env.ts';
import { fail } from './envelope.ts';

const TARGET_NAMES: Record<string, string> = { json: 'body', query: 'query', param: 'path' };

/** Turns schema failures into one 400 that names every field and reason. */
export function validationHook(
  result: { success: true } | { success: false; error: ZodError; target?: string },
  c: Context<AppEnv>,
) {
  if (result.success) return undefined;
  const where = TARGET_NAMES[result.target ?? 'json'] ?? 'body';
  const issues = result.error.issues.map((issue) => {
    // Unknown keys are reported on the object holding them; name the key itself.
    const keys = issue.code === 'unrecognized_keys' ? issue.keys : [];
    const path = [...issue.path.map(String), ...(keys.length === 1 ? keys : [])];
    return { field: path.length > 0 ? path.join('.') : where, message: issue.message };
  });
  const first = issues[0];
  const message = first ? `${first.field}: ${first.message}` : 'the request is invalid';
  return fail(c, 'VALIDATION_ERROR', message, { issues });
}

import { ID_PREFIX } from './ids.ts';
import { API_KEY_PREFIX, SESSION_PREFIX, TOKEN_PREFIX, USER_TOKEN_PREFIX } from './secrets.ts';

/**
 * Redaction of credentials from everything the server keeps or shows besides the credential
 * stores themselves: audit details, logs and error bodies. Each of those sinks passes its text
 * through here, so a careless agent (or a hostile one quoting a stolen token in a resource, a
 * scope key or a reason) cannot write a secret where readers of the audit or logs would see it.
 */
export const REDACTED = '[redacted]';

/** Every prefix a secret the product issues starts with: tokens, agent keys, user tokens, session cookies. */
const SECRET_PREFIXES = [TOKEN_PREFIX, API_KEY_PREFIX, USER_TOKEN_PREFIX, SESSION_PREFIX];
/**
 * Issued secrets have a 43-character body; 16 characters (96 bits) is already too much of one
 * to keep, and shorter tails are left alone so words like "ak_id" stay readable.
 */
const MIN_BODY = 16;
/** A run of base64url characters long enough to hold the shortest prefix and MIN_BODY. */
const RUN = /[A-Za-z0-9_-]{19,}/g;
/** Ids (`ses_` + 22 characters is a session id, not its cookie) are not secrets and stay whole. */
const ID_RUN = new RegExp(`^(?:${Object.values(ID_PREFIX).join('|')})_[A-Za-z0-9_-]{22}$`);
const RANDOM_LOOKING = /[A-Z0-9]/;
const MAX_DEPTH = 64;

/**
 * A secret glued to the characters before it (`xotp_…`, `my-ak_…`) is found too: word
 * boundaries are not required. In that glued position the rest of the run must also look random
 * (hold an uppercase letter or a digit, as a 43-character base64url body does except with
 * probability ~1e-16), so snake_case words such as `break_fast_and_lunch` are not mangled.
 */
function redactRun(run: string): string {
  if (ID_RUN.test(run)) return run;
  let lastRandom = -1;
  for (let i = run.length - 1; i >= 0; i--) {
    if (RANDOM_LOOKING.test(run[i] as string)) {
      lastRandom = i;
      break;
    }
  }
  for (let i = 0; i < run.length; i++) {
    for (const prefix of SECRET_PREFIXES) {
      if (!run.startsWith(prefix, i)) continue;
      const bodyStart = i + prefix.length;
      if (run.length - bodyStart < MIN_BODY) continue;
      if (i > 0 && lastRandom < bodyStart) continue;
      return `${run.slice(0, i)}${REDACTED}`;
    }
  }
  return run;
}

/** The text with every token-shaped substring replaced by `[redacted]`. Linear in the length. */
export function redactText(text: string): string {
  if (!SECRET_PREFIXES.some((prefix) => text.includes(prefix))) return text;
  return text.replace(RUN, redactRun);
}

/**
 * A JSON-like value with every string (keys included) passed through redactText. Instances of
 * classes (an Error, a Date) are returned as they are, for their own serializers to handle;
 * nesting beyond 64 levels is cut, so no input can make this recurse without bound.
 */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1));
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    const clean = redactText(key);
    let name = clean;
    // Two keys redacted to the same text must not overwrite each other.
    for (let n = 2; Object.hasOwn(out, name); n++) name = `${clean}#${n}`;
    // defineProperty, so a key named "__proto__" stays a key instead of replacing the prototype.
    Object.defineProperty(out, name, {
      value: redactSecrets(item, depth + 1),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

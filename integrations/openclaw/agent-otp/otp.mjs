#!/usr/bin/env node
// Agent OTP helper for the OpenClaw skill: ask for a one-time permission, wait for the human,
// spend the token. Plain Node 18+ (global fetch), no dependencies, so the skill folder can be
// copied anywhere. Every command prints one JSON object on stdout; the approval link goes to
// stderr as well, so the agent can relay it while waiting.
//
//   otp.mjs request --action A [--resource R] [--scope JSON] [--context JSON] [--ttl S] [--wait S]
//   otp.mjs use --id ID --token TOKEN [--details JSON]
//   otp.mjs status --id ID
//   otp.mjs cancel --id ID [--reason TEXT]
//
// Exit codes: 0 approved / spent / read, 2 refused (denied, expired, out of scope, used),
// 3 still pending when the wait ended, 1 anything else (bad usage, key, network).
import { parseArgs } from 'node:util';

const EXIT = { ok: 0, error: 1, refused: 2, pending: 3 };
// The server holds a long-poll at most 60 s; longer waits are a loop of them.
const MAX_POLL_SECONDS = 60;

class UsageError extends Error {}

function json(name, text) {
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error();
    return value;
  } catch {
    throw new UsageError(`--${name} must be a JSON object, e.g. '{"max_amount": 50}'`);
  }
}

function seconds(name, text, fallback) {
  if (text === undefined) return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0)
    throw new UsageError(`--${name} must be a whole number of seconds`);
  return value;
}

function required(values, name) {
  if (!values[name]) throw new UsageError(`--${name} is required`);
  return values[name];
}

function settings() {
  const key = process.env.AGENT_OTP_KEY;
  if (!key) throw new UsageError('AGENT_OTP_KEY is not set: export the agent key (ak_…) first');
  const base = (process.env.AGENT_OTP_URL ?? 'http://localhost:8787').replace(/\/+$/, '');
  return { key, base };
}

/** One API call; resolves with the HTTP status and the parsed envelope. */
async function call({ key, base }, method, path, body) {
  const response = await fetch(`${base}/api/v1${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const envelope = await response.json().catch(() => ({ success: false, error: { code: 'BAD_RESPONSE' } }));
  return { status: response.status, envelope };
}

/** What the agent needs of a permission: its state, and the token once (only when approved). */
function view(data) {
  const keep = ['id', 'status', 'token', 'scope', 'usesRemaining', 'expiresAt', 'reason', 'approvalUrl'];
  return Object.fromEntries(
    keep.filter((k) => data[k] !== undefined && data[k] !== null).map((k) => [k, data[k]]),
  );
}

function exitFor(status) {
  if (status === 'approved' || status === 'used') return EXIT.ok;
  if (status === 'pending') return EXIT.pending;
  return EXIT.refused;
}

function failed(result) {
  const error = result.envelope.error ?? { code: 'HTTP_' + result.status, message: 'unexpected answer' };
  // 4xx on a token (scope, used, expired, revoked, not approved) is a refusal; the rest an error.
  const refused = [403, 409, 410].includes(result.status) && error.code !== 'AGENT_DISABLED';
  return { out: { error }, code: refused ? EXIT.refused : EXIT.error };
}

async function request(values) {
  const conn = settings();
  const wait = seconds('wait', values.wait, 0);
  const body = { action: required(values, 'action') };
  if (values.resource) body.resource = values.resource;
  const scope = json('scope', values.scope);
  const context = json('context', values.context);
  if (scope) body.scope = scope;
  if (context) body.context = context;
  if (values.ttl !== undefined) body.ttl = seconds('ttl', values.ttl);
  const asked = await call(conn, 'POST', '/permissions/request', body);
  if (!asked.envelope.success) return failed(asked);
  let permission = asked.envelope.data;
  if (permission.status === 'pending') {
    process.stderr.write(`Waiting for a human to approve: ${permission.approvalUrl}\n`);
    const approvalUrl = permission.approvalUrl;
    const until = Date.now() + wait * 1000;
    while (permission.status === 'pending' && Date.now() < until) {
      const left = Math.min(MAX_POLL_SECONDS, Math.ceil((until - Date.now()) / 1000));
      const polled = await call(conn, 'GET', `/permissions/${permission.id}?wait=${left}`);
      if (!polled.envelope.success) return failed(polled);
      permission = polled.envelope.data;
    }
    if (permission.status === 'pending') permission = { ...permission, approvalUrl };
  }
  return { out: view(permission), code: exitFor(permission.status) };
}

async function use(values) {
  const conn = settings();
  const id = required(values, 'id');
  const body = { token: required(values, 'token') };
  const details = json('details', values.details);
  if (details) body.actionDetails = details;
  const used = await call(conn, 'POST', `/permissions/${encodeURIComponent(id)}/use`, body);
  if (!used.envelope.success) return failed(used);
  return { out: used.envelope.data, code: EXIT.ok };
}

async function status(values) {
  const read = await call(settings(), 'GET', `/permissions/${encodeURIComponent(required(values, 'id'))}`);
  if (!read.envelope.success) return failed(read);
  return { out: view(read.envelope.data), code: EXIT.ok };
}

async function cancel(values) {
  const id = encodeURIComponent(required(values, 'id'));
  const body = values.reason ? { reason: values.reason } : {};
  const done = await call(settings(), 'POST', `/permissions/${id}/revoke`, body);
  if (!done.envelope.success) return failed(done);
  return { out: view(done.envelope.data), code: EXIT.ok };
}

const COMMANDS = { request, use, status, cancel };
const OPTIONS = {
  action: { type: 'string' },
  resource: { type: 'string' },
  scope: { type: 'string' },
  context: { type: 'string' },
  ttl: { type: 'string' },
  wait: { type: 'string' },
  id: { type: 'string' },
  token: { type: 'string' },
  details: { type: 'string' },
  reason: { type: 'string' },
};

async function main(argv) {
  const [command, ...rest] = argv;
  const run = COMMANDS[command];
  if (!run) throw new UsageError(`usage: otp.mjs <${Object.keys(COMMANDS).join('|')}> [options]`);
  let values;
  try {
    ({ values } = parseArgs({ args: rest, options: OPTIONS, strict: true }));
  } catch (error) {
    throw new UsageError(error.message);
  }
  return run(values);
}

try {
  const { out, code } = await main(process.argv.slice(2));
  process.stdout.write(`${JSON.stringify(out)}\n`);
  process.exitCode = code;
} catch (error) {
  const code = error instanceof UsageError ? 'USAGE' : 'NETWORK_ERROR';
  process.stdout.write(`${JSON.stringify({ error: { code, message: error.message } })}\n`);
  process.exitCode = EXIT.error;
}

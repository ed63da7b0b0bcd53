import { readFileSync } from 'node:fs';
import { AgentOtpError, type PolicyExplanation, type PolicyInput } from '@agent-otp/core';
import type { Context } from 'hono';
import type { DashApp, DashboardDeps, DashEnv } from '../deps.ts';
import { formFields, jsonObjectField } from '../http/form.ts';
import { hasRole, requireRole } from '../http/session.ts';
import { page } from '../views/layout.tsx';
import { Alert, Badge, CsrfField, Json } from '../views/parts.tsx';
import { HistorySection, policyHistoryPages } from './policy-history.tsx';

const EXAMPLE = JSON.stringify(
  {
    agent: 'payments-bot',
    action: 'bank.transfer',
    resource: 'account:acme',
    scope: { max_amount: 100 },
    context: { reason: 'invoice 42' },
  },
  null,
  2,
);

function Explanation({ result }: { result: PolicyExplanation }) {
  return (
    <div class="simulation">
      <p>
        Decision: <Badge status={result.decision} />{' '}
        {result.rule ? <>by rule “{result.rule.name}”</> : <>no rule matched (default deny)</>}
      </p>
      {result.reason ? (
        <p class="simulation-reason">
          The rule could not compare a value of the request, so it applied: {result.reason}
        </p>
      ) : null}
      {result.rule?.scopeTemplate ? (
        <>
          <h3>Scope template</h3>
          <Json value={result.rule.scopeTemplate} />
        </>
      ) : null}
      <h3>Rules, in evaluation order</h3>
      <ol>
        {result.rules.map((rule) => (
          <li>
            <strong>{rule.rule}</strong> <span class="muted small">priority {rule.priority}</span>{' '}
            {rule.matched ? <Badge status="matched" /> : null}
            {rule.unknown ? (
              <ul class="rule-unknown small">
                {rule.unknown.map((why) => (
                  <li>could not compare: {why}</li>
                ))}
              </ul>
            ) : null}
            {rule.failures.length > 0 ? (
              <ul class="rule-fail small">
                {rule.failures.map((failure) => (
                  <li>{failure}</li>
                ))}
              </ul>
            ) : null}
          </li>
        ))}
      </ol>
    </div>
  );
}

/** The simulator's input: the fields a policy sees, with the agent named (and looked up). */
async function simulationInput(deps: DashboardDeps, text: string | undefined): Promise<PolicyInput> {
  const raw = jsonObjectField(text, 'request') ?? {};
  if (typeof raw.action !== 'string' || raw.action === '') {
    throw new AgentOtpError('VALIDATION_ERROR', 'the request needs an "action" string', { field: 'action' });
  }
  const object = (value: unknown, field: string) => {
    if (value === undefined) return {};
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new AgentOtpError('VALIDATION_ERROR', `"${field}" must be a JSON object`, { field });
    }
    return value as Record<string, unknown>;
  };
  const agentName = typeof raw.agent === 'string' ? raw.agent : '';
  const agent = agentName ? (await deps.agents.list()).find((a) => a.name === agentName) : undefined;
  return {
    action: raw.action,
    resource: typeof raw.resource === 'string' ? raw.resource : null,
    scope: object(raw.scope, 'scope'),
    context: object(raw.context, 'context'),
    agent: agentName,
    agentId: typeof raw.agentId === 'string' ? raw.agentId : (agent?.id ?? ''),
  };
}

function fileText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    return `# cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** An edit that was refused: the text as typed, and why. */
interface RefusedEdit {
  text: string;
  error: string;
}

/** The editor (admins): the source in force, saved as the policy file and put in force at once. */
function EditSection({
  deps,
  c,
  refused,
}: {
  deps: DashboardDeps;
  c: Context<DashEnv>;
  refused?: RefusedEdit;
}) {
  const { source, replace } = deps.policy;
  if (!source || !replace || !hasRole(c.get('user'), 'admin')) return null;
  return (
    <section class="card" id="edit">
      <h2>Edit</h2>
      <p class="muted small">
        Saving checks the policy as the server loads it, writes the file and puts it in force at once. An
        invalid policy is refused and the one in force stays.
      </p>
      {refused ? (
        <Alert>
          Your edit was refused and is not in force; {deps.policy.current().version} stays: {refused.error}
        </Alert>
      ) : null}
      <form method="post" action="/policies/edit" class="stack">
        <CsrfField token={c.get('csrf')} />
        <input type="hidden" name="base" value={deps.policy.current().version} />
        <textarea
          name="source"
          rows={16}
          class="mono policy-edit"
          spellcheck={false}
          aria-label="Policy YAML"
        >
          {/* HTML drops one newline right after <textarea>: this one, so a first blank line survives. */}
          {`\n${refused?.text ?? source()}`}
        </textarea>
        <div>
          <button type="submit" class="btn btn-primary">
            Save and put in force
          </button>
        </div>
      </form>
    </section>
  );
}

/** The notice after a saved edit, from the redirect's query (a version id, checked). */
function SavedNotice({ c }: { c: Context<DashEnv> }) {
  const saved = c.req.query('saved');
  if (saved === 'unchanged')
    return <Alert kind="info">Saved: the text is the version already in force.</Alert>;
  if (!saved || !/^pol_[0-9a-f]{16}$/.test(saved)) return null;
  return <Alert kind="ok">Saved: {saved} is in force.</Alert>;
}

async function policyPage(
  deps: DashboardDeps,
  c: Context<DashEnv>,
  sim?: { text: string; result?: PolicyExplanation; error?: string },
  refused?: RefusedEdit,
) {
  const policy = deps.policy.current();
  const lastError = deps.policy.lastError();
  const body = (
    <>
      <div class="page-head">
        <h1>Policies</h1>
        <span class="mono muted small">{policy.version}</span>
        {/* The version shown is the one running, and it is fine: a refused edit never replaces it. */}
        <span class="badge badge-active" title="The policy the server decides with">
          in force
        </span>
      </div>
      <SavedNotice c={c} />
      {lastError ? (
        <>
          <Alert kind="ok">
            The running policy is fine: {policy.rules.length} rules in force ({policy.version}).
          </Alert>
          <Alert kind="warn">
            <strong>Your last edit of the file was refused</strong> and is not in force; the server keeps
            deciding with {policy.version} until the file is valid again (it reloads on save): {lastError}
          </Alert>
        </>
      ) : (
        <Alert kind="ok">
          The file is valid: {policy.rules.length} rules in force ({policy.version}).
        </Alert>
      )}
      {policy.warnings.length > 0 ? (
        <Alert kind="warn">
          Warnings (the rules still apply; see <span class="mono">agent-otp policy check</span>):
          <ul class="policy-warnings">
            {policy.warnings.map((w) => (
              <li>
                rule “{w.rule}”{w.line === null ? '' : ` (line ${w.line})`}: {w.message}
              </li>
            ))}
          </ul>
        </Alert>
      ) : null}
      <section class="card">
        <h2>Simulator</h2>
        <p class="muted small">
          Paste a request to see what the policy in force decides, and why each earlier rule did not match.
        </p>
        <form method="post" action="/policies/simulate" class="stack">
          <CsrfField token={c.get('csrf')} />
          <textarea name="request" rows={8} class="mono" spellcheck={false} aria-label="Request JSON">
            {sim?.text ?? EXAMPLE}
          </textarea>
          <div>
            <button type="submit" class="btn btn-primary">
              Simulate
            </button>
          </div>
        </form>
        {sim?.error ? <Alert>{sim.error}</Alert> : null}
        {sim?.result ? <Explanation result={sim.result} /> : null}
      </section>
      <section class="card">
        <h2>{lastError ? 'File on disk (the refused edit, not in force)' : 'File'}</h2>
        <p class="muted small mono">{deps.policy.file}</p>
        <pre class="json policy-file">{fileText(deps.policy.file)}</pre>
      </section>
      <EditSection deps={deps} c={c} refused={refused} />
      <HistorySection deps={deps} cursor={c.req.query('history') || undefined} />
    </>
  );
  return page(c, 'Policies', 'policies', body, sim?.error || refused ? 400 : 200);
}

/** The policy file, its validation state, and a simulator (explain) for any request. */
export function policyPages(app: DashApp, deps: DashboardDeps) {
  app.get('/policies', (c) => policyPage(deps, c));
  app.post('/policies/edit', async (c) => {
    const user = c.get('user');
    requireRole(user, 'admin');
    const { replace } = deps.policy;
    if (!replace) throw new AgentOtpError('NOT_FOUND', 'this server does not edit its policy file');
    const fields = await formFields(c);
    // Browsers send a textarea's lines with CRLF; the file keeps the LF lines it was shown with.
    const text = (fields.source ?? '').replace(/\r\n/g, '\n');
    const result = await replace(text, { type: 'user', id: user.id }, fields.base || undefined);
    if (!result.ok) return policyPage(deps, c, undefined, { text, error: result.error });
    return c.redirect(`/policies?saved=${result.changed ? result.version : 'unchanged'}#history`, 303);
  });
  policyHistoryPages(app, deps);
  // A POST (with CSRF) only because the request JSON can be long; it changes nothing.
  app.post('/policies/simulate', async (c) => {
    const text = (await formFields(c)).request ?? '';
    try {
      const result = deps.policy.current().explain(await simulationInput(deps, text));
      return policyPage(deps, c, { text, result });
    } catch (error) {
      if (!(error instanceof AgentOtpError)) throw error;
      return policyPage(deps, c, { text, error: error.message });
    }
  });
}

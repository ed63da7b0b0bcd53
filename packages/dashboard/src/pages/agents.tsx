import { type Actor, type Agent, AgentOtpError, type User } from '@agent-otp/core';
import type { Context } from 'hono';
import type { DashApp, DashboardDeps, DashEnv } from '../deps.ts';
import { formFields } from '../http/form.ts';
import { hasRole, requireRole } from '../http/session.ts';
import { page } from '../views/layout.tsx';
import { ActionButton, Alert, Badge, CopyId, CsrfField, SecretOnce, Time } from '../views/parts.tsx';

const actor = (user: User): Actor => ({ type: 'user', id: user.id });

/**
 * When each agent last acted: its newest audit entry with the agent as the actor (a request, a
 * token collected, verified or used). Read from the newest 200 entries about the agent, which
 * also hold what people did to its requests; an agent quiet for longer than that shows "not
 * lately" rather than a wrong time.
 */
async function lastUsed(deps: DashboardDeps, agents: Agent[]): Promise<Map<string, number | null>> {
  const pairs = await Promise.all(
    agents.map(async (a) => {
      const entries = await deps.store.listAudit({ agentId: a.id, order: 'desc', limit: 200 });
      const own = entries.find((e) => e.actor.type === 'agent' && e.actor.id === a.id);
      return [a.id, own ? own.at : null] as const;
    }),
  );
  return new Map(pairs);
}

function AgentsTable({
  agents,
  used,
  admin,
  csrf,
}: {
  agents: Agent[];
  used: Map<string, number | null>;
  admin: boolean;
  csrf: string;
}) {
  if (agents.length === 0) return <p class="muted">No agents yet.</p>;
  return (
    <div class="table-wrap">
      <table class="stacked">
        <thead>
          <tr>
            <th>Name</th>
            <th>Status</th>
            <th>Key</th>
            <th>Created</th>
            <th>Last used</th>
            {admin ? <th></th> : null}
          </tr>
        </thead>
        <tbody>
          {agents.map((a) => (
            <tr>
              <td class="stacked-title">
                <strong>{a.name}</strong>
                <div class="muted small">
                  <CopyId id={a.id} />
                </div>
              </td>
              <td data-label="Status">
                <Badge status={a.status} />
              </td>
              <td class="mono" data-label="Key">
                {a.keyPrefix}…
              </td>
              <td data-label="Created">
                <Time ms={a.createdAt} />
              </td>
              <td data-label="Last used" class="last-used">
                {used.get(a.id) ? (
                  <Time ms={used.get(a.id) as number} />
                ) : (
                  <span class="muted">not lately</span>
                )}
              </td>
              {admin ? (
                <td class="actions">
                  <ActionButton
                    action={`/agents/${a.id}/rotate`}
                    csrf={csrf}
                    label="Rotate key"
                    confirm={`Rotate the key of ${a.name}? The current key stops working at once.`}
                  />{' '}
                  {a.status === 'active' ? (
                    <ActionButton
                      action={`/agents/${a.id}/disable`}
                      csrf={csrf}
                      label="Disable"
                      kind="btn-danger"
                      confirm={`Disable ${a.name}? Its pending requests are cancelled and its unspent tokens revoked for good; enabling it later issues a new key.`}
                    />
                  ) : (
                    <ActionButton
                      action={`/agents/${a.id}/enable`}
                      csrf={csrf}
                      label="Enable with a new key"
                      confirm={`Enable ${a.name}? It gets a new API key, shown once; its old key never works again.`}
                    />
                  )}
                </td>
              ) : null}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

async function listPage(deps: DashboardDeps, c: Context<DashEnv>, error?: AgentOtpError, name = '') {
  const admin = hasRole(c.get('user'), 'admin');
  const agents = await deps.agents.list();
  const body = (
    <>
      <div class="page-head">
        <h1>Agents</h1>
      </div>
      {error ? <Alert>{error.message}</Alert> : null}
      {admin ? (
        <section class="card">
          <h2>New agent</h2>
          <form method="post" action="/agents" class="row">
            <CsrfField token={c.get('csrf')} />
            <label>
              Name (letters, digits, . - _)
              <input
                name="name"
                required
                maxlength={64}
                pattern="[A-Za-z0-9][A-Za-z0-9._\-]{0,63}"
                value={name}
              />
            </label>
            <button type="submit" class="btn btn-primary">
              Create agent
            </button>
          </form>
        </section>
      ) : null}
      <section class="card">
        <AgentsTable agents={agents} used={await lastUsed(deps, agents)} admin={admin} csrf={c.get('csrf')} />
      </section>
    </>
  );
  return page(c, 'Agents', 'agents', body, error ? (error.status as 400 | 409) : 200);
}

/** The one page that ever shows an agent's key: right after it was made. */
const KEY_TITLES = {
  created: (name: string) => `Agent ${name} created`,
  rotated: (name: string) => `New key for ${name}`,
  enabled: (name: string) => `Agent ${name} enabled with a new key`,
};

function keyPage(c: Context<DashEnv>, agent: Agent, apiKey: string, what: keyof typeof KEY_TITLES) {
  const body = (
    <>
      <div class="page-head">
        <h1>{KEY_TITLES[what](agent.name)}</h1>
      </div>
      <section class="card">
        {what === 'created' ? null : <Alert kind="warn">The previous key no longer works.</Alert>}
        <SecretOnce id="api-key" label="API key" value={apiKey} />
        <p class="small muted">
          Give it to the agent as <code>AGENT_OTP_KEY</code>; it authenticates with{' '}
          <code>Authorization: Bearer …</code>.
        </p>
        <a href="/agents" class="btn">
          Done
        </a>
      </section>
    </>
  );
  return page(c, 'Agent key', 'agents', body);
}

/** Agents: everyone may look; only admins create, rotate, disable and enable. */
export function agentPages(app: DashApp, deps: DashboardDeps) {
  app.get('/agents', (c) => listPage(deps, c));

  app.post('/agents', async (c) => {
    requireRole(c.get('user'), 'admin');
    const name = ((await formFields(c)).name ?? '').trim();
    try {
      const { agent, apiKey } = await deps.agents.create(name, actor(c.get('user')));
      return keyPage(c, agent, apiKey, 'created');
    } catch (error) {
      if (
        error instanceof AgentOtpError &&
        (error.code === 'VALIDATION_ERROR' || error.code === 'CONFLICT')
      ) {
        return listPage(deps, c, error, name);
      }
      throw error;
    }
  });

  app.post('/agents/:id/rotate', async (c) => {
    requireRole(c.get('user'), 'admin');
    const { agent, apiKey } = await deps.agents.rotate(c.req.param('id'), actor(c.get('user')));
    return keyPage(c, agent, apiKey, 'rotated');
  });

  // Disabling ends the agent's tokens and pending requests for good (see AgentService.disable).
  app.post('/agents/:id/disable', async (c) => {
    requireRole(c.get('user'), 'admin');
    await deps.agents.disable(c.req.param('id'), actor(c.get('user')));
    return c.redirect('/agents', 303);
  });

  // Enabling always issues a new key, so the one from before the disable stays dead.
  app.post('/agents/:id/enable', async (c) => {
    requireRole(c.get('user'), 'admin');
    const { agent, apiKey } = await deps.agents.enable(c.req.param('id'), actor(c.get('user')));
    return keyPage(c, agent, apiKey, 'enabled');
  });
}

import { type Actor, type Agent, AgentOtpError, parseGrace, resolveExpiry, type User } from '@agent-otp/core';
import type { Context } from 'hono';
import type { DashApp, DashboardDeps, DashEnv } from '../deps.ts';
import { formFields } from '../http/form.ts';
import { hasRole, requireRole } from '../http/session.ts';
import { page } from '../views/layout.tsx';
import { ActionButton, Alert, Badge, CopyId, CsrfField, SecretOnce, Time } from '../views/parts.tsx';
import { ExpiryForm, expiryText, KeyCell, type LastUsed, RotateForm } from './agent-controls.tsx';

const actor = (user: User): Actor => ({ type: 'user', id: user.id });

/**
 * When each agent last acted: its newest audit entry with the agent as the actor (a request, a
 * token collected, verified or used); entries marked `previousKey` tell who still uses the key
 * a rotation replaced. Read from the newest 200 entries about the agent, which also hold what
 * people did to its requests; an agent quiet for longer than that shows "not lately" rather
 * than a wrong time.
 */
async function lastUsed(deps: DashboardDeps, agents: Agent[]): Promise<Map<string, LastUsed>> {
  const pairs = await Promise.all(
    agents.map(async (a) => {
      const entries = await deps.store.listAudit({ agentId: a.id, order: 'desc', limit: 200 });
      const own = entries.filter((e) => e.actor.type === 'agent' && e.actor.id === a.id);
      const old = own.find((e) => e.details.previousKey === true);
      return [a.id, { any: own[0]?.at ?? null, previousKey: old?.at ?? null }] as const;
    }),
  );
  return new Map(pairs);
}

function AgentsTable({
  agents,
  used,
  admin,
  csrf,
  now,
}: {
  agents: Agent[];
  used: Map<string, LastUsed>;
  admin: boolean;
  csrf: string;
  now: number;
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
            <th>Expiry</th>
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
              <td data-label="Key">
                <KeyCell agent={a} used={used.get(a.id)} now={now} />
              </td>
              <td data-label="Expiry" class="expiry">
                {a.expiresAt === null ? (
                  <span class="muted">never</span>
                ) : (
                  <span
                    class={a.expiresAt <= now ? 'badge badge-expired' : ''}
                    title={new Date(a.expiresAt).toISOString()}
                  >
                    {expiryText(a.expiresAt, now)}
                  </span>
                )}
              </td>
              <td data-label="Created">
                <Time ms={a.createdAt} />
              </td>
              <td data-label="Last used" class="last-used">
                {used.get(a.id)?.any ? (
                  <Time ms={used.get(a.id)?.any as number} />
                ) : (
                  <span class="muted">not lately</span>
                )}
              </td>
              {admin ? (
                <td class="actions">
                  {a.status === 'active' ? <RotateForm agent={a} csrf={csrf} /> : null}{' '}
                  <ExpiryForm agent={a} csrf={csrf} />{' '}
                  {a.previousKey && a.previousKey.expiresAt > now ? (
                    <ActionButton
                      action={`/agents/${a.id}/revoke-previous-key`}
                      csrf={csrf}
                      label="End grace now"
                      confirm={`Refuse the previous key of ${a.name} from now on?`}
                    />
                  ) : null}{' '}
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
            <label>
              Expires in (optional: 30d, 12h)
              <input name="expiresIn" size={8} maxlength={20} placeholder="never" />
            </label>
            <button type="submit" class="btn btn-primary">
              Create agent
            </button>
          </form>
        </section>
      ) : null}
      <section class="card">
        <AgentsTable
          agents={agents}
          used={await lastUsed(deps, agents)}
          admin={admin}
          csrf={c.get('csrf')}
          now={deps.clock.now()}
        />
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
        {what === 'created' ? null : agent.previousKey ? (
          <Alert kind="warn">
            The previous key stays valid until <Time ms={agent.previousKey.expiresAt} />: switch the agent
            over before then.
          </Alert>
        ) : (
          <Alert kind="warn">The previous key no longer works.</Alert>
        )}
        {what === 'created' && agent.expiresAt !== null ? (
          <p class="small">
            This key expires at <Time ms={agent.expiresAt} />.
          </p>
        ) : null}
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

/** Runs a form's change; a mistake the admin can fix (bad input, a conflict) shows on the list. */
async function orListWithError(deps: DashboardDeps, c: Context<DashEnv>, work: () => Promise<Response>) {
  try {
    return await work();
  } catch (error) {
    if (error instanceof AgentOtpError && (error.code === 'VALIDATION_ERROR' || error.code === 'CONFLICT')) {
      return listPage(deps, c, error);
    }
    throw error;
  }
}

/** Agents: everyone may look; only admins create, rotate, set expiry, disable and enable. */
export function agentPages(app: DashApp, deps: DashboardDeps) {
  app.get('/agents', (c) => listPage(deps, c));

  app.post('/agents', async (c) => {
    requireRole(c.get('user'), 'admin');
    const fields = await formFields(c);
    const name = (fields.name ?? '').trim();
    try {
      const expiresAt = resolveExpiry({ expiresIn: fields.expiresIn?.trim() }, deps.clock.now()) ?? null;
      const { agent, apiKey } = await deps.agents.create(name, actor(c.get('user')), { expiresAt });
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
    const fields = await formFields(c);
    return orListWithError(deps, c, async () => {
      const graceMs = parseGrace(fields.grace?.trim());
      const { agent, apiKey } = await deps.agents.rotate(c.req.param('id'), actor(c.get('user')), {
        graceMs,
      });
      return keyPage(c, agent, apiKey, 'rotated');
    });
  });

  app.post('/agents/:id/expiry', async (c) => {
    requireRole(c.get('user'), 'admin');
    const fields = await formFields(c);
    return orListWithError(deps, c, async () => {
      const input = { expiresIn: fields.expiresIn?.trim(), expiresAt: fields.expiresAt?.trim() };
      const expiresAt = resolveExpiry(input, deps.clock.now());
      if (expiresAt === undefined) {
        throw new AgentOtpError('VALIDATION_ERROR', 'give a duration (e.g. 30d) or an ISO time', {
          field: 'expiresIn',
        });
      }
      await deps.agents.setExpiry(c.req.param('id'), expiresAt, actor(c.get('user')));
      return c.redirect('/agents', 303);
    });
  });

  app.post('/agents/:id/expiry/clear', async (c) => {
    requireRole(c.get('user'), 'admin');
    await deps.agents.setExpiry(c.req.param('id'), null, actor(c.get('user')));
    return c.redirect('/agents', 303);
  });

  app.post('/agents/:id/revoke-previous-key', async (c) => {
    requireRole(c.get('user'), 'admin');
    return orListWithError(deps, c, async () => {
      await deps.agents.revokePreviousKey(c.req.param('id'), actor(c.get('user')));
      return c.redirect('/agents', 303);
    });
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

import {
  type Actor,
  AgentOtpError,
  type User,
  WEBHOOK_EVENT_TYPES,
  type Webhook,
  type WebhookService,
} from '@agent-otp/core';
import type { Context } from 'hono';
import type { DashApp, DashboardDeps, DashEnv } from '../deps.ts';
import { requireRole } from '../http/session.ts';
import { page } from '../views/layout.tsx';
import { ActionButton, Alert, Badge, CsrfField, SecretOnce, Time } from '../views/parts.tsx';

const actor = (user: User): Actor => ({ type: 'user', id: user.id });

function WebhookRow({ webhook, csrf }: { webhook: Webhook; csrf: string }) {
  return (
    <tr>
      <td>
        <strong class="mono">{webhook.url}</strong>
        <div class="muted small mono">{webhook.id}</div>
      </td>
      <td class="small">{webhook.events.join(', ')}</td>
      <td>
        <Time ms={webhook.createdAt} />
      </td>
      <td class="actions">
        <a href={`/webhooks/${webhook.id}`} class="btn btn-small">
          Deliveries
        </a>{' '}
        <ActionButton
          action={`/webhooks/${webhook.id}/remove`}
          csrf={csrf}
          label="Remove"
          kind="btn-danger"
          confirm={`Remove the webhook to ${webhook.url}? Nothing more is sent to it, queued retries included.`}
        />
      </td>
    </tr>
  );
}

async function listPage(service: WebhookService, c: Context<DashEnv>, error?: AgentOtpError) {
  const csrf = c.get('csrf');
  const webhooks = await service.list();
  const body = (
    <>
      <div class="page-head">
        <h1>Webhooks</h1>
      </div>
      {error ? <Alert>{error.message}</Alert> : null}
      <section class="card">
        <h2>New webhook</h2>
        <form method="post" action="/webhooks" class="row">
          <CsrfField token={csrf} />
          <label>
            URL
            <input
              name="url"
              type="url"
              required
              maxlength={2048}
              placeholder="https://…"
              autocomplete="off"
            />
          </label>
          <fieldset>
            <legend>Events (none ticked: all)</legend>
            {WEBHOOK_EVENT_TYPES.map((type) => (
              <label class="small">
                <input type="checkbox" name="events" value={type} /> {type}
              </label>
            ))}
          </fieldset>
          <button type="submit" class="btn btn-primary">
            Add webhook
          </button>
        </form>
        <p class="muted small">
          Each event is POSTed as JSON, signed in the Agent-OTP-Signature header with the webhook's secret
          (shown once, when you add it), and retried with backoff until the receiver answers 2xx. See
          docs/webhooks.md for how to verify it.
        </p>
      </section>
      <section class="card table-wrap">
        {webhooks.length === 0 ? (
          <p class="muted">No webhooks.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th>URL</th>
                <th>Events</th>
                <th>Added</th>
                <th></th>
              </tr>
            </thead>
            <tbody>
              {webhooks.map((webhook) => (
                <WebhookRow webhook={webhook} csrf={csrf} />
              ))}
            </tbody>
          </table>
        )}
      </section>
    </>
  );
  return page(c, 'Webhooks', 'webhooks', body, error ? (error.status as 400 | 409) : 200);
}

async function deliveriesPage(service: WebhookService, c: Context<DashEnv>) {
  const webhook = await service.find(c.req.param('id') as string);
  const deliveries = await service.deliveries(webhook.id, 50);
  const body = (
    <>
      <div class="page-head">
        <h1>Deliveries to {webhook.url}</h1>
      </div>
      <section class="card table-wrap">
        {deliveries.length === 0 ? (
          <p class="muted">No deliveries yet.</p>
        ) : (
          <table>
            <thead>
              <tr>
                <th>Event</th>
                <th>Status</th>
                <th>Attempts</th>
                <th>Queued</th>
              </tr>
            </thead>
            <tbody>
              {deliveries.map((d) => (
                <tr>
                  <td>
                    <strong>{d.eventType}</strong>
                    <div class="muted small mono">{d.eventId}</div>
                    <a class="small mono" href={`/requests/${d.permissionId}`}>
                      {d.permissionId}
                    </a>
                  </td>
                  <td>
                    <Badge status={d.status} />
                  </td>
                  <td class="small">
                    {d.attemptLog.map((a) => (
                      <div>
                        #{a.attempt} <Time ms={a.startedAt} />: {a.statusCode ?? '—'} in {a.durationMs} ms
                        {a.error ? <span class="muted"> ({a.error})</span> : null}
                      </div>
                    ))}
                  </td>
                  <td>
                    <Time ms={d.createdAt} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <a href="/webhooks" class="btn">
          Back to webhooks
        </a>
      </section>
    </>
  );
  return page(c, 'Webhook deliveries', 'webhooks', body);
}

/** Webhooks, admins only: add (the secret is shown once), list, remove, recent deliveries. */
export function webhookPages(app: DashApp, deps: DashboardDeps) {
  const service = deps.webhooks;
  if (!service) return;
  for (const path of ['/webhooks', '/webhooks/*']) {
    app.use(path, async (c, next) => {
      requireRole(c.get('user'), 'admin');
      return next();
    });
  }
  app.get('/webhooks', (c) => listPage(service, c));
  app.post('/webhooks', async (c) => {
    const form = await c.req.parseBody({ all: true });
    const url = typeof form.url === 'string' ? form.url.trim() : '';
    const raw = form.events;
    const events = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter(
      (e): e is string => typeof e === 'string',
    );
    try {
      const { webhook, secret } = await service.add({ url, events }, actor(c.get('user')));
      const body = (
        <>
          <div class="page-head">
            <h1>Webhook added</h1>
          </div>
          <section class="card">
            <p>
              Events go to <span class="mono">{webhook.url}</span>.
            </p>
            <SecretOnce id="secret" label="Signing secret" value={secret} />
            <p class="small muted">The receiver verifies each request's signature with it.</p>
            <a href="/webhooks" class="btn">
              Done
            </a>
          </section>
        </>
      );
      return page(c, 'Webhook added', 'webhooks', body);
    } catch (error) {
      if (error instanceof AgentOtpError && error.status < 500) return listPage(service, c, error);
      throw error;
    }
  });
  app.get('/webhooks/:id', (c) => deliveriesPage(service, c));
  app.post('/webhooks/:id/remove', async (c) => {
    await service.remove(c.req.param('id'), actor(c.get('user')));
    return c.redirect('/webhooks', 303);
  });
}

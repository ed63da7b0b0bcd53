import type { Actor, User, UserToken } from '@agent-otp/core';
import type { Context } from 'hono';
import type { DashApp, DashboardDeps, DashEnv } from '../deps.ts';
import { formFields } from '../http/form.ts';
import { page } from '../views/layout.tsx';
import { ActionButton, Alert, CsrfField, SecretOnce, Time } from '../views/parts.tsx';
import { type PasswordNotice, PasswordSection, passwordPages } from './password.tsx';
import { TelegramSection, telegramPages } from './telegram.tsx';

/**
 * Personal API tokens (`uat_…`). A token acts as its user, so the web only ever creates one for
 * the person logged in (/account); an admin sees and revokes other users' tokens (/users/:id/tokens)
 * but cannot create one for them — that would let one person vote twice in a quorum.
 */

const actor = (user: User): Actor => ({ type: 'user', id: user.id });

function TokenTable({ tokens, revokeBase, csrf }: { tokens: UserToken[]; revokeBase: string; csrf: string }) {
  if (tokens.length === 0) return <p class="muted">No API tokens.</p>;
  return (
    <div class="table-wrap">
      <table>
        <thead>
          <tr>
            <th>Label</th>
            <th>Created</th>
            <th>Revoked</th>
            <th></th>
          </tr>
        </thead>
        <tbody>
          {tokens.map((t) => (
            <tr>
              <td>
                <strong>{t.name}</strong>
                <div class="muted small mono">{t.id}</div>
              </td>
              <td>
                <Time ms={t.createdAt} />
              </td>
              <td>{t.revokedAt === null ? <span class="muted">active</span> : <Time ms={t.revokedAt} />}</td>
              <td class="actions">
                {t.revokedAt === null ? (
                  <ActionButton
                    action={`${revokeBase}/${t.id}/revoke`}
                    csrf={csrf}
                    label="Revoke"
                    kind="btn-danger"
                    confirm={`Revoke the token ${t.name}? It stops working at once.`}
                  />
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

async function accountPage(
  deps: DashboardDeps,
  c: Context<DashEnv>,
  notice?: PasswordNotice,
  status: 200 | 400 | 403 | 429 = 200,
) {
  const me = c.get('user');
  const csrf = c.get('csrf');
  const body = (
    <>
      <div class="page-head">
        <h1>Your account</h1>
      </div>
      <section class="card">
        <h2>API tokens</h2>
        <p class="small muted">
          A personal token lets scripts and <code>agent-otp approvals</code> act as you ({me.name}, {me.role}
          ): <code>Authorization: Bearer uat_…</code>. Only you can create yours.
        </p>
        <form method="post" action="/account/tokens" class="row">
          <CsrfField token={csrf} />
          <label>
            Label
            <input name="name" maxlength={100} value="dashboard" autocomplete="off" />
          </label>
          <button type="submit" class="btn btn-primary">
            New token
          </button>
        </form>
        <TokenTable tokens={await deps.users.listTokens(me.id)} revokeBase="/account/tokens" csrf={csrf} />
      </section>
      <TelegramSection deps={deps} me={me} csrf={csrf} />
      <PasswordSection csrf={csrf} notice={notice} />
    </>
  );
  return page(c, 'Account', 'account', body, status);
}

async function userTokensPage(deps: DashboardDeps, c: Context<DashEnv>) {
  const user = await deps.users.find(c.req.param('id') as string);
  const body = (
    <>
      <div class="page-head">
        <h1>API tokens of {user.name}</h1>
      </div>
      <section class="card">
        <Alert kind="info">
          Only {user.name} can create their tokens. You can revoke them, or disable the user to end all of
          their tokens and sessions.
        </Alert>
        <TokenTable
          tokens={await deps.users.listTokens(user.id)}
          revokeBase={`/users/${user.id}/tokens`}
          csrf={c.get('csrf')}
        />
        <a href="/users" class="btn">
          Back to users
        </a>
      </section>
    </>
  );
  return page(c, `Tokens of ${user.name}`, 'users', body);
}

export function tokenPages(app: DashApp, deps: DashboardDeps) {
  app.get('/account', (c) => accountPage(deps, c));
  passwordPages(app, deps, accountPage);
  telegramPages(app, deps);

  app.post('/account/tokens', async (c) => {
    const me = c.get('user');
    const label = ((await formFields(c)).name ?? '').trim() || 'dashboard';
    // Always for the user logged in: the form names no user, so none can be substituted.
    const { token } = await deps.users.createToken(me.id, label, actor(me));
    const body = (
      <>
        <div class="page-head">
          <h1>New API token</h1>
        </div>
        <section class="card">
          <SecretOnce id="secret" label="Personal API token" value={token} />
          <p class="small muted">It acts as you: Authorization: Bearer …</p>
          <a href="/account" class="btn">
            Done
          </a>
        </section>
      </>
    );
    return page(c, 'New API token', 'account', body);
  });

  app.post('/account/tokens/:tokenId/revoke', async (c) => {
    const me = c.get('user');
    await deps.users.revokeToken(c.req.param('tokenId'), actor(me), me.id);
    return c.redirect('/account', 303);
  });

  // Under /users/*, so only admins reach these (see userPages).
  app.get('/users/:id/tokens', (c) => userTokensPage(deps, c));
  app.post('/users/:id/tokens/:tokenId/revoke', async (c) => {
    const user = await deps.users.find(c.req.param('id'));
    await deps.users.revokeToken(c.req.param('tokenId'), actor(c.get('user')), user.id);
    return c.redirect(`/users/${user.id}/tokens`, 303);
  });
}

import {
  type Actor,
  AgentOtpError,
  MIN_PASSWORD_LENGTH,
  USER_ROLES,
  type User,
  type UserRole,
} from '@agent-otp/core';
import type { Context } from 'hono';
import type { DashApp, DashboardDeps, DashEnv } from '../deps.ts';
import { formFields } from '../http/form.ts';
import { requireRole } from '../http/session.ts';
import { page } from '../views/layout.tsx';
import { ActionButton, Alert, Badge, CopyId, CsrfField, SecretOnce, Time } from '../views/parts.tsx';

const actor = (user: User): Actor => ({ type: 'user', id: user.id });

function UserRow({ user, me, csrf }: { user: User; me: User; csrf: string }) {
  return (
    <tr>
      <td class="stacked-title">
        <strong>{user.name}</strong>
        {user.id === me.id ? <span class="muted small"> (you)</span> : null}
        <div class="muted small">
          <CopyId id={user.id} />
        </div>
      </td>
      <td data-label="Role">
        <form method="post" action={`/users/${user.id}/role`} class="inline role-form">
          <CsrfField token={csrf} />
          <select name="role" aria-label={`Role of ${user.name}`}>
            {USER_ROLES.map((role) => (
              <option value={role} selected={role === user.role}>
                {role}
              </option>
            ))}
          </select>{' '}
          <button type="submit" class="btn btn-small">
            Change role
          </button>
        </form>
      </td>
      <td data-label="Status">
        <Badge status={user.status} />
      </td>
      <td data-label="Created">
        <Time ms={user.createdAt} />
      </td>
      <td class="actions">
        <a href={user.id === me.id ? '/account' : `/users/${user.id}/tokens`} class="btn btn-small">
          Tokens
        </a>{' '}
        {user.id === me.id ? null : user.status === 'active' ? (
          <ActionButton
            action={`/users/${user.id}/disable`}
            csrf={csrf}
            label="Disable"
            kind="btn-danger"
            confirm={`Disable ${user.name}? Their sessions end and their API tokens are revoked for good.`}
          />
        ) : (
          <ActionButton action={`/users/${user.id}/enable`} csrf={csrf} label="Enable" />
        )}
      </td>
    </tr>
  );
}

async function listPage(deps: DashboardDeps, c: Context<DashEnv>, error?: AgentOtpError) {
  const me = c.get('user');
  const csrf = c.get('csrf');
  const users = await deps.users.list();
  const body = (
    <>
      <div class="page-head">
        <h1>Users</h1>
      </div>
      {error ? <Alert>{error.message}</Alert> : null}
      <section class="card">
        <h2>New user</h2>
        <form method="post" action="/users" class="row">
          <CsrfField token={csrf} />
          <label>
            Name
            <input name="name" required maxlength={64} autocomplete="off" />
          </label>
          <label>
            Role
            <select name="role">
              {USER_ROLES.map((role) => (
                <option value={role} selected={role === 'approver'}>
                  {role}
                </option>
              ))}
            </select>
          </label>
          <label>
            Password (empty: generate one)
            <input
              name="password"
              type="password"
              minlength={MIN_PASSWORD_LENGTH}
              autocomplete="new-password"
            />
          </label>
          <button type="submit" class="btn btn-primary">
            Create user
          </button>
        </form>
        <p class="muted small">
          Viewers read; approvers also approve and deny; admins also manage agents and users. Each person
          creates their own API tokens on their account page.
        </p>
      </section>
      <section class="card table-wrap">
        <table class="stacked">
          <thead>
            <tr>
              <th>Name</th>
              <th>Role</th>
              <th>Status</th>
              <th>Created</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {users.map((user) => (
              <UserRow user={user} me={me} csrf={csrf} />
            ))}
          </tbody>
        </table>
      </section>
    </>
  );
  return page(c, 'Users', 'users', body, error ? (error.status as 400 | 409) : 200);
}

function secretPage(c: Context<DashEnv>, title: string, label: string, value: string, note: string) {
  const body = (
    <>
      <div class="page-head">
        <h1>{title}</h1>
      </div>
      <section class="card">
        <SecretOnce id="secret" label={label} value={value} />
        <p class="small muted">{note}</p>
        <a href="/users" class="btn">
          Done
        </a>
      </section>
    </>
  );
  return page(c, title, 'users', body);
}

/**
 * Users, admins only: create (a generated password is shown once), disable (which ends the user's
 * sessions and revokes their tokens for good), enable. Token pages are in tokens.tsx.
 */
export function userPages(app: DashApp, deps: DashboardDeps) {
  app.use('/users', async (c, next) => {
    requireRole(c.get('user'), 'admin');
    return next();
  });
  app.use('/users/*', async (c, next) => {
    requireRole(c.get('user'), 'admin');
    return next();
  });

  app.get('/users', (c) => listPage(deps, c));

  app.post('/users', async (c) => {
    const form = await formFields(c);
    try {
      const input = {
        name: (form.name ?? '').trim(),
        role: form.role as UserRole,
        password: form.password || undefined,
      };
      const { user, generatedPassword } = await deps.users.create(input, actor(c.get('user')));
      if (!generatedPassword) return c.redirect('/users', 303);
      return secretPage(
        c,
        `User ${user.name} created`,
        'Password',
        generatedPassword,
        `Give it to ${user.name} to log in as ${user.role}.`,
      );
    } catch (error) {
      if (
        error instanceof AgentOtpError &&
        (error.code === 'VALIDATION_ERROR' || error.code === 'CONFLICT')
      ) {
        return listPage(deps, c, error);
      }
      throw error;
    }
  });

  // The last active admin cannot be demoted (users.setRole refuses it, atomically).
  app.post('/users/:id/role', async (c) => {
    const me = c.get('user');
    const form = await formFields(c);
    try {
      const user = await deps.users.setRole(c.req.param('id'), form.role as UserRole, actor(me));
      // An admin who gave up the role can no longer see this page.
      return c.redirect(user.id === me.id && user.role !== 'admin' ? '/' : '/users', 303);
    } catch (error) {
      if (
        error instanceof AgentOtpError &&
        (error.code === 'VALIDATION_ERROR' || error.code === 'CONFLICT')
      ) {
        return listPage(deps, c, error);
      }
      throw error;
    }
  });

  // No route creates a token for another user: each person makes their own on /account.

  for (const change of ['disable', 'enable'] as const) {
    app.post(`/users/:id/${change}`, async (c) => {
      const me = c.get('user');
      if (c.req.param('id') === me.id)
        throw new AgentOtpError('VALIDATION_ERROR', 'you cannot disable yourself');
      await deps.users[change](c.req.param('id'), actor(me));
      return c.redirect('/users', 303);
    });
  }
}

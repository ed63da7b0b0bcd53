import { AgentOtpError } from '@agent-otp/core';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { DashApp, DashboardDeps } from '../deps.ts';
import { clientAddress, createProxyTrust } from '../http/client-address.ts';
import { formFields, isHttps } from '../http/form.ts';
import { SESSION_COOKIE, safeNext } from '../http/session.ts';
import { html, Layout } from '../views/layout.tsx';
import { Alert } from '../views/parts.tsx';

function LoginPage({ next, name, error }: { next: string; name?: string; error?: string }) {
  return (
    <Layout title="Log in">
      <section class="login card">
        <h1>Log in</h1>
        <p class="muted">Approve or deny what your agents ask to do.</p>
        {error ? <Alert>{error}</Alert> : null}
        <form method="post" action="/login" class="stack">
          <input type="hidden" name="next" value={next} />
          <label>
            User name
            <input
              name="name"
              autocomplete="username"
              required
              autofocus={!name}
              value={name ?? ''}
              maxlength={64}
            />
          </label>
          <label>
            Password
            <input
              name="password"
              type="password"
              autocomplete="current-password"
              required
              autofocus={!!name}
            />
          </label>
          <button type="submit" class="btn btn-primary">
            Log in
          </button>
        </form>
      </section>
    </Layout>
  );
}

/** Login and logout. The session cookie is the only credential the dashboard accepts. */
export function loginPages(app: DashApp, deps: DashboardDeps) {
  const proxies = createProxyTrust(deps.trustedProxies ?? []);
  app.get('/login', async (c) => {
    const cookie = getCookie(c, SESSION_COOKIE);
    if (cookie && (await deps.users.authenticateSession(cookie)))
      return c.redirect(safeNext(c.req.query('next')), 302);
    return html(c, <LoginPage next={safeNext(c.req.query('next'))} />);
  });

  app.post('/login', async (c) => {
    const form = await formFields(c);
    const next = safeNext(form.next);
    const name = (form.name ?? '').trim();
    try {
      const { session, sessionToken } = await deps.users.login(name, form.password ?? '', {
        ip: clientAddress(c, proxies),
      });
      setCookie(c, SESSION_COOKIE, sessionToken, {
        httpOnly: true,
        sameSite: 'Strict',
        path: '/',
        secure: isHttps(c),
        maxAge: Math.max(0, Math.floor((session.expiresAt - deps.clock.now()) / 1000)),
      });
      return c.redirect(next, 303);
    } catch (error) {
      if (!(error instanceof AgentOtpError)) throw error;
      if (error.code === 'RATE_LIMITED') {
        const wait = (error.details as { retryAfter?: number } | undefined)?.retryAfter ?? 60;
        c.header('Retry-After', String(wait));
        const message = `Too many failed logins. Try again in ${wait} seconds.`;
        return html(c, <LoginPage next={next} name={name} error={message} />, 429);
      }
      if (error.code === 'UNAUTHORIZED') {
        return html(c, <LoginPage next={next} name={name} error="Wrong user name or password." />, 401);
      }
      throw error;
    }
  });

  // Reached through the session middleware, so the CSRF token has been checked.
  app.post('/logout', async (c) => {
    await deps.users.logout(c.get('session'));
    deleteCookie(c, SESSION_COOKIE, { path: '/', secure: isHttps(c) });
    return c.redirect('/login', 303);
  });
}

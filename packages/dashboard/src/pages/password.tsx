import { AgentOtpError, MIN_PASSWORD_LENGTH } from '@agent-otp/core';
import type { Context } from 'hono';
import type { DashApp, DashboardDeps, DashEnv } from '../deps.ts';
import { clientAddress, createProxyTrust } from '../http/client-address.ts';
import { formFields } from '../http/form.ts';
import { Alert, CsrfField } from '../views/parts.tsx';

/** What the password form says after a post: done, or why not. */
export type PasswordNotice = { kind: 'ok' | 'error'; text: string };

/**
 * Changing your own password. Only your own: the form names no user, and an admin who could set
 * another person's password could log in as them and make up a quorum alone. Another person's
 * password is reset on the host (`agent-otp users set-password`).
 */
export function PasswordSection({ csrf, notice }: { csrf: string; notice?: PasswordNotice }) {
  return (
    <section class="card" id="password">
      <h2>Password</h2>
      {notice ? <Alert kind={notice.kind}>{notice.text}</Alert> : null}
      <p class="small muted">
        Changing it logs you out everywhere else; this browser stays logged in. Forgot it? An admin on the
        host runs <code>npx agent-otp users set-password --name NAME --generate</code>.
      </p>
      <form method="post" action="/account/password">
        <CsrfField token={csrf} />
        <label>
          Current password
          <input name="currentPassword" type="password" required autocomplete="current-password" />
        </label>
        <label>
          New password (at least {MIN_PASSWORD_LENGTH} characters)
          <input
            name="newPassword"
            type="password"
            required
            minlength={MIN_PASSWORD_LENGTH}
            autocomplete="new-password"
          />
        </label>
        <button type="submit" class="btn btn-primary">
          Change password
        </button>
      </form>
    </section>
  );
}

/** Renders /account with the password form's notice (passed in: the account page lives in tokens.tsx). */
type AccountPage = (
  deps: DashboardDeps,
  c: Context<DashEnv>,
  notice: PasswordNotice,
  status?: 400 | 403 | 429,
) => Promise<Response>;

export function passwordPages(app: DashApp, deps: DashboardDeps, accountPage: AccountPage) {
  const proxies = createProxyTrust(deps.trustedProxies ?? []);

  app.post('/account/password', async (c) => {
    const form = await formFields(c);
    try {
      const { sessionsEnded } = await deps.users.changeOwnPassword(
        c.get('session'),
        { currentPassword: form.currentPassword ?? '', newPassword: form.newPassword ?? '' },
        { ip: clientAddress(c, proxies) },
      );
      const others = sessionsEnded === 1 ? '1 other session' : `${sessionsEnded} other sessions`;
      return accountPage(deps, c, { kind: 'ok', text: `Password changed; ${others} ended.` });
    } catch (error) {
      if (!(error instanceof AgentOtpError)) throw error;
      if (error.code === 'RATE_LIMITED') {
        const wait = (error.details as { retryAfter?: number } | undefined)?.retryAfter ?? 60;
        c.header('Retry-After', String(wait));
      }
      const status = error.status === 403 ? 403 : error.status === 429 ? 429 : 400;
      return accountPage(deps, c, { kind: 'error', text: error.message }, status);
    }
  });
}

import type { User } from '@agent-otp/core';
import type { Context } from 'hono';
import type { Child } from 'hono/jsx';
import type { DashEnv } from '../deps.ts';
import { assetUrl } from '../http/assets.ts';
import { hasRole } from '../http/session.ts';
import { CsrfField } from './parts.tsx';

// htmx must not inject its indicator <style> (the CSP forbids inline styles) nor eval anything.
const HTMX_CONFIG = JSON.stringify({
  includeIndicatorStyles: false,
  allowEval: false,
  allowScriptTags: false,
});

const NAV: Array<{ href: string; label: string; key: string; admin?: boolean }> = [
  { href: '/', label: 'Inbox', key: 'inbox' },
  { href: '/history', label: 'History', key: 'history' },
  { href: '/overview', label: 'Overview', key: 'overview' },
  { href: '/agents', label: 'Agents', key: 'agents' },
  { href: '/policies', label: 'Policies', key: 'policies' },
  { href: '/audit', label: 'Audit', key: 'audit' },
  { href: '/users', label: 'Users', key: 'users', admin: true },
  { href: '/webhooks', label: 'Webhooks', key: 'webhooks', admin: true },
  { href: '/docs', label: 'Docs', key: 'docs' },
];

interface LayoutProps {
  title: string;
  active?: string;
  user?: User;
  csrf?: string;
  children: Child;
}

export function Layout({ title, active, user, csrf, children }: LayoutProps) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <meta name="htmx-config" content={HTMX_CONFIG} />
        {csrf ? <meta name="csrf-token" content={csrf} /> : null}
        <title>{`${title} · Agent OTP`}</title>
        <link rel="icon" href={assetUrl('favicon.svg')} type="image/svg+xml" />
        <link rel="stylesheet" href={assetUrl('app.css')} />
        <script src={assetUrl('htmx.min.js')} defer></script>
        <script src={assetUrl('sse.min.js')} defer></script>
        <script src={assetUrl('app.js')} defer></script>
      </head>
      <body>
        <a class="skip-link" href="#main">
          Skip to content
        </a>
        <header class="topbar">
          <a class="brand" href="/">
            <span class="logo" aria-hidden="true">
              ◆
            </span>{' '}
            Agent OTP
          </a>
          {user ? (
            <nav class="nav" aria-label="Main">
              {NAV.filter((item) => !item.admin || hasRole(user, 'admin')).map((item) => (
                <a
                  href={item.href}
                  class={item.key === active ? 'active' : ''}
                  aria-current={item.key === active ? 'page' : undefined}
                >
                  {item.label}
                </a>
              ))}
            </nav>
          ) : null}
          {user && csrf ? (
            <form method="post" action="/logout" class="whoami">
              {/* The role only when it adds something: "admin · admin" read as a glitch. */}
              <a
                href="/account"
                class="muted small"
                title={`Your account and API tokens (role: ${user.role})`}
              >
                {user.name}
                {user.role === user.name ? null : <span class="badge badge-role">{user.role}</span>}
              </a>
              <CsrfField token={csrf} />
              <button type="submit" class="btn btn-small btn-ghost">
                Log out
              </button>
            </form>
          ) : null}
        </header>
        <main class="container" id="main" tabindex={-1}>
          {children}
        </main>
      </body>
    </html>
  );
}

/** Renders a full page for the logged-in user with the given status. */
export function page(
  c: Context<DashEnv>,
  title: string,
  active: string,
  body: Child,
  status: 200 | 400 | 403 | 404 | 409 | 422 | 429 = 200,
) {
  return html(
    c,
    <Layout title={title} active={active} user={c.get('user')} csrf={c.get('csrf')}>
      {body}
    </Layout>,
    status,
  );
}

/** A complete HTML document (doctype included) or a fragment, as a response. */
export async function html(c: Context, node: Child, status = 200) {
  // A JSX node renders through toString(), which is async when a component is.
  const text = await (node as { toString(): string | Promise<string> }).toString();
  return c.html(text.startsWith('<html') ? `<!DOCTYPE html>${text}` : text, status as 200);
}

import { redactText, type User } from '@agent-otp/core';
import type { Context } from 'hono';
import type { DashEnv } from '../deps.ts';
import { html, Layout } from './layout.tsx';

const TITLES: Record<number, string> = {
  400: 'That did not work',
  401: 'Please log in',
  403: 'Not allowed',
  404: 'Not found',
  409: 'Already changed',
  413: 'Too large',
  429: 'Slow down',
  500: 'Something went wrong',
};

/** An error as a page of the dashboard (never the API's JSON envelope); token-shaped text is redacted. */
export function errorPage(c: Context<DashEnv>, status: number, message: string) {
  const user = c.get('user') as User | undefined;
  const requestId = c.get('requestId');
  return html(
    c,
    <Layout title={TITLES[status] ?? 'Error'} user={user} csrf={c.get('csrf')}>
      <section class="card error-page">
        <h1>{TITLES[status] ?? 'Error'}</h1>
        <p>{redactText(message)}</p>
        {status >= 500 && requestId ? <p class="muted small">Request id: {requestId}</p> : null}
        <p>
          <a href="/" class="btn">
            Back to the inbox
          </a>
        </p>
      </section>
    </Layout>,
    status,
  );
}

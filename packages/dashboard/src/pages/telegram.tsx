import type { Actor, User } from '@agent-otp/core';
import type { DashApp, DashboardDeps } from '../deps.ts';
import { page } from '../views/layout.tsx';
import { ActionButton, Alert, CsrfField, SecretOnce, Time } from '../views/parts.tsx';

/**
 * Linking a Telegram chat to the logged-in user: a one-time code to send to the bot as
 * /start CODE, and the linked chat with an Unlink button. Only ever for yourself: a chat linked
 * to someone else's account could vote as them.
 */

const actor = (user: User): Actor => ({ type: 'user', id: user.id });

export async function TelegramSection({ deps, me, csrf }: { deps: DashboardDeps; me: User; csrf: string }) {
  const telegram = deps.telegram;
  if (!telegram) return null;
  const link = await telegram.links.get(me.id);
  return (
    <section class="card" id="telegram">
      <h2>Telegram</h2>
      {telegram.enabled ? null : (
        <Alert kind="warn">
          The Telegram bot is not running on this server (set TELEGRAM_BOT_TOKEN). You can still prepare a
          link code.
        </Alert>
      )}
      {link ? (
        <p>
          Linked to the chat of <strong>{link.chatLabel ?? 'a Telegram user'}</strong> (chat id{' '}
          <code>{link.chatId}</code>) since <Time ms={link.linkedAt} />. Pending requests arrive there with
          Approve / Deny buttons.{' '}
          <ActionButton
            action="/account/telegram/unlink"
            csrf={csrf}
            label="Unlink"
            kind="btn-danger"
            confirm="Unlink this Telegram chat? It stops receiving requests at once."
          />
        </p>
      ) : (
        <p class="small muted">
          No chat linked. Get a code, then send /start CODE to the bot in a private chat.
        </p>
      )}
      <form method="post" action="/account/telegram/code" class="row">
        <CsrfField token={csrf} />
        <button type="submit" class="btn btn-primary">
          {link ? 'Link another chat' : 'Get a link code'}
        </button>
      </form>
    </section>
  );
}

export function telegramPages(app: DashApp, deps: DashboardDeps) {
  app.post('/account/telegram/code', async (c) => {
    if (!deps.telegram) return c.redirect('/account', 303);
    const me = c.get('user');
    const { code, expiresAt } = await deps.telegram.links.createCode(me, actor(me));
    const body = (
      <>
        <div class="page-head">
          <h1>Link Telegram</h1>
        </div>
        <section class="card">
          <SecretOnce id="telegram-code" label="Send this to the bot" value={`/start ${code}`} />
          <p class="small muted">
            Works once, until <Time ms={expiresAt} />, and only from a private chat with the bot. A new code
            replaces this one.
          </p>
          <a href="/account" class="btn">
            Done
          </a>
        </section>
      </>
    );
    return page(c, 'Link Telegram', 'account', body);
  });

  app.post('/account/telegram/unlink', async (c) => {
    if (!deps.telegram) return c.redirect('/account', 303);
    const me = c.get('user');
    await deps.telegram.links.unlink(me, actor(me));
    return c.redirect('/account#telegram', 303);
  });
}

import type { Webhook, WebhookAttempt, WebhookDelivery } from '@agent-otp/core';
import { Command } from 'commander';
import { cliActor, iso, withRuntime } from '../admin.ts';
import { print, table } from '../output.ts';

interface JsonOption {
  json?: boolean;
}

/** What may be shown of a webhook: never its salt (nor, of course, its secret). */
function publicWebhook(webhook: Webhook) {
  return { id: webhook.id, url: webhook.url, events: webhook.events, createdAt: iso(webhook.createdAt) };
}

function publicDelivery(d: WebhookDelivery & { attemptLog: WebhookAttempt[] }) {
  return {
    id: d.id,
    eventId: d.eventId,
    type: d.eventType,
    permissionId: d.permissionId,
    status: d.status,
    attempts: d.attempts,
    nextAttemptAt: d.status === 'pending' ? iso(d.nextAttemptAt) : null,
    lastStatusCode: d.lastStatusCode,
    lastError: d.lastError,
    createdAt: iso(d.createdAt),
    attemptLog: d.attemptLog.map((a) => ({
      attempt: a.attempt,
      startedAt: iso(a.startedAt),
      durationMs: a.durationMs,
      statusCode: a.statusCode,
      error: a.error,
    })),
  };
}

const splitList = (value: string): string[] =>
  value
    .split(',')
    .map((v) => v.trim())
    .filter((v) => v !== '');

export function webhooksCommand(): Command {
  const webhooks = new Command('webhooks').description(
    'Outgoing webhooks: signed POSTs of permission events to your URLs (see docs/webhooks.md)',
  );

  webhooks
    .command('add')
    .description('Add a webhook and print its signing secret (shown once)')
    .requiredOption('--url <url>', 'receiver URL (http:// or https://)')
    .option(
      '--events <list>',
      'comma-separated event types (default: all): permission.requested,approved,denied,expired,used,revoked',
    )
    .option('--json', 'print JSON')
    .action(async (options: JsonOption & { url: string; events?: string }) => {
      const events = options.events === undefined ? undefined : splitList(options.events);
      const { webhook, secret } = await withRuntime((rt) =>
        rt.webhooks.service.add({ url: options.url, events }, cliActor()),
      );
      print(options.json === true, { ...publicWebhook(webhook), secret }, () =>
        [
          `added webhook ${webhook.id} → ${webhook.url}`,
          `events: ${webhook.events.join(', ')}`,
          `secret: ${secret}`,
        ].join('\n'),
      );
      process.stderr.write('Store this signing secret now: it is not shown again.\n');
    });

  webhooks
    .command('list')
    .description('List webhooks')
    .option('--json', 'print JSON')
    .action(async (options: JsonOption) => {
      const list = (await withRuntime((rt) => rt.webhooks.service.list(), { readOnly: true })).map(
        publicWebhook,
      );
      print(options.json === true, list, () =>
        list.length === 0
          ? 'no webhooks (add one with: agent-otp webhooks add --url URL)'
          : table(
              ['ID', 'URL', 'EVENTS', 'CREATED'],
              list.map((w) => [w.id, w.url, w.events.join(','), w.createdAt]),
            ),
      );
    });

  webhooks
    .command('remove')
    .description('Remove a webhook: nothing more is sent to it, queued retries included')
    .requiredOption('--id <id>', 'webhook id (whk_…)')
    .option('--json', 'print JSON')
    .action(async (options: JsonOption & { id: string }) => {
      const removed = await withRuntime((rt) => rt.webhooks.service.remove(options.id, cliActor()));
      print(
        options.json === true,
        { ...publicWebhook(removed), removed: true },
        () => `removed webhook ${removed.id}`,
      );
    });

  webhooks
    .command('deliveries')
    .description('Recent deliveries of a webhook, newest first, with every attempt')
    .requiredOption('--id <id>', 'webhook id (whk_…)')
    .option('--limit <n>', 'how many (1..200)', '20')
    .option('--json', 'print JSON')
    .action(async (options: JsonOption & { id: string; limit: string }) => {
      const limit = Number.parseInt(options.limit, 10);
      const list = (
        await withRuntime(
          (rt) => rt.webhooks.service.deliveries(options.id, Number.isNaN(limit) ? 20 : limit),
          {
            readOnly: true,
          },
        )
      ).map(publicDelivery);
      print(options.json === true, list, () =>
        list.length === 0
          ? 'no deliveries yet'
          : table(
              ['EVENT', 'TYPE', 'STATUS', 'ATTEMPTS', 'LAST', 'CREATED'],
              list.map((d) => [
                d.eventId,
                d.type,
                d.status,
                String(d.attempts),
                d.lastError ?? (d.lastStatusCode === null ? '' : String(d.lastStatusCode)),
                d.createdAt,
              ]),
            ),
      );
    });
  return webhooks;
}

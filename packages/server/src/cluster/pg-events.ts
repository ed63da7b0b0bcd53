import type pg from 'pg';
import type { Logger } from 'pino';
import { loadPg } from '../optional-deps.ts';
import { type ClusterEvents, createRelay } from './relayed-events.ts';

/** NOTIFY carries at most 8000 bytes; a change is far smaller, but a bigger one is not sent. */
const MAX_PAYLOAD = 7900;

/**
 * Permission events across instances over PostgreSQL LISTEN/NOTIFY, for clusters with
 * PostgreSQL and no Redis. One dedicated connection listens and notifies (a pooled connection
 * would lose its LISTEN when returned). NOTIFY is delivered only to sessions listening at that
 * moment: while the connection is down waiters re-read every `recheckMs`, it reconnects with
 * backoff, and an instance whose notifications were lost asks the others to re-read (resync).
 */
export function createPgEvents(options: {
  url: string;
  channel: string;
  instanceId: string;
  recheckMs: number;
  logger: Logger;
}): ClusterEvents {
  const { channel, logger } = options;
  let connection: pg.Client | null = null;
  let closed = false;
  let lostPublishes = false;
  let lastError: string | null = null;
  let retries = 0;

  // One NOTIFY statement at a time on the connection (pg refuses to queue a query behind another
  // in its next major version): what is published meanwhile waits and goes in the next statement,
  // in order, one pg_notify per message (PostgreSQL folds identical payloads of one statement into
  // one notification: the same change twice says nothing more, waiters re-read the permission).
  let outbox: string[] = [];
  let sending = false;
  const flush = () => {
    const client = connection;
    if (sending || outbox.length === 0 || !client) return;
    const batch = outbox;
    outbox = [];
    sending = true;
    client
      .query('SELECT pg_notify($1, payload) FROM unnest($2::text[]) AS payload', [channel, batch])
      .catch((error: Error) => {
        lostPublishes = true;
        logger.debug({ err: error.message }, 'permission events not sent with NOTIFY');
      })
      .finally(() => {
        sending = false;
        flush();
      });
  };
  const notify = (raw: string) => {
    if (Buffer.byteLength(raw) > MAX_PAYLOAD) return;
    if (!connection || relay.isDown()) {
      lostPublishes = true;
      return;
    }
    outbox.push(raw);
    flush();
  };
  const relay = createRelay({ instanceId: options.instanceId, recheckMs: options.recheckMs, send: notify });

  const lost = (client: pg.Client, error?: Error) => {
    if (connection !== client || closed) return;
    connection = null;
    if (outbox.length > 0) lostPublishes = true;
    outbox = [];
    lastError = error?.message ?? 'connection ended';
    if (!relay.isDown()) logger.error({ err: lastError }, 'postgres events connection lost; reconnecting');
    relay.down();
    client.end().catch(() => undefined);
    if (!closed) setTimeout(connect, Math.min(100 * 2 ** retries++, 2000)).unref();
  };

  async function connect() {
    if (closed) return;
    const client = new (loadPg().Client)({
      connectionString: options.url,
      connectionTimeoutMillis: 2000,
      // Names the connection in pg_stat_activity (PostgreSQL keeps the first 63 characters).
      application_name: `agent-otp-events ${options.instanceId}`,
    });
    connection = client;
    client.on('error', (error) => lost(client, error));
    client.on('end', () => lost(client));
    client.on('notification', (message) => {
      if (message.channel === channel && message.payload) relay.receive(message.payload);
    });
    try {
      await client.connect();
      // The channel is validated as an identifier by the config; quoted all the same.
      await client.query(`LISTEN "${channel}"`);
    } catch (error) {
      lost(client, error as Error);
      return;
    }
    if (closed) return void client.end().catch(() => undefined);
    if (relay.isDown() && retries > 0) logger.info('postgres events connection back');
    retries = 0;
    relay.up();
    if (lostPublishes) {
      lostPublishes = false;
      notify(relay.resyncMessage());
    }
  }
  relay.down();
  void connect();

  return {
    ...relay.events,
    health() {
      return relay.isDown()
        ? {
            backend: 'postgres',
            status: 'down',
            reason: `postgres events channel down: ${lastError ?? 'connecting'}`,
          }
        : { backend: 'postgres', status: 'ok' };
    },
    async close() {
      closed = true;
      relay.stop();
      const client = connection;
      connection = null;
      await client?.end().catch(() => undefined);
    },
  };
}

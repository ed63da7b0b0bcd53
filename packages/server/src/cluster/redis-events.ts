import type { Logger } from 'pino';
import type { RedisClients } from './redis-client.ts';
import { type ClusterEvents, createRelay } from './relayed-events.ts';

/**
 * Permission events across instances over Redis pub/sub. A change reaches this instance's
 * listeners at once and the other instances through one channel. Pub/sub keeps nothing: a
 * message sent while a subscriber is away is lost, so while either connection is down waiters
 * re-read every `recheckMs`, and an instance that could not publish tells the others to re-read
 * once it is back (resync).
 */
export function createRedisEvents(options: {
  redis: RedisClients;
  channel: string;
  instanceId: string;
  recheckMs: number;
  logger: Logger;
}): ClusterEvents {
  const { client, subscriber } = options.redis;
  let lostPublishes = false;
  let lastError: string | null = null;
  const relay = createRelay({
    instanceId: options.instanceId,
    recheckMs: options.recheckMs,
    send(raw) {
      if (!client.isReady) {
        lostPublishes = true;
        return;
      }
      client.publish(options.channel, raw).catch((error: Error) => {
        lostPublishes = true;
        options.logger.debug({ err: error.message }, 'permission event not published to redis');
      });
    },
  });

  let subscribed = false;
  let closed = false;
  const refresh = () => {
    if (closed) return;
    if (client.isReady && subscriber.isReady && subscribed) {
      relay.up();
      if (lostPublishes) {
        lostPublishes = false;
        client.publish(options.channel, relay.resyncMessage()).catch(() => {
          lostPublishes = true;
        });
      }
    } else relay.down();
  };
  for (const c of [client, subscriber]) {
    c.on('ready', refresh);
    c.on('error', (error: Error) => {
      lastError = error.message;
      refresh();
    });
    c.on('end', refresh);
    c.on('reconnecting', refresh);
  }
  // Down until the subscription is in place; node-redis subscribes again after a reconnect.
  relay.down();
  const subscribe = async () => {
    while (!closed && !subscribed) {
      try {
        if (!subscriber.isReady) await new Promise((resolve) => subscriber.once('ready', resolve));
        await subscriber.subscribe(options.channel, (message) => relay.receive(message));
        subscribed = true;
      } catch (error) {
        lastError = (error as Error).message;
        await new Promise((resolve) => setTimeout(resolve, 1000).unref());
      }
    }
    refresh();
  };
  void subscribe();

  return {
    ...relay.events,
    health() {
      return relay.isDown()
        ? {
            backend: 'redis',
            status: 'down',
            reason: `redis events channel down: ${lastError ?? 'connecting'}`,
          }
        : { backend: 'redis', status: 'ok' };
    },
    async close() {
      closed = true;
      relay.stop();
      if (subscriber.isReady) await subscriber.unsubscribe(options.channel).catch(() => undefined);
    },
  };
}

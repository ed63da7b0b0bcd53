import { createLocalEvents, type PermissionChange, type PermissionEvents } from '@agent-otp/core';

/** What instances send each other: a change, or a note that the sender lost some (resync). */
export interface RelayMessage {
  /** The sending instance: an instance ignores its own messages (it delivered them already). */
  from: string;
  change?: PermissionChange;
  resync?: true;
}

export interface EventsHealth {
  backend: 'local' | 'redis' | 'postgres';
  status: 'ok' | 'down';
  /** Why the channel is down, for readiness. */
  reason?: string;
}

export interface ClusterEvents extends PermissionEvents {
  health(): EventsHealth;
  close(): Promise<void>;
}

/**
 * The part every shared events adapter has in common: local listeners hear a change at once;
 * the transport (Redis, LISTEN/NOTIFY) carries it to the other instances, whose copies arrive
 * through `receive`. While the transport is down, waiters are woken every `recheckMs` to
 * re-read the database, and once more when it comes back, so a lost message costs latency only.
 */
export function createRelay(options: { instanceId: string; recheckMs: number; send(raw: string): void }) {
  const local = createLocalEvents();
  const missed = new Set<() => void>();
  let ticker: NodeJS.Timeout | null = null;

  const wakeAll = () => {
    for (const listener of [...missed]) listener();
  };

  const events: PermissionEvents = {
    publish(change) {
      local.publish(change);
      options.send(JSON.stringify({ from: options.instanceId, change } satisfies RelayMessage));
    },
    subscribe: local.subscribe,
    subscribeAll: local.subscribeAll,
    onMissedChanges(listener) {
      missed.add(listener);
      return () => missed.delete(listener);
    },
  };

  return {
    events,
    /** A message from the transport: another instance's change or resync; our own are dropped. */
    receive(raw: string) {
      let message: RelayMessage;
      try {
        message = JSON.parse(raw) as RelayMessage;
      } catch {
        return;
      }
      if (message.from === options.instanceId) return;
      if (message.resync) wakeAll();
      const change = message.change;
      if (change && typeof change.permissionId === 'string') local.publish(change);
    },
    /** The transport went down: wake waiters now and then until it is back. */
    down() {
      if (ticker) return;
      ticker = setInterval(wakeAll, options.recheckMs);
      ticker.unref();
    },
    /** The transport is back: one more wake-up for whatever passed while it was down. */
    up() {
      if (!ticker) return;
      clearInterval(ticker);
      ticker = null;
      wakeAll();
    },
    isDown: () => ticker !== null,
    resyncMessage: () => JSON.stringify({ from: options.instanceId, resync: true } satisfies RelayMessage),
    stop() {
      if (ticker) clearInterval(ticker);
      ticker = null;
      missed.clear();
    },
  };
}

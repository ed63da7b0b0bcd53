import { EventEmitter } from 'node:events';
import type { PermissionStatus } from './types.ts';

/** A change of a permission, announced after it committed. Carries no secret. */
export interface PermissionChange {
  permissionId: string;
  agentId: string;
  status: PermissionStatus;
  /** What happened: created, vote, approved, denied, expired, cancelled, revoked, used, delivered. */
  kind: string;
}

/**
 * The events port: waiting agents (long-poll, SSE) and the dashboard inbox learn of changes
 * here. The in-process adapter serves one instance; a Redis adapter fans out to many.
 */
export interface PermissionEvents {
  publish(change: PermissionChange): void;
  /** Calls `listener` for changes of one permission; returns the unsubscribe function. */
  subscribe(permissionId: string, listener: (change: PermissionChange) => void): () => void;
  /** Calls `listener` for every change (the dashboard). */
  subscribeAll(listener: (change: PermissionChange) => void): () => void;
  /**
   * Calls `listener` when changes may have been missed: the channel between instances is down
   * (then every few seconds, so waiters re-read on their own) or came back after an outage.
   * Only adapters that share events between instances call it; waiters listen through
   * `watchPermission` / `watchAll`, so a missed message costs latency, never a stuck waiter.
   */
  onMissedChanges?(listener: () => void): () => void;
}

/**
 * Whether a change can alter what the permission's agent sees. A vote leaves the request pending
 * and changes none of its fields: a waiter that re-read on it would spend a read (on the
 * approval's critical path, in the same process) to send nothing.
 */
export function visibleToAgent(change: PermissionChange): boolean {
  return change.kind !== 'vote';
}

/**
 * Wakes `wake` on a change of the permission (given the change) and whenever changes may have
 * been missed (given nothing: re-read).
 */
export function watchPermission(
  events: PermissionEvents,
  permissionId: string,
  wake: (change?: PermissionChange) => void,
) {
  const stopChanges = events.subscribe(permissionId, (change) => wake(change));
  const stopMissed = events.onMissedChanges?.(() => wake());
  return () => {
    stopChanges();
    stopMissed?.();
  };
}

/** Wakes `wake` on every change and whenever changes may have been missed (the dashboard). */
export function watchAll(events: PermissionEvents, wake: () => void) {
  const stopChanges = events.subscribeAll(() => wake());
  const stopMissed = events.onMissedChanges?.(wake);
  return () => {
    stopChanges();
    stopMissed?.();
  };
}

export function createLocalEvents(): PermissionEvents {
  const emitter = new EventEmitter();
  emitter.setMaxListeners(0);
  return {
    publish(change) {
      emitter.emit(change.permissionId, change);
      emitter.emit('*', change);
    },
    subscribe(permissionId, listener) {
      emitter.on(permissionId, listener);
      return () => emitter.off(permissionId, listener);
    },
    subscribeAll(listener) {
      emitter.on('*', listener);
      return () => emitter.off('*', listener);
    },
  };
}

/**
 * Resolves when the permission changes visibly to its agent, or `ms` pass or `signal` aborts, whichever is first.
 * Callers re-read the state afterwards: the event is a wake-up call, not the data.
 */
export function waitForChange(
  events: PermissionEvents,
  permissionId: string,
  ms: number,
  signal?: AbortSignal,
) {
  return new Promise<void>((resolve) => {
    if (signal?.aborted || ms <= 0) return resolve();
    const done = () => {
      clearTimeout(timer);
      unsubscribe();
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    const unsubscribe = watchPermission(events, permissionId, (change) => {
      if (!change || visibleToAgent(change)) done();
    });
    signal?.addEventListener('abort', done, { once: true });
  });
}

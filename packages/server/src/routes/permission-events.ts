import {
  AgentOtpError,
  type PermissionEvents,
  type PermissionService,
  TERMINAL_STATUSES,
  visibleToAgent,
  watchPermission,
} from '@agent-otp/core';
import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { AppEnv } from '../http/env.ts';
import { presentPermission } from './presenters.ts';
import { IdParams } from './schemas.ts';

const KEEPALIVE_MS = 15_000;

/**
 * `GET /permissions/:id/events`: Server-Sent Events of one permission for its agent. The first
 * event is the current state; each change sends the new state (`event: permission`) until a
 * terminal state. A human-approved token rides on the one event that delivers it.
 */
export function permissionEventRoutes(permissions: PermissionService, events: PermissionEvents) {
  const app = new Hono<AppEnv>();
  app.get('/permissions/:id/events', async (c) => {
    const parsed = IdParams.safeParse({ id: c.req.param('id') });
    if (!parsed.success)
      throw new AgentOtpError('VALIDATION_ERROR', 'id: must be a permission id (perm_…)', { field: 'id' });
    const agent = c.get('agent');
    const id = parsed.data.id;
    // Subscribed before the first read, so a decision made between the two is not missed (the
    // stream would otherwise sit on a stale pending state until the deadline).
    let wake: () => void = () => undefined;
    let changed = false;
    const unsubscribe = watchPermission(events, id, (change) => {
      if (change && !visibleToAgent(change)) return;
      changed = true;
      wake();
    });
    let first: Awaited<ReturnType<PermissionService['get']>>;
    try {
      // Fails with 404 before the stream opens when the permission is not the agent's.
      first = await permissions.get(agent, id);
    } catch (error) {
      unsubscribe();
      throw error;
    }

    return streamSSE(c, async (stream) => {
      stream.onAbort(() => wake());
      try {
        let current = first;
        let eventId = 0;
        const send = (state: typeof first) =>
          stream.writeSSE({
            event: 'permission',
            id: String(++eventId),
            data: JSON.stringify({
              ...presentPermission(state.permission),
              ...(state.token ? { token: state.token } : {}),
            }),
          });
        await send(current);
        while (!TERMINAL_STATUSES.includes(current.permission.status) && !stream.aborted) {
          // Wait for a change, sending a comment now and then so proxies keep the line open.
          while (!changed && !stream.aborted) {
            await new Promise<void>((resolve) => {
              // Cleared on wake-up: a stale timer would keep a finished stream's process alive.
              const timer = setTimeout(
                resolve,
                Math.min(KEEPALIVE_MS, Math.max(50, current.permission.expiresAt - Date.now() + 50)),
              );
              wake = () => {
                clearTimeout(timer);
                resolve();
              };
            });
            if (!changed && !stream.aborted) await stream.write(': keepalive\n\n');
            if (!changed && current.permission.expiresAt <= Date.now()) changed = true;
          }
          if (stream.aborted) break;
          changed = false;
          const next = await permissions.get(agent, id);
          // A wake-up that changed nothing visible (a vote, our own delivery) sends nothing: the
          // state already sent is not repeated, and above all its token is never sent twice.
          const same =
            next.permission.status === current.permission.status &&
            next.permission.updatedAt === current.permission.updatedAt;
          if (same && !next.token) continue;
          current = next;
          await send(current);
        }
      } finally {
        unsubscribe();
      }
    });
  });
  return app;
}

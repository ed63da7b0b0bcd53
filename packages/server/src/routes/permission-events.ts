import {
  AgentOtpError,
  type PermissionEvents,
  type PermissionService,
  TERMINAL_STATUSES,
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
    // Fails with 404 before the stream opens when the permission is not the agent's.
    const first = await permissions.get(agent, id);

    return streamSSE(c, async (stream) => {
      let wake: () => void = () => undefined;
      let changed = false;
      const unsubscribe = events.subscribe(id, () => {
        changed = true;
        wake();
      });
      stream.onAbort(() => wake());
      try {
        let current = first;
        let eventId = 0;
        for (;;) {
          await stream.writeSSE({
            event: 'permission',
            id: String(++eventId),
            data: JSON.stringify({
              ...presentPermission(current.permission),
              ...(current.token ? { token: current.token } : {}),
            }),
          });
          if (TERMINAL_STATUSES.includes(current.permission.status) || stream.aborted) break;
          // Wait for a change, sending a comment now and then so proxies keep the line open.
          while (!changed && !stream.aborted) {
            await new Promise<void>((resolve) => {
              wake = resolve;
              setTimeout(
                resolve,
                Math.min(KEEPALIVE_MS, Math.max(50, current.permission.expiresAt - Date.now() + 50)),
              );
            });
            if (!changed && !stream.aborted) await stream.write(': keepalive\n\n');
            if (!changed && current.permission.expiresAt <= Date.now()) changed = true;
          }
          if (stream.aborted) break;
          changed = false;
          const next = await permissions.get(agent, id);
          if (
            next.permission.status === current.permission.status &&
            next.permission.updatedAt === current.permission.updatedAt &&
            !next.token
          )
            continue;
          current = next;
        }
      } finally {
        unsubscribe();
      }
    });
  });
  return app;
}

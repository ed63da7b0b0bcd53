import { fastPermissionId } from '../fast-input.ts';

/** The three hot agent routes, with the route label requestContext's routeOf gives each. */
export type FastRoute =
  | { kind: 'request'; label: '/api/v1/permissions/request' }
  | { kind: 'verify'; label: '/api/v1/permissions/:id/verify'; id: string }
  | { kind: 'use'; label: '/api/v1/permissions/:id/use'; id: string };

const PREFIX = '/api/v1/permissions/';

/**
 * Recognises `POST /api/v1/permissions/request`, `…/{id}/verify` and `…/{id}/use` by string
 * tests only; anything else (another method, a query string, an id the schema might refuse, a
 * trailing slash) is null and goes to the Hono app.
 */
export function matchFastRoute(method: string | undefined, url: string | undefined): FastRoute | null {
  if (method !== 'POST' || url === undefined || !url.startsWith(PREFIX)) return null;
  const rest = url.slice(PREFIX.length);
  if (rest === 'request') return { kind: 'request', label: '/api/v1/permissions/request' };
  const slash = rest.indexOf('/');
  if (slash < 0) return null;
  const id = rest.slice(0, slash);
  const tail = rest.slice(slash + 1);
  if (tail !== 'verify' && tail !== 'use') return null;
  if (!fastPermissionId(id)) return null;
  return tail === 'verify'
    ? { kind: 'verify', label: '/api/v1/permissions/:id/verify', id }
    : { kind: 'use', label: '/api/v1/permissions/:id/use', id };
}

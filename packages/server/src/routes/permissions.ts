import type { PermissionService } from '@agent-otp/core';
import { createRoute, OpenAPIHono, type RouteConfig, type RouteHandler, type z } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from '../http/env.ts';
import { ok } from '../http/envelope.ts';
import {
  fastContentType,
  fastPermissionId,
  fastRequestBody,
  fastTokenBody,
  fastUseBody,
} from '../http/fast-input.ts';
import { validationHook } from '../http/validation.ts';
import type { PermissionActions } from './permission-actions.ts';
import { type Links, presentPermission, presentRead } from './presenters.ts';
import {
  ErrorBody,
  envelope,
  GetQuery,
  IdempotencyHeaders,
  IdParams,
  json,
  ListQuery,
  PermissionView,
  RequestBody,
  RequestResult,
  RevokeBody,
  TokenBody,
  UseBody,
  UseResult,
  VerifyResult,
} from './schemas.ts';

const errors = {
  400: json(ErrorBody, 'Invalid input'),
  401: json(ErrorBody, 'Missing or invalid API key or token'),
  403: json(
    ErrorBody,
    'AGENT_DISABLED (the agent was disabled) or AGENT_EXPIRED (its key passed its expiry)',
  ),
  404: json(ErrorBody, 'No such permission for this agent'),
  429: json(ErrorBody, 'Rate limited'),
};
const security = [{ agentKey: [] }];
const body = <T extends z.ZodType>(schema: T, required = true) => ({
  body: { content: { 'application/json': { schema } }, required },
});

const requestRoute = createRoute({
  method: 'post',
  path: '/permissions/request',
  summary: 'Ask for a one-time permission',
  description:
    'With an `Idempotency-Key` header, repeats of the same request by the same agent within 24 hours ' +
    "answer with the first one's permission as it is now (`replayed: true`, never an auto-approval's " +
    'token again) instead of creating another; the same key with a different body is refused with 422 ' +
    '`IDEMPOTENCY_KEY_REUSED`.',
  security,
  request: { headers: IdempotencyHeaders, ...body(RequestBody) },
  responses: {
    201: json(envelope(RequestResult), 'Approved by policy: the token is in the response'),
    202: json(
      envelope(RequestResult),
      'Waiting for a human decision (also a replay of a request still pending)',
    ),
    200: json(
      envelope(RequestResult),
      'Denied by policy, or a replay (`replayed: true`) of a decided request',
    ),
    422: json(ErrorBody, 'IDEMPOTENCY_KEY_REUSED: the key was used with a different request body'),
    ...errors,
  },
});
const getRoute = createRoute({
  method: 'get',
  path: '/permissions/{id}',
  summary: 'Read a permission',
  security,
  request: { params: IdParams, query: GetQuery },
  responses: { 200: json(envelope(PermissionView), 'The permission'), ...errors },
});
const listRoute = createRoute({
  method: 'get',
  path: '/permissions',
  summary: "List the agent's own permissions, newest first",
  security,
  request: { query: ListQuery },
  responses: { 200: json(envelope(PermissionView.array()), 'A page of permissions'), ...errors },
});
const verifyRoute = createRoute({
  method: 'post',
  path: '/permissions/{id}/verify',
  summary: 'Check a token without spending it',
  security,
  request: { params: IdParams, ...body(TokenBody) },
  responses: { 200: json(envelope(VerifyResult), 'Whether the token is valid now'), ...errors },
});
const useRoute = createRoute({
  method: 'post',
  path: '/permissions/{id}/use',
  summary: 'Spend one use of a token',
  security,
  request: { params: IdParams, ...body(UseBody) },
  responses: {
    200: json(envelope(UseResult), 'The use was recorded'),
    ...errors,
    403: json(ErrorBody, 'SCOPE_VIOLATION, AGENT_DISABLED or AGENT_EXPIRED'),
    409: json(ErrorBody, 'TOKEN_USED'),
    410: json(ErrorBody, 'TOKEN_EXPIRED or TOKEN_REVOKED'),
  },
});
const revokeRoute = createRoute({
  method: 'post',
  path: '/permissions/{id}/revoke',
  summary: 'Revoke an approved token, or cancel a pending request',
  security,
  request: { params: IdParams, ...body(RevokeBody, false) },
  responses: { 200: json(envelope(PermissionView), 'The permission after revocation'), ...errors },
});

/**
 * The validated input of a hot route from the hand-written checks of fast-input.ts, or null when
 * they are not sure: then the route's zod validators run as for every other route.
 */
type FastInput = { json: object; param?: { id: string }; header?: Record<string, string> } | null;

/**
 * Route middleware of the hot routes (request, verify, use): when the fast checks accept the
 * input, it is handed to the handler as validated and the zod validators are skipped; otherwise
 * the request goes on to them unchanged (so every refusal is the schema's, word for word).
 */
function fastInput<R extends RouteConfig>(
  read: (c: Context<AppEnv>) => FastInput,
  handler: RouteHandler<R, AppEnv>,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const input = fastContentType(c.req.header('content-type')) ? read(c) : null;
    if (!input) return next();
    c.req.addValidatedData('json', input.json);
    if (input.param) c.req.addValidatedData('param', input.param);
    if (input.header) c.req.addValidatedData('header', input.header);
    return (handler as unknown as (c: Context<AppEnv>, next: () => Promise<void>) => Promise<Response>)(
      c,
      next,
    );
  };
}

function withId(c: Context<AppEnv>, json: object | undefined): FastInput {
  const param = fastPermissionId(c.req.param('id'));
  return json && param ? { json, param } : null;
}

/** The agent routes of SPEC §5. Thin: validate, call the service, shape the response. */
export function permissionRoutes(permissions: PermissionService, links: Links, actions: PermissionActions) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });

  const request: RouteHandler<typeof requestRoute, AppEnv> = async (c) => {
    const idempotencyKey = c.req.valid('header')['idempotency-key'];
    const { data, status } = await actions.request(c.get('agent'), c.req.valid('json'), idempotencyKey);
    return ok(c, data, status);
  };
  const fastRequest = fastInput<typeof requestRoute>((c) => {
    const json = fastRequestBody(c.get('jsonBody'));
    if (!json) return null;
    const key = c.req.header('idempotency-key');
    const header: Record<string, string> = key === undefined ? {} : { 'idempotency-key': key };
    return { json, header };
  }, request);
  app.openapi({ ...requestRoute, middleware: [fastRequest] }, request);

  app.openapi(listRoute, async (c) => {
    const { status, action, limit, cursor } = c.req.valid('query');
    const page = await permissions.list(c.get('agent'), { status, action, limit, cursor });
    return c.json(
      { success: true as const, data: page.items.map(presentPermission), nextCursor: page.nextCursor },
      200,
    );
  });

  app.openapi(getRoute, async (c) => {
    const wait = c.req.valid('query').wait ?? 0;
    const { permission, token } = await permissions.get(c.get('agent'), c.req.valid('param').id, {
      waitMs: wait * 1000,
      // Only a long-poll needs to know when the client leaves (building the signal is not free).
      signal: wait > 0 ? c.req.raw.signal : undefined,
    });
    return ok(c, presentRead(permission, links, token), 200);
  });

  const verify: RouteHandler<typeof verifyRoute, AppEnv> = async (c) => {
    const data = await actions.verify(c.get('agent'), c.req.valid('param').id, c.req.valid('json').token);
    return ok(c, data, 200);
  };
  const fastVerify = fastInput<typeof verifyRoute>(
    (c) => withId(c, fastTokenBody(c.get('jsonBody'))),
    verify,
  );
  app.openapi({ ...verifyRoute, middleware: [fastVerify] }, verify);

  const use: RouteHandler<typeof useRoute, AppEnv> = async (c) => {
    const { token, actionDetails } = c.req.valid('json');
    const data = await actions.use(c.get('agent'), c.req.valid('param').id, token, actionDetails);
    return ok(c, data, 200);
  };
  const fastUse = fastInput<typeof useRoute>((c) => withId(c, fastUseBody(c.get('jsonBody'))), use);
  app.openapi({ ...useRoute, middleware: [fastUse] }, use);

  app.openapi(revokeRoute, async (c) => {
    const reason = c.req.header('content-type') ? c.req.valid('json')?.reason : undefined;
    const permission = await permissions.revoke(c.get('agent'), c.req.valid('param').id, reason);
    return ok(c, presentPermission(permission), 200);
  });

  return app;
}

import type { AgentService, ApprovalService, PermissionService, Store } from '@agent-otp/core';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../http/env.ts';
import { ok } from '../http/envelope.ts';
import { validationHook } from '../http/validation.ts';
import { presentPermission } from './presenters.ts';
import { ErrorBody, envelope, IdParams, JsonObject, json, Status, Ttl } from './schemas.ts';

const ApproveBody = z
  .object({
    scope: JsonObject.optional().openapi({ description: 'Narrows the scope to grant; never widens it' }),
    ttl: Ttl.optional().openapi({ description: 'Shortens the token lifetime' }),
    reason: z.string().max(500).optional(),
  })
  .strict()
  .openapi('ApproveBody');
const DenyBody = z
  .object({ reason: z.string().max(500).optional() })
  .strict()
  .openapi('DenyBody');
const ListQuery = z.object({
  status: Status.default('pending'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional(),
});
const Vote = z.object({
  user: z.string(),
  decision: z.enum(['approve', 'deny']),
  scope: JsonObject.nullable(),
  ttl: z.number().nullable(),
  reason: z.string().nullable(),
  at: z.string(),
});
const ApprovalView = z
  .object({
    permission: z.unknown(),
    agent: z.object({ id: z.string(), name: z.string() }),
    votes: z.array(Vote),
    approvalsRequired: z.number(),
  })
  .openapi('Approval');
const Clamped = z
  .array(
    z.object({
      key: z.string().openapi({ example: 'max_amount' }),
      asked: z.unknown().openapi({ example: 50000 }),
      granted: z.unknown().openapi({ example: 25000 }),
    }),
  )
  .openapi({
    description:
      "Keys of the approver's scope edit that the grant holds stricter (an edit never widens); empty when none",
  });
const Decision = z
  .object({
    outcome: z.enum(['approved', 'denied', 'vote_recorded']),
    approval: ApprovalView,
    clamped: Clamped,
  })
  .openapi('ApprovalDecision');

const errors = {
  400: json(ErrorBody, 'Invalid input'),
  401: json(ErrorBody, 'Not logged in'),
  403: json(ErrorBody, 'Not allowed'),
  404: json(ErrorBody, 'Not found'),
  409: json(ErrorBody, 'Already decided or voted, or the scope changes a value already fixed'),
};
const security = [{ userToken: [] }];
const body = <T extends z.ZodType>(schema: T) => ({
  body: { content: { 'application/json': { schema } }, required: false },
});

const listRoute = createRoute({
  method: 'get',
  path: '/approvals',
  summary: 'Requests by status (pending by default), newest first',
  security,
  request: { query: ListQuery },
  responses: { 200: json(envelope(z.array(ApprovalView)), 'A page'), ...errors },
});
const getRoute = createRoute({
  method: 'get',
  path: '/approvals/{id}',
  summary: 'One request with its votes',
  security,
  request: { params: IdParams },
  responses: { 200: json(envelope(ApprovalView), 'The request'), ...errors },
});
const approveRoute = createRoute({
  method: 'post',
  path: '/approvals/{id}/approve',
  summary: 'Approve (optionally narrowing scope or ttl)',
  security,
  request: { params: IdParams, ...body(ApproveBody) },
  responses: { 200: json(envelope(Decision), 'Decided or vote recorded'), ...errors },
});
const denyRoute = createRoute({
  method: 'post',
  path: '/approvals/{id}/deny',
  summary: 'Deny, with an optional reason',
  security,
  request: { params: IdParams, ...body(DenyBody) },
  responses: { 200: json(envelope(Decision), 'Denied'), ...errors },
});

/** The approval API for humans (user token or session). Tokens never appear here. */
export function approvalRoutes(deps: {
  approvals: ApprovalService;
  permissions: PermissionService;
  agents: AgentService;
  store: Store;
}) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const agentNames = new Map<string, string>();
  const agentName = async (id: string) => {
    if (!agentNames.has(id)) agentNames.set(id, (await deps.agents.find(id)).name);
    return agentNames.get(id) as string;
  };
  const view = async ({ permission, votes }: Awaited<ReturnType<ApprovalService['get']>>) => ({
    permission: presentPermission(permission),
    agent: { id: permission.agentId, name: await agentName(permission.agentId) },
    votes: votes.map((v) => ({
      user: v.userName,
      decision: v.decision,
      scope: v.scope,
      ttl: v.ttlSeconds,
      reason: v.reason,
      at: new Date(v.createdAt).toISOString(),
    })),
    approvalsRequired: permission.approvalsRequired,
  });

  app.openapi(listRoute, async (c) => {
    const { status, limit, cursor } = c.req.valid('query');
    if (status === 'pending') await deps.permissions.expireDue();
    const page = await deps.store.listPermissions({ status, limit, cursor });
    const items = await Promise.all(
      page.items.map(async (p) => view({ permission: p, votes: await deps.store.listApprovalVotes(p.id) })),
    );
    return c.json({ success: true as const, data: items, nextCursor: page.nextCursor }, 200);
  });
  app.openapi(getRoute, async (c) =>
    ok(c, await view(await deps.approvals.get(c.req.valid('param').id)), 200),
  );
  app.openapi(approveRoute, async (c) => {
    const input = c.req.header('content-type') ? (c.req.valid('json') ?? {}) : {};
    const result = await deps.approvals.approve(c.get('user'), c.req.valid('param').id, input);
    return ok(
      c,
      { outcome: result.outcome, approval: await view(result), clamped: result.clamped ?? [] },
      200,
    );
  });
  app.openapi(denyRoute, async (c) => {
    const input = c.req.header('content-type') ? (c.req.valid('json') ?? {}) : {};
    const result = await deps.approvals.deny(c.get('user'), c.req.valid('param').id, input.reason);
    return ok(c, { outcome: result.outcome, approval: await view(result), clamped: [] }, 200);
  });
  return app;
}

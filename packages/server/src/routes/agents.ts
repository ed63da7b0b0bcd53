import {
  type Agent,
  AgentOtpError,
  type AgentService,
  type Clock,
  parseGrace,
  resolveExpiry,
  type User,
} from '@agent-otp/core';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../http/env.ts';
import { ok } from '../http/envelope.ts';
import { validationHook } from '../http/validation.ts';
import { ErrorBody, envelope, json } from './schemas.ts';

const Duration = z.string().max(20).openapi({ example: '30d' });
const AgentParams = z.object({
  agent: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'must be an agent id (agt_…) or name')
    .openapi({ param: { name: 'agent', in: 'path' }, example: 'mail-bot' }),
});
const CreateBody = z
  .object({
    name: z.string().min(1).max(64).openapi({ example: 'mail-bot' }),
    expiresIn: Duration.optional().openapi({
      description: 'The key stops working after this long (s, m, h, d)',
    }),
    expiresAt: z.string().max(40).optional().openapi({ example: '2030-01-31T00:00:00Z' }),
  })
  .strict()
  .openapi('AgentCreate');
const RotateBody = z
  .object({
    grace: Duration.optional().openapi({
      description: 'Keep the old key valid this long beside the new one (at most 24h; default 0)',
      example: '10m',
    }),
  })
  .strict()
  .openapi('AgentRotate');
const ExpiryBody = z
  .object({
    expiresIn: Duration.optional(),
    expiresAt: z.string().max(40).optional(),
    never: z.boolean().optional().openapi({ description: 'true clears the expiry' }),
  })
  .strict()
  .openapi('AgentExpiry');
const AgentView = z
  .object({
    id: z.string(),
    name: z.string(),
    status: z.enum(['active', 'disabled']),
    keyPrefix: z.string(),
    expiresAt: z.string().nullable(),
    previousKeyPrefix: z.string().nullable(),
    previousKeyValidUntil: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Agent');
const AgentWithKeyView = z
  .object({
    agent: AgentView,
    apiKey: z.string().openapi({ description: 'Shown this once; only its HMAC is stored' }),
  })
  .openapi('AgentWithKey');

const errors = {
  400: json(ErrorBody, 'Invalid input'),
  401: json(ErrorBody, 'Not logged in'),
  403: json(ErrorBody, 'Not an admin'),
  404: json(ErrorBody, 'No such agent'),
  409: json(ErrorBody, 'A name taken, or no previous key to revoke'),
};
const security = [{ userToken: [] }];
const body = <T extends z.ZodType>(schema: T, required = true) => ({
  body: { content: { 'application/json': { schema } }, required },
});

const iso = (ms: number | null | undefined) => (ms == null ? null : new Date(ms).toISOString());

/** What the API shows of an agent: never a key hash, current or previous. */
export function presentAgent(agent: Agent) {
  return {
    id: agent.id,
    name: agent.name,
    status: agent.status,
    keyPrefix: agent.keyPrefix,
    expiresAt: iso(agent.expiresAt),
    previousKeyPrefix: agent.previousKey?.prefix ?? null,
    previousKeyValidUntil: iso(agent.previousKey?.expiresAt),
    createdAt: iso(agent.createdAt) as string,
    updatedAt: iso(agent.updatedAt) as string,
  };
}

function requireAdmin(user: User): void {
  if (user.role !== 'admin') throw new AgentOtpError('FORBIDDEN', 'only admins manage agents');
}

const routes = {
  list: createRoute({
    method: 'get',
    path: '/agents',
    summary: 'Agents with their expiry and any previous key still in its grace period',
    security,
    responses: { 200: json(envelope(z.array(AgentView)), 'All agents'), ...errors },
  }),
  create: createRoute({
    method: 'post',
    path: '/agents',
    summary: 'Create an agent (admins); its API key is in this answer only',
    security,
    request: body(CreateBody),
    responses: { 201: json(envelope(AgentWithKeyView), 'Created'), ...errors },
  }),
  rotate: createRoute({
    method: 'post',
    path: '/agents/{agent}/rotate',
    summary: 'Replace the key (admins); with `grace` the old key keeps working until then',
    security,
    request: { params: AgentParams, ...body(RotateBody, false) },
    responses: { 200: json(envelope(AgentWithKeyView), 'Rotated'), ...errors },
  }),
  expiry: createRoute({
    method: 'post',
    path: '/agents/{agent}/expiry',
    summary: 'Set (expiresIn or expiresAt) or clear (never: true) when the key stops working (admins)',
    security,
    request: { params: AgentParams, ...body(ExpiryBody) },
    responses: { 200: json(envelope(AgentView), 'The agent'), ...errors },
  }),
  revokePrevious: createRoute({
    method: 'post',
    path: '/agents/{agent}/revoke-previous-key',
    summary: 'End a rotation’s grace period now (admins)',
    security,
    request: { params: AgentParams },
    responses: { 200: json(envelope(AgentView), 'The agent'), ...errors },
  }),
};

/** Agent administration for humans (user token or session): thin over the agent service. */
export function agentRoutes(deps: { agents: AgentService; clock: Clock }) {
  const { agents, clock } = deps;
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  const actor = (user: User) => ({ type: 'user' as const, id: user.id });
  const withKey = ({ agent, apiKey }: { agent: Agent; apiKey: string }) => ({
    agent: presentAgent(agent),
    apiKey,
  });

  app.openapi(routes.list, async (c) => ok(c, (await agents.list()).map(presentAgent), 200));
  app.openapi(routes.create, async (c) => {
    requireAdmin(c.get('user'));
    const { name, ...expiry } = c.req.valid('json');
    const expiresAt = resolveExpiry(expiry, clock.now()) ?? null;
    return ok(c, withKey(await agents.create(name, actor(c.get('user')), { expiresAt })), 201);
  });
  app.openapi(routes.rotate, async (c) => {
    requireAdmin(c.get('user'));
    const input = c.req.header('content-type') ? (c.req.valid('json') ?? {}) : {};
    const graceMs = parseGrace(input.grace);
    return ok(
      c,
      withKey(await agents.rotate(c.req.valid('param').agent, actor(c.get('user')), { graceMs })),
      200,
    );
  });
  app.openapi(routes.expiry, async (c) => {
    requireAdmin(c.get('user'));
    const expiresAt = resolveExpiry(c.req.valid('json'), clock.now());
    if (expiresAt === undefined) {
      throw new AgentOtpError('VALIDATION_ERROR', 'give one of expiresIn, expiresAt or never: true', {
        field: 'expiresAt',
      });
    }
    const agent = await agents.setExpiry(c.req.valid('param').agent, expiresAt, actor(c.get('user')));
    return ok(c, presentAgent(agent), 200);
  });
  app.openapi(routes.revokePrevious, async (c) => {
    requireAdmin(c.get('user'));
    const agent = await agents.revokePreviousKey(c.req.valid('param').agent, actor(c.get('user')));
    return ok(c, presentAgent(agent), 200);
  });
  return app;
}

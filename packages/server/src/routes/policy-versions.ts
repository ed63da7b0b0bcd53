import {
  formatUnifiedDiff,
  POLICY_ORIGINS,
  POLICY_VERSION_PATTERN,
  type PolicyHistory,
  type PolicyVersionDiff,
  type PolicyVersionSummary,
  type Store,
} from '@agent-otp/core';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../http/env.ts';
import { ok } from '../http/envelope.ts';
import { validationHook } from '../http/validation.ts';
import { ErrorBody, envelope, json } from './schemas.ts';

const Version = z
  .string()
  .regex(POLICY_VERSION_PATTERN, 'must be a policy version (pol_ and 16 hex digits)')
  .openapi({ example: 'pol_3f1c2d9e3b7a4f0e' });
const VersionParams = z.object({ version: Version.openapi({ param: { name: 'version', in: 'path' } }) });
const ListQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(500).optional(),
});
const DiffQuery = z.object({
  from: Version.optional().openapi({
    param: { name: 'from', in: 'query' },
    description: 'The version to compare against; the one recorded just before by default',
  }),
  context: z.coerce.number().int().min(0).max(50).default(3),
});

const Summary = z
  .object({
    version: z.string(),
    firstInForceAt: z.string().openapi({ description: 'When a server first ran it (ISO 8601)' }),
    origin: z.enum(POLICY_ORIGINS).openapi({
      description: 'The file at start, a reload of the file, or an edit on the dashboard',
    }),
    by: z.string().openapi({ description: 'The user of a dashboard edit; "server" otherwise' }),
    rules: z.number().int(),
    inForce: z.boolean().openapi({ description: 'The version this instance decides with now' }),
  })
  .openapi('PolicyVersion');
const Source = Summary.extend({
  source: z.string().openapi({ description: 'The YAML, byte for byte' }),
}).openapi('PolicyVersionSource');
const Line = z.object({ kind: z.enum(['context', 'add', 'remove']), text: z.string() });
const Hunk = z.object({
  oldStart: z.number().int(),
  oldLines: z.number().int(),
  newStart: z.number().int(),
  newLines: z.number().int(),
  lines: z.array(Line),
});
const Diff = z
  .object({
    from: z.string().nullable().openapi({ description: 'null when `to` is the first version recorded' }),
    to: z.string(),
    hunks: z.array(Hunk),
    unified: z.string().openapi({ description: 'The same diff as `diff -u` text' }),
  })
  .openapi('PolicyVersionDiff');

const errors = {
  400: json(ErrorBody, 'Invalid version, cursor or query'),
  401: json(ErrorBody, 'Not logged in'),
  403: json(ErrorBody, 'Agent keys are refused'),
  404: json(ErrorBody, 'No such version was recorded (code NOT_FOUND)'),
};
const security = [{ userToken: [] }];

const listRoute = createRoute({
  method: 'get',
  path: '/policies/versions',
  summary: 'Policy versions the server has run, newest first',
  security,
  request: { query: ListQuery },
  responses: { 200: json(envelope(z.array(Summary)), 'A page; `nextCursor` when there is more'), ...errors },
});
const getRoute = createRoute({
  method: 'get',
  path: '/policies/versions/{version}',
  summary: 'One policy version with its full source',
  security,
  request: { params: VersionParams },
  responses: { 200: json(envelope(Source), 'The version'), ...errors },
});
const diffRoute = createRoute({
  method: 'get',
  path: '/policies/versions/{version}/diff',
  summary: 'The diff of a version against another (its predecessor by default)',
  security,
  request: { params: VersionParams, query: DiffQuery },
  responses: { 200: json(envelope(Diff), 'Unified-diff hunks'), ...errors },
});

/** The policy history for any logged-in user (viewers included), as the dashboard's Policies page. */
export function policyVersionRoutes(deps: {
  policyHistory: PolicyHistory;
  store: Pick<Store, 'getUser'>;
  inForce: () => string;
}) {
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  // A user is named by name; one deleted since (never, today) would still show by id.
  const by = async (v: PolicyVersionSummary) =>
    v.actor.type === 'user' ? ((await deps.store.getUser(v.actor.id))?.name ?? v.actor.id) : 'server';
  const present = async (v: PolicyVersionSummary) => ({
    version: v.version,
    firstInForceAt: new Date(v.firstInForceAt).toISOString(),
    origin: v.origin,
    by: await by(v),
    rules: v.rules,
    inForce: v.version === deps.inForce(),
  });
  const presentDiff = (d: PolicyVersionDiff) => ({
    from: d.from?.version ?? null,
    to: d.to.version,
    hunks: d.hunks,
    unified: formatUnifiedDiff(d.hunks, d.from?.version ?? '/dev/null', d.to.version),
  });

  app.openapi(listRoute, async (c) => {
    const page = await deps.policyHistory.list(c.req.valid('query'));
    return c.json(
      {
        success: true as const,
        data: await Promise.all(page.items.map(present)),
        nextCursor: page.nextCursor,
      },
      200,
    );
  });
  app.openapi(getRoute, async (c) => {
    const found = await deps.policyHistory.get(c.req.valid('param').version);
    return ok(c, { ...(await present(found)), source: found.source }, 200);
  });
  app.openapi(diffRoute, async (c) => {
    const { from, context } = c.req.valid('query');
    return ok(
      c,
      presentDiff(await deps.policyHistory.diff(c.req.valid('param').version, from, context)),
      200,
    );
  });
  return app;
}

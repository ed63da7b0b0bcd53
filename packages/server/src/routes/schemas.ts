import { PERMISSION_STATUSES, SCOPE_ENFORCEMENTS } from '@agent-otp/core';
import { z } from '@hono/zod-openapi';

/** Request and response schemas of the agent API; they validate input and produce the OpenAPI document. */

export const JsonObject = z.record(z.string(), z.unknown());

/** Token lifetime in seconds, 30..3600 (SPEC §3). */
export const Ttl = z.number().int().min(30).max(3600);

export const Status = z.enum(PERMISSION_STATUSES);

/** How `use` treats a constraint whose detail is absent: `strict` refuses, `lenient` reports it as unchecked. */
const Enforcement = z.enum(SCOPE_ENFORCEMENTS);

export const PermissionId = z
  .string()
  .regex(/^perm_[A-Za-z0-9_-]{10,64}$/, 'must be a permission id (perm_…)')
  .openapi({ param: { name: 'id', in: 'path' }, example: 'perm_3nq0Zc1Qk8yJ9b2wXvA1sQ' });

export const IdParams = z.object({ id: PermissionId });

export const RequestBody = z
  .object({
    action: z
      .string()
      .min(1)
      .max(200)
      .regex(/^[A-Za-z0-9_.:-]+$/, 'may contain letters, digits and . _ : - only')
      .openapi({ example: 'gmail.send' }),
    resource: z.string().min(1).max(1000).nullish().openapi({ example: 'email:client@example.com' }),
    scope: JsonObject.optional().openapi({ example: { max_emails: 1, subject_pattern: '^Invoice.*' } }),
    context: JsonObject.optional().openapi({ example: { reason: 'Sending monthly invoice to client' } }),
    ttl: Ttl.optional().openapi({ description: 'Token lifetime in seconds', example: 300 }),
  })
  .strict()
  .openapi('PermissionRequest');

/** `Idempotency-Key` of a permission request (see docs/api.md); the service checks its form. */
export const IdempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .optional()
    .openapi({
      param: { in: 'header' },
      description:
        'Names the request so a retry or a parallel duplicate returns the same permission; 1–255 visible ASCII characters, scoped to the agent, kept 24 h',
      example: '6f1c2d9e-3b7a-4f0e-9a51-0c8d2e4b7a10',
    }),
});

export const TokenBody = z
  .object({ token: z.string().min(1).max(200).openapi({ example: 'otp_…' }) })
  .strict()
  .openapi('TokenBody');

export const UseBody = z
  .object({
    token: z.string().min(1).max(200),
    actionDetails: JsonObject.optional().openapi({
      example: { recipient: 'client@example.com', subject: 'Invoice #123' },
    }),
  })
  .strict()
  .openapi('UseBody');

export const RevokeBody = z
  .object({ reason: z.string().max(500).optional() })
  .strict()
  .openapi('RevokeBody');

export const ListQuery = z
  .object({
    status: Status.optional(),
    action: z.string().max(200).optional(),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: z.string().max(500).optional(),
  })
  .strict();

export const GetQuery = z.object({
  wait: z.coerce
    .number()
    .int()
    .min(0)
    .max(60)
    .optional()
    .openapi({ description: 'Long-poll up to N seconds while pending' }),
});

/** A value the rule's bounds (maxUses, maxTtl) granted below what was asked. */
const Adjusted = z
  .array(
    z.object({
      field: z.string().openapi({ example: 'max_uses' }),
      requested: z.number().openapi({ example: 1000000 }),
      granted: z.number().openapi({ example: 1 }),
    }),
  )
  .openapi({ description: 'What the policy rule clamped: uses (count keys) and ttl; empty when nothing' });

const Policy = z.object({
  decision: z.enum(['auto_approve', 'require_approval', 'deny']),
  rule: z.string().nullable(),
  version: z.string(),
});

export const PermissionView = z
  .object({
    id: z.string(),
    agentId: z.string(),
    action: z.string(),
    resource: z.string().nullable(),
    status: z.string(),
    requestedScope: JsonObject,
    scope: JsonObject.nullable(),
    context: JsonObject,
    ttl: z.number(),
    usesRemaining: z.number().nullable(),
    enforcement: Enforcement,
    reason: z.string().nullable(),
    policy: Policy,
    createdAt: z.string(),
    decidedAt: z.string().nullable(),
    expiresAt: z.string(),
    token: z.string().optional(),
    approvalUrl: z.string().optional().openapi({ description: 'While pending: where a human decides' }),
    eventsUrl: z
      .string()
      .optional()
      .openapi({ description: 'While pending: Server-Sent Events of its state' }),
    approvalsRequired: z
      .number()
      .optional()
      .openapi({ description: 'While pending: distinct approvers needed' }),
    webhookUrl: z.string().optional().openapi({
      description: 'While pending: the same stream as eventsUrl, for clients of the original service',
    }),
  })
  .openapi('Permission');

export const RequestResult = z
  .union([
    z.object({
      id: z.string(),
      status: z.literal('approved'),
      token: z.string(),
      scope: JsonObject,
      usesRemaining: z.number().nullable(),
      enforcement: Enforcement,
      expiresAt: z.string(),
      adjusted: Adjusted,
      policy: Policy,
    }),
    z.object({
      id: z.string(),
      status: z.literal('pending'),
      approvalUrl: z.string(),
      eventsUrl: z.string(),
      webhookUrl: z
        .string()
        .openapi({ description: 'The same stream as eventsUrl, for clients of the original service' }),
      expiresAt: z.string(),
      approvalsRequired: z.number(),
      adjusted: Adjusted,
      policy: Policy,
    }),
    z.object({ id: z.string(), status: z.literal('denied'), reason: z.string(), policy: Policy }),
    PermissionView.extend({
      replayed: z
        .literal(true)
        .openapi({ description: 'A repeat with the same Idempotency-Key: nothing was created' }),
    }),
  ])
  .openapi('PermissionRequestResult');

export const VerifyResult = z
  .union([
    z.object({
      valid: z.literal(true),
      status: z.string(),
      action: z.string(),
      resource: z.string().nullable(),
      scope: JsonObject,
      usesRemaining: z.number().nullable(),
      expiresAt: z.string(),
      enforcement: Enforcement,
      unenforced: z.array(z.string()),
    }),
    z.object({ valid: z.literal(false), reason: z.string() }),
  ])
  .openapi('VerifyResult');

export const UseResult = z
  .object({
    success: z.literal(true),
    usesRemaining: z.number().nullable(),
    status: z.string(),
    unchecked: z.array(z.string()),
  })
  .openapi('UseResult');

export const ErrorBody = z
  .object({
    success: z.literal(false),
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.unknown().optional(),
      requestId: z.string(),
    }),
  })
  .openapi('Error');

/** Wraps a data schema in the success envelope. */
export const envelope = <T extends z.ZodType>(data: T) => z.object({ success: z.literal(true), data });

/** An OpenAPI response (or body) of JSON with this schema. */
export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});

import type { Tool } from '@modelcontextprotocol/sdk/types.js';

const id = { type: 'string', description: 'The permission id, perm_…' } as const;
const token = {
  type: 'string',
  description: 'The one-time token, otp_…, as request_permission returned it',
} as const;

/** The tools of `agent-otp mcp`, described for the model that calls them. */
export const PERMISSION_TOOLS: Tool[] = [
  {
    name: 'request_permission',
    description:
      'Ask for a one-time permission before a sensitive action. The answer has a status: approved ' +
      '(with a token to spend with use_permission), pending (a human must decide at approvalUrl), or ' +
      'denied/expired with a reason. With wait > 0, a pending request is waited on for up to that many ' +
      'seconds; if no human decided by then it stays pending (call get_permission later).',
    inputSchema: {
      type: 'object',
      properties: {
        action: { type: 'string', description: 'What you want to do, e.g. "gmail.send" or "bank.transfer"' },
        resource: {
          type: 'string',
          description: 'What you act on, type:identifier, e.g. "email:client@example.com"',
        },
        scope: {
          type: 'object',
          description: 'Constraints you ask for, e.g. {"max_amount": 100} or {"subject_pattern": "^Invoice"}',
        },
        context: {
          type: 'object',
          description: 'Why: shown to the approver, e.g. {"reason": "monthly invoice"}',
        },
        ttl: { type: 'number', description: 'Token lifetime in seconds once approved (30..3600)' },
        wait: {
          type: 'number',
          description: 'Seconds to wait for a human decision when pending (0..3600, default 0)',
        },
      },
      required: ['action'],
    },
  },
  {
    name: 'get_permission',
    description:
      'Read a permission and its status. After a human approval, the first read carries the token (only ' +
      'that one): keep it.',
    inputSchema: { type: 'object', properties: { id }, required: ['id'] },
  },
  {
    name: 'use_permission',
    description:
      'Spend one use of a token, before doing the action. Pass what you are about to do as actionDetails ' +
      '(e.g. {"recipient": "...", "subject": "..."}): the server checks it against the granted scope and ' +
      'refuses, without spending, when it does not fit. Do not act if this fails.',
    inputSchema: {
      type: 'object',
      properties: { id, token, actionDetails: { type: 'object', description: 'The details of the action' } },
      required: ['id', 'token'],
    },
  },
  {
    name: 'verify_permission',
    description: 'Check a token without spending it: whether it is usable now, its scope and uses left.',
    inputSchema: { type: 'object', properties: { id, token }, required: ['id', 'token'] },
  },
  {
    name: 'revoke_permission',
    description: 'Give back a token you no longer need, or cancel a pending request.',
    inputSchema: {
      type: 'object',
      properties: { id, reason: { type: 'string', description: 'Why, for the audit log' } },
      required: ['id'],
    },
  },
];

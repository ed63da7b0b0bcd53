import { AgentOtpError } from '@agent-otp/core';

/** Keyset-pagination cursor over (created_at, id), newest first. Opaque to clients. */
export function encodeCursor(createdAt: number, id: string): string {
  return Buffer.from(JSON.stringify([createdAt, id])).toString('base64url');
}

export function decodeCursor(cursor: string): { createdAt: number; id: string } {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (Array.isArray(value) && typeof value[0] === 'number' && typeof value[1] === 'string') {
      return { createdAt: value[0], id: value[1] };
    }
  } catch {
    // fall through to the error below
  }
  throw new AgentOtpError('VALIDATION_ERROR', 'cursor is not a cursor returned by this API', {
    field: 'cursor',
  });
}

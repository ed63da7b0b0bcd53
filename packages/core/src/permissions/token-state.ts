import type { PermissionStatus } from '../types.ts';

/** Why a token of a permission in this state cannot be used, as an error code. */
export function explainUnusable(
  status: PermissionStatus,
): 'TOKEN_USED' | 'TOKEN_EXPIRED' | 'TOKEN_REVOKED' | 'NOT_APPROVED' {
  switch (status) {
    case 'used':
      return 'TOKEN_USED';
    case 'expired':
      return 'TOKEN_EXPIRED';
    case 'revoked':
      return 'TOKEN_REVOKED';
    default:
      return 'NOT_APPROVED';
  }
}

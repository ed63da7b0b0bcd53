import type { ApprovalVote, Session, User, UserRole, UserToken, VoteDecision } from '@agent-otp/core';

type Int = number | string;

export interface UserRow {
  id: string;
  name: string;
  role: string;
  status: string;
  password_hash: string;
  created_at: Int;
  updated_at: Int;
}
export interface UserTokenRow {
  id: string;
  user_id: string;
  name: string;
  token_hash: string;
  created_at: Int;
  revoked_at: Int | null;
}
export interface SessionRow {
  id: string;
  user_id: string;
  token_hash: string;
  created_at: Int;
  expires_at: Int;
}
export interface VoteRow {
  permission_id: string;
  user_id: string;
  user_name: string;
  decision: string;
  scope: string | null;
  ttl_seconds: Int | null;
  reason: string | null;
  created_at: Int;
}

export const USER_COLUMNS = 'id, name, role, status, password_hash, created_at, updated_at';
export const USER_TOKEN_COLUMNS = 'id, user_id, name, token_hash, created_at, revoked_at';
export const SESSION_COLUMNS = 'id, user_id, token_hash, created_at, expires_at';
export const VOTE_COLUMNS =
  'permission_id, user_id, user_name, decision, scope, ttl_seconds, reason, created_at';

export const toUser = (r: UserRow): User => ({
  id: r.id,
  name: r.name,
  role: r.role as UserRole,
  status: r.status as User['status'],
  passwordHash: r.password_hash,
  createdAt: Number(r.created_at),
  updatedAt: Number(r.updated_at),
});

export const toUserToken = (r: UserTokenRow): UserToken => ({
  id: r.id,
  userId: r.user_id,
  name: r.name,
  tokenHash: r.token_hash,
  createdAt: Number(r.created_at),
  revokedAt: r.revoked_at === null ? null : Number(r.revoked_at),
});

export const toSession = (r: SessionRow): Session => ({
  id: r.id,
  userId: r.user_id,
  tokenHash: r.token_hash,
  createdAt: Number(r.created_at),
  expiresAt: Number(r.expires_at),
});

export const toVote = (r: VoteRow): ApprovalVote => ({
  permissionId: r.permission_id,
  userId: r.user_id,
  userName: r.user_name,
  decision: r.decision as VoteDecision,
  scope: r.scope === null ? null : JSON.parse(r.scope),
  ttlSeconds: r.ttl_seconds === null ? null : Number(r.ttl_seconds),
  reason: r.reason,
  createdAt: Number(r.created_at),
});

import type {
  Actor,
  AgentService,
  ApprovalService,
  AuditAnchor,
  Clock,
  PermissionEvents,
  PermissionService,
  Policy,
  PolicyHistory,
  Session,
  Store,
  TelegramLink,
  User,
  UserService,
  WebhookService,
} from '@agent-otp/core';
import type { Hono } from 'hono';
import type { DocsOptions } from './docs/site.ts';

/** What the dashboard reads of the policy file: the server's PolicySource satisfies it. */
export interface PolicyView {
  current(): Policy;
  /** The error of the last refused edit while the previous policy stays in force. */
  lastError(): string | null;
  file: string;
  /** The text the policy in force was loaded from. */
  source?(): string;
  /**
   * Validates `text`, writes it as the policy file and puts it in force, unless the version in
   * force is no longer `expectedVersion`; an invalid text is refused and nothing changes.
   */
  replace?(
    text: string,
    actor: Actor,
    expectedVersion?: string,
  ): Promise<{ ok: true; version: string; changed: boolean } | { ok: false; error: string }>;
}

/** The few logger methods the dashboard uses (a pino logger fits). */
export interface DashboardLogger {
  error(details: object, message: string): void;
}

/** Telegram linking, for the account page (the server's Telegram link service fits). */
export interface TelegramAccount {
  /** Whether this server runs the bot (TELEGRAM_BOT_TOKEN set). */
  enabled: boolean;
  links: {
    createCode(user: User, actor: Actor): Promise<{ code: string; expiresAt: number }>;
    unlink(user: User, actor: Actor): Promise<TelegramLink>;
    get(userId: string): Promise<TelegramLink | null>;
  };
}

/** The services the dashboard renders; the server's composition root passes its own. */
export interface DashboardDeps {
  store: Store;
  agents: AgentService;
  permissions: PermissionService;
  approvals: ApprovalService;
  users: UserService;
  events: PermissionEvents;
  policy: PolicyView;
  /** The policy versions the server has run; without it the Policies page has no History. */
  policyHistory?: PolicyHistory;
  clock: Clock;
  logger?: DashboardLogger;
  /**
   * Reverse proxies (IPs and CIDR ranges) whose X-Forwarded-For gives the client address for
   * login throttling; none by default, so the header is ignored.
   */
  trustedProxies?: readonly string[];
  /** The audit chain's signed checkpoints; without them the chain status says "not anchored". */
  auditAnchor?: AuditAnchor;
  /** Outgoing webhooks (the Webhooks page, admins only); the page is absent without them. */
  webhooks?: WebhookService;
  /** Telegram linking; without it the account page has no Telegram section. */
  telegram?: TelegramAccount;
  /** The documentation site at /docs: the guides' directory and the API's OpenAPI document. */
  docs?: DocsOptions;
  /** How often the live inbox stream sends a keepalive comment (tests shorten it). */
  keepaliveMs?: number;
}

export interface DashEnv {
  Variables: {
    /** Set by the parent app's request-context middleware. */
    requestId: string;
    user: User;
    session: Session;
    /** The session's CSRF token, rendered into forms and the meta tag. */
    csrf: string;
  };
}

export type DashApp = Hono<DashEnv>;

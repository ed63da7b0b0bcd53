export { CONTENT_SECURITY_POLICY, createDashboard } from './app.ts';
export type { DashboardDeps, DashboardLogger, PolicyView } from './deps.ts';
export { clientAddress, createProxyTrust, type ProxyTrust } from './http/client-address.ts';
export { CSRF_HEADER, SESSION_COOKIE } from './http/session.ts';

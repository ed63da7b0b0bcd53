import type { DashApp, DashboardDeps } from '../deps.ts';

export function auditPages(_app: DashApp, _deps: DashboardDeps) {}

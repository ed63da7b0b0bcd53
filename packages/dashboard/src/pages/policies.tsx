import type { DashApp, DashboardDeps } from '../deps.ts';

export function policyPages(_app: DashApp, _deps: DashboardDeps) {}

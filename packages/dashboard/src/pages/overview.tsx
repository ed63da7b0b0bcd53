import type { DashApp, DashboardDeps } from '../deps.ts';

export function overviewPages(_app: DashApp, _deps: DashboardDeps) {}

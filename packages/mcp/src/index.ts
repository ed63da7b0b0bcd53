export { GUARD_NAME, type GuardOptions, type RunningGuard, startGuard } from './guard.ts';
export { DEFAULT_URL, type OtpAccess, otpFromEnv, probe } from './otp-access.ts';
export { startPermissionServer } from './permission-server.ts';
export { PERMISSION_TOOLS } from './permission-tools.ts';
export { type GuardCommand, serveGuard, servePermissionTools } from './stdio.ts';

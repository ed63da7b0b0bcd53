export { createApp, OPENAPI_PATH } from './app.ts';
export { type Config, ConfigError, parseConfig } from './config.ts';
export { createLogger } from './logger.ts';
export { createRuntime, type Runtime, type RuntimeOptions } from './runtime.ts';
export { type RunningServer, startServer } from './server.ts';
export { startTestServer, TEST_ADMIN_PASSWORD, type TestServer, testDatabase } from './testing.ts';

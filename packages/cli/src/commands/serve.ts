import { Command } from 'commander';
import { serverPackage } from '../admin.ts';

export function serveCommand(): Command {
  return new Command('serve')
    .description('Run the API server (configuration from the environment; see README)')
    .option('-p, --port <port>', 'port to listen on (default: $PORT or 8787)')
    .option('--host <host>', 'address to bind (default: $HOST or 127.0.0.1)')
    .action(async (options: { port?: string; host?: string }) => {
      loadDotEnv();
      const { parseConfig, startServer } = await serverPackage();
      const config = parseConfig({
        ...process.env,
        ...(options.port ? { PORT: options.port } : {}),
        ...(options.host ? { HOST: options.host } : {}),
      });
      const server = await startServer(config);
      const log = server.runtime.logger;
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          log.info({ signal }, 'shutting down: finishing in-flight requests');
          server.close().then(resolve, (error) => {
            log.error({ err: error }, 'shutdown failed');
            resolve();
          });
        };
        process.once('SIGINT', () => stop('SIGINT'));
        process.once('SIGTERM', () => stop('SIGTERM'));
      });
    });
}

/** An optional .env in the working directory; real environment variables win over it. */
function loadDotEnv(): void {
  try {
    process.loadEnvFile('.env');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

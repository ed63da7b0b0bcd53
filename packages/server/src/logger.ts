import pino, { type Logger } from 'pino';

/**
 * JSON logs. Redaction is a second line of defence: no code path logs a token or key, and any
 * field that is named like one is censored anyway.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'agent-otp' },
      redact: {
        paths: [
          'token',
          'apiKey',
          'authorization',
          '*.token',
          '*.apiKey',
          '*.authorization',
          '*.headers.authorization',
        ],
        censor: '[redacted]',
      },
    },
    destination,
  );
}

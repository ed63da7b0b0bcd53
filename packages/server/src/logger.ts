import { redactSecrets, redactText } from '@agent-otp/core';
import pino, { type Logger } from 'pino';

/**
 * JSON logs. No code path logs a token or key on purpose; as a second line of defence every
 * field named like one is censored, and every string of a log line (fields, the message, an
 * error's message and stack, which may quote a request) has token-shaped text redacted.
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
      formatters: { log: (object) => redactSecrets(object) as Record<string, unknown> },
      serializers: { err: serializeError },
      hooks: {
        logMethod(args, method) {
          const clean: unknown[] = args.map((arg) => (typeof arg === 'string' ? redactText(arg) : arg));
          // Without a message pino would use the error's own message, unredacted: give it one.
          const first = clean[0] as { err?: unknown } | undefined;
          const error = first instanceof Error ? first : first?.err instanceof Error ? first.err : null;
          if (error && typeof clean[1] !== 'string') clean.splice(1, 0, redactText(error.message));
          return method.apply(this, clean as Parameters<typeof method>);
        },
      },
    },
    destination,
  );
}

/** pino's error serializer, as a plain object with its strings redacted. */
function serializeError(error: unknown): unknown {
  const serialized = pino.stdSerializers.err(error as Error) as unknown;
  if (serialized === error || serialized === null || typeof serialized !== 'object') {
    return redactSecrets(serialized);
  }
  const plain: Record<string, unknown> = {};
  // for…in: pino's serialized error keeps type, message and stack on its prototype.
  for (const key in serialized) {
    const value = (serialized as Record<string, unknown>)[key];
    if (value !== undefined)
      plain[key] = key === 'aggregateErrors' ? (value as unknown[]).map(serializeError) : value;
  }
  return redactSecrets(plain);
}

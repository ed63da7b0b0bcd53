import { createRequire } from 'node:module';

/**
 * A CommonJS dependency loaded at its first use instead of at start-up. The drivers of optional
 * backends (pg, redis, grammY, Slack's client, the shared rate limiter) take ~0.5 s to load
 * together, and a server on SQLite without Redis or channels never uses them. `from` is the
 * caller's `import.meta.url`, so the name resolves as that file's own import would.
 */
export function lazyRequire<T>(from: string, name: string): () => T {
  let loaded: T | undefined;
  return () => {
    loaded ??= createRequire(from)(name) as T;
    return loaded;
  };
}

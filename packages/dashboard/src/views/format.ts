/** Formatting shared by the pages. Times are epoch milliseconds, shown in UTC on the server. */

export const iso = (ms: number) => new Date(ms).toISOString();

/** `2026-06-01 12:00:05 UTC`; app.js rewrites it into the browser's local time. */
export const showTime = (ms: number) => `${iso(ms).slice(0, 19).replace('T', ' ')} UTC`;

/** A short human duration: `45s`, `4m 10s`, `2h 5m`, `3d 4h`. */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60 ? ` ${s % 60}s` : ''}`;
  if (s < 86400)
    return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60) ? ` ${Math.floor((s % 3600) / 60)}m` : ''}`;
  return `${Math.floor(s / 86400)}d${Math.floor((s % 86400) / 3600) ? ` ${Math.floor((s % 86400) / 3600)}h` : ''}`;
}

/** Pretty JSON for <pre> blocks; `{}` stays on one line. */
export const prettyJson = (value: unknown) => JSON.stringify(value ?? null, null, 2);

/** True when a JSON object has no keys (an empty scope or context is shown as "none"). */
export const isEmpty = (value: unknown) =>
  value === null || value === undefined || (typeof value === 'object' && Object.keys(value).length === 0);

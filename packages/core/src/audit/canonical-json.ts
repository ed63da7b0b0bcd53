/**
 * JSON with object keys sorted at every depth, so the same value always serialises to the same
 * bytes, whichever database stored it or in which order its keys came back. Every audit hash
 * covers this text, so its output must never change (test/canonical-json.property.test.ts holds
 * it to the plain definition); it is written with loops because it runs for every entry written
 * and every entry the checkpointer and verify read.
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) {
      // A hole reads as nothing, as Array.prototype.map and join left it.
      out += `${i === 0 ? '' : ','}${i in value ? canonicalJson(value[i]) : ''}`;
    }
    return `${out}]`;
  }
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const item = record[key];
    if (item === undefined) continue;
    out += `${first ? '' : ','}${JSON.stringify(key)}:${canonicalJson(item)}`;
    first = false;
  }
  return `${out}}`;
}

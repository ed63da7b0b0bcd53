/**
 * A JSON call over real HTTP for tests that run against a started server (not in process):
 * `Authorization: Bearer <token>`, a JSON body when given, and the parsed JSON answer.
 */
export async function callJson(baseUrl: string, method: string, path: string, token: string, body?: unknown) {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  // biome-ignore lint/suspicious/noExplicitAny: tests read arbitrary JSON answers field by field
  return { status: response.status, body: (await response.json()) as any };
}

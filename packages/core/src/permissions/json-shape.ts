/**
 * Bounds on free-form JSON an agent sends (context, action details): deep nesting would make
 * every later reader (hashing, the dashboard) recurse that deep. Iterative, so the check itself
 * cannot overflow the stack.
 */
export function jsonDepthExceeds(value: unknown, maxDepth: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (current === null || typeof current !== 'object') continue;
    if (depth > maxDepth) return true;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return false;
}

export const MAX_JSON_DEPTH = 8;

/**
 * Three-valued (Kleene) truth of a condition. A test of a present value whose type the operator
 * cannot compare (`greaterThan 1000` on `"5000"`, `[5000]` or `{"v":5000}`) is UNKNOWN, not
 * false: the agent chose a value the rule cannot judge, and treating that as "does not match"
 * would let the request fall through a deny rule to a more permissive one below it.
 *
 * The values are ordered FALSE < UNKNOWN < TRUE, so that AND is the minimum, OR the maximum and
 * NOT is `TRUE - t`: plain integer arithmetic on the hot path, no allocation. The literals are
 * used directly in the hot loops (with these names in comments) so that no imported binding is
 * read per test.
 */
export type Truth = 0 | 1 | 2;

export const FALSE: Truth = 0;
export const UNKNOWN: Truth = 1;
export const TRUE: Truth = 2;

/** Turns a two-valued result into a Truth. */
export function truth(held: boolean): Truth {
  return held ? 2 : 0;
}

/**
 * Three-valued (Kleene) truth of a condition: 0 FALSE, 1 UNKNOWN, 2 TRUE. A test of a present
 * value whose type the operator cannot compare (`greaterThan 1000` on `"5000"`, `[5000]` or
 * `{"v":5000}`) is UNKNOWN, not false: the agent chose a value the rule cannot judge, and
 * reading that as "does not match" would let the request fall through a deny rule to a more
 * permissive one below it.
 *
 * The values are ordered FALSE < UNKNOWN < TRUE, so that AND is the minimum, OR the maximum and
 * NOT is `2 - t`: plain integer arithmetic on the hot path, no allocation. The hot loops use
 * the literals (with these names in comments) so that no imported binding is read per test.
 */
export type Truth = 0 | 1 | 2;

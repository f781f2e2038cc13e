/**
 * A rate is a count divided by `youth_population` of the same snapshot (DESIGN.md §1): NULL when
 * the count is NULL (not delivered) or the base is 0, never 0 by default.
 */
export function rate(count: number | null, base: number | null): number | null {
  if (count === null || base === null || base <= 0) return null
  return count / base
}

/**
 * Benjamini–Hochberg adjusted p-values ("q-values" controlling the false discovery rate), for
 * flagging many neighbourhoods at once while keeping the expected share of false alarms among
 * the flagged ones at most q.
 *
 * Formula: with the m present p-values sorted ascending, p(1) ≤ … ≤ p(m), the adjusted value
 * of the i-th smallest is
 *   adjusted(i) = min(1, min over j ≥ i of m / j · p(j)),
 * the running minimum from the largest down keeping the adjusted values in the same order as
 * the raw ones. Rejecting every hypothesis with adjusted ≤ q is the BH step-up procedure at q.
 *
 * Variant: missing entries (null or NaN) are left null in the output and are not counted in m,
 * as R does with NA (R evaluates its default `n = length(p)` after removing the NAs). Tied raw
 * p-values get the same adjusted value.
 *
 * Reference: Benjamini & Hochberg (1995), "Controlling the false discovery rate", JRSS B 57(1),
 * 289–300; software matched: R 4.2.2 `p.adjust(p, "BH")`, in
 * `test/models/stats/benjamini-hochberg.test.ts`.
 *
 * @param pValues - raw p-values in [0, 1], null (or NaN) where an area has none; any order
 * @returns adjusted p-values in the same positions, null where the input was missing
 * @throws {RangeError} when a present p-value lies outside [0, 1]
 *
 * Complexity: O(m log m) for the sort.
 *
 * @example benjaminiHochberg([0.01, null, 0.04, 0.03]) // [0.03, null, 0.04, 0.04]
 */
export function benjaminiHochberg(pValues: readonly (number | null)[]): (number | null)[] {
  const present: number[] = []
  pValues.forEach((value, index) => {
    if (value === null || Number.isNaN(value)) return
    if (!(value >= 0 && value <= 1)) {
      throw new RangeError(
        `benjaminiHochberg requires p-values from 0 to 1 or null, got ${value} at index ${index}`,
      )
    }
    present.push(index)
  })
  const adjusted: (number | null)[] = pValues.map(() => null)
  const testCount = present.length
  // largest p-value first; ties keep input order (stable sort), which does not change the result
  const descending = [...present].sort(
    (left, right) => (pValues[right] as number) - (pValues[left] as number),
  )
  let runningMinimum = Infinity
  descending.forEach((index, position) => {
    const rank = testCount - position
    runningMinimum = Math.min(runningMinimum, (testCount / rank) * (pValues[index] as number))
    adjusted[index] = Math.min(1, runningMinimum)
  })
  return adjusted
}

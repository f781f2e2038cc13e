import { binomialTest } from './binomial-test.js'

/** Result of {@link poissonRateTest}. */
export interface PoissonRateTestResult {
  /** two-sided exact p-value, in [0, 1] */
  p_value: number
  /**
   * (y1 / n1) / (y0 / n0), the estimated ratio of the two rates; null when it is undefined or
   * infinite (y0 = 0), where R prints NaN or Inf
   */
  rate_ratio: number | null
}

/**
 * Exact conditional test comparing two Poisson rates, e.g. this year's drug-offence suspects
 * per young person against last year's.
 *
 * Formula: with counts y1 = `counts[0]`, y0 = `counts[1]` observed over exposures (person-time,
 * here summed youth population) n1 = `exposures[0]`, n0 = `exposures[1]`, and the null
 * hypothesis that both rates are equal, y1 given the total y1 + y0 is Binomial(y1 + y0, p) with
 * p = n1 / (n1 + n0). The p-value is the two-sided exact binomial test of y1 out of y1 + y0
 * at that p ({@link binomialTest}); the estimate is the rate ratio (y1 / n1) / (y0 / n0).
 *
 * Variant: conditioning on the total removes the unknown common rate, which makes the test
 * exact (Przyborowski & Wileński 1940); rate-ratio null value 1 (R's default `r = 1`). When both
 * counts are 0 the data say nothing: p-value 1, as R returns.
 *
 * Reference: R 4.2.2 `poisson.test(c(y1, y0), c(n1, n0))` (`$p.value`, `$estimate`),
 * matched in `test/models/stats/poisson-rate-test.test.ts`.
 *
 * @param counts - [y1, y0], whole numbers ≥ 0 (events in the period of interest, then the comparison period)
 * @param exposures - [n1, n0], finite numbers > 0 in the same order (person-quarters, people)
 * @returns `{p_value, rate_ratio}`
 * @throws {RangeError} when a count is not a non-negative whole number or an exposure is not positive
 *
 * Complexity: O(y1 + y0) (see binomialTest).
 *
 * @example poissonRateTest([30, 18], [1200, 1100]) // {p_value: 0.19303…, rate_ratio: 1.52777…}
 */
export function poissonRateTest(
  counts: readonly [number, number],
  exposures: readonly [number, number],
): PoissonRateTestResult {
  const [count1, count0] = counts
  const [exposure1, exposure0] = exposures
  for (const count of [count1, count0]) {
    if (!Number.isInteger(count) || count < 0) {
      throw new RangeError(`poissonRateTest requires counts that are whole numbers of at least 0`)
    }
  }
  for (const exposure of [exposure1, exposure0]) {
    if (!Number.isFinite(exposure) || exposure <= 0) {
      throw new RangeError(`poissonRateTest requires exposures that are finite and above 0`)
    }
  }
  const total = count1 + count0
  const rateRatio = count0 === 0 ? null : count1 / exposure1 / (count0 / exposure0)
  if (total === 0) return { p_value: 1, rate_ratio: rateRatio }
  const nullProbability = exposure1 / (exposure1 + exposure0)
  return { p_value: binomialTest(count1, total, nullProbability), rate_ratio: rateRatio }
}

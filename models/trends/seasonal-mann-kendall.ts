import {
  appendPairwiseSlopes,
  assertSignificanceLevel,
  continuityCorrectedZ,
  mannKendallScore,
  medianIgnoringNaN,
  medianPresentIndex,
  normalVerdict,
  presentValues,
  scoreVariance,
  withMissingAsNaN,
  type MannKendallResult,
} from './mann-kendall-steps.js'

export type { MannKendallResult, TrendDirection } from './mann-kendall-steps.js'

/**
 * Seasonal Mann-Kendall trend test (Hirsch & Slack): a monotonic trend across years that is
 * not confused with the pattern within a year, e.g. quarter 3 always being high. Each season
 * (quarter of the year) is compared only with the same season in other years.
 *
 * Formula, with x = `values`, padded at the end with missing values to a whole number of
 * periods and laid out row-major as (years × `period`), season c being column c:
 * - per season c (missing values dropped, order kept): s_c, var_s_c as in {@link mannKendall};
 *   n_c its number of values;
 * - s = Σ_c s_c; var_s = Σ_c var_s_c; tau = s / Σ_c n_c(n_c − 1)/2;
 * - z, p, h and trend from s and var_s as in the original test (continuity correction,
 *   p = 2·(1 − Φ(|z|)), h = |z| > Φ⁻¹(1 − alpha/2));
 * - slope: median of all within-season pairwise slopes (x_j − x_i)/(j − i), i, j the year rows
 *   (missing values keep their row), so the slope is per full period (per year for period 4);
 * - intercept = median(x) − median(positions of non-missing values)/period · slope, positions
 *   0-based in the original series.
 *
 * Variant: pymannkendall's `seasonal_test` (which hands the reshaped matrix to its
 * `multivariate_test` and `seasonal_sens_slope`): seasons assumed independent (no covariance
 * term between seasons; that is `correlated_seasonal_test`), NaN padding at the end, per-season
 * NaN removal, Hipel's seasonal Sen slope. We use period 4 (quarters); the test is general.
 *
 * Reference: Hirsch, Slack & Smith (1982) "Techniques of trend analysis for monthly water
 * quality data", Water Resources Research 18(1); Hirsch & Slack (1984) WRR 20(6); Hipel &
 * McLeod (1994) Time Series Modelling of Water Resources, seasonal slope. Software matched:
 * pymannkendall 1.4.3 `seasonal_test(x, period, alpha)`, every seasonal case of
 * `shared/reference/mann_kendall_cases.json` (period 12 published, period 4 self-computed there).
 *
 * @param values - the series in time order, one value per season step, starting at season 0
 *   (for period 4: the first element is the first quarter of its year's layout); null or NaN = missing
 * @param period - seasons per cycle, a whole number ≥ 2 (default 4: quarters)
 * @param alpha - significance level, strictly between 0 and 1 (default 0.05)
 * @returns `{trend, h, p, z, tau, s, var_s, slope, intercept}`; slope is per period (per year)
 * @throws {TypeError} when a value is neither a finite number nor missing
 * @throws {RangeError} when no season has 2 non-missing values, or period or alpha is invalid
 *
 * Complexity: O(n²/period) time and memory.
 *
 * @example seasonalMannKendall([1, 5, 2, 6, 3, 7, 4, 8], 2).s // 12 (6 per season)
 */
export function seasonalMannKendall(
  values: readonly (number | null)[],
  period: number = 4,
  alpha: number = 0.05,
): MannKendallResult {
  const series = withMissingAsNaN(values, 'seasonalMannKendall')
  if (!Number.isInteger(period) || period < 2) {
    throw new RangeError(`seasonalMannKendall requires period to be a whole number of at least 2`)
  }
  assertSignificanceLevel(alpha, 'seasonalMannKendall')

  const cycles = Math.ceil(series.length / period)
  let s = 0
  let varS = 0
  let pairCount = 0
  const slopes: number[] = []
  for (let season = 0; season < period; season++) {
    // column `season` of the (cycles × period) layout; positions past the end are the NaN padding
    const column = new Float64Array(cycles)
    for (let cycle = 0; cycle < cycles; cycle++) {
      const position = cycle * period + season
      column[cycle] = position < series.length ? series[position] : NaN
    }
    const present = presentValues(column)
    const count = present.length
    s += mannKendallScore(present)
    varS += scoreVariance(present)
    pairCount += 0.5 * count * (count - 1)
    appendPairwiseSlopes(column, slopes)
  }
  if (pairCount === 0) {
    throw new RangeError(
      `seasonalMannKendall requires at least 2 non-missing values in one season (a season is every period-th value)`,
    )
  }

  const tau = s / pairCount
  const z = continuityCorrectedZ(s, varS)
  const { p, h, trend } = normalVerdict(z, alpha)
  const slope = medianIgnoringNaN(slopes)
  const intercept = medianIgnoringNaN(series) - (medianPresentIndex(series) / period) * slope
  return { trend, h, p, z, tau, s, var_s: varS, slope, intercept }
}

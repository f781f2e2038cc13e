import {
  assertSignificanceLevel,
  continuityCorrectedZ,
  mannKendallScore,
  normalVerdict,
  presentValues,
  scoreVariance,
  withMissingAsNaN,
  type MannKendallResult,
} from './mann-kendall-steps.js'
import { senSlope } from './sen-slope.js'

export type { MannKendallResult, TrendDirection } from './mann-kendall-steps.js'

/**
 * Mann-Kendall trend test: is a series (here the quarterly drug-offence rate of an area)
 * monotonically rising or falling over time, without assuming a straight line or normal errors?
 *
 * Formula, with x = the non-missing `values` in time order and n their number:
 * - score s = Σ_{i<j} sign(x_j − x_i) (`s`);
 * - var_s = [n(n−1)(2n+5) − Σ_t t(t−1)(2t+5)] / 18, t the size of each group of tied values;
 * - z = (s − 1)/√var_s if s > 0, 0 if s = 0, (s + 1)/√var_s if s < 0;
 * - p = 2·(1 − Φ(|z|)), Φ the standard normal distribution function;
 * - h = |z| > Φ⁻¹(1 − alpha/2); trend 'increasing' / 'decreasing' by the sign of z when h;
 * - tau = s / (n(n−1)/2);
 * - slope and intercept: Theil-Sen and Conover ({@link senSlope}) over the ORIGINAL positions.
 *
 * Variant: pymannkendall's `original_test`: missing values (null or NaN) are dropped for s and
 * var_s but keep their time index for the slope; ties corrected in var_s; continuity correction
 * in z; p computed as 1 − Φ, so it is exactly 0 for |z| ≳ 8.3 (as the reference package).
 * No correction for serial correlation (Hamed-Rao, Yue-Wang are other tests).
 *
 * Reference: Mann (1945) "Nonparametric tests against trend", Econometrica 13; Kendall (1975)
 * Rank Correlation Methods; Gilbert (1987) Statistical Methods for Environmental Pollution
 * Monitoring, ch. 16. Software matched: pymannkendall 1.4.3 `original_test(x, alpha)`, every
 * case of `shared/reference/mann_kendall_cases.json`.
 *
 * @param values - the series in time order, equally spaced (one per quarter); null or NaN = missing
 * @param alpha - significance level for `h` and `trend`, strictly between 0 and 1 (default 0.05)
 * @returns `{trend, h, p, z, tau, s, var_s, slope, intercept}`; slope is per step (per quarter)
 * @throws {TypeError} when a value is neither a finite number nor missing
 * @throws {RangeError} when fewer than 2 values are present or alpha is outside (0, 1)
 *
 * Complexity: O(n²) time (pairwise signs and slopes), O(n²) memory for the slopes.
 *
 * @example mannKendall([1, 2, 3, 4, 5]).s // 10
 */
export function mannKendall(
  values: readonly (number | null)[],
  alpha: number = 0.05,
): MannKendallResult {
  const series = withMissingAsNaN(values, 'mannKendall')
  assertSignificanceLevel(alpha, 'mannKendall')
  const present = presentValues(series)
  const count = present.length
  if (count < 2) throw new RangeError(`mannKendall requires at least 2 non-missing values`)

  const s = mannKendallScore(present)
  const varS = scoreVariance(present)
  const tau = s / (0.5 * count * (count - 1))
  const z = continuityCorrectedZ(s, varS)
  const { p, h, trend } = normalVerdict(z, alpha)
  const { slope, intercept } = senSlope(values)
  return { trend, h, p, z, tau, s, var_s: varS, slope, intercept }
}

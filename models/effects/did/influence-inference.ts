import normalCdf from '@stdlib/stats-base-dists-normal-cdf'
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile'

/** An estimate with its analytic standard error, pointwise interval and two-sided p-value. */
export interface NormalInference {
  /** Standard error, sqrt(mean(IF²) / n). */
  readonly se: number
  /** Lower end of the pointwise interval, estimate − z·se. */
  readonly ciLow: number
  /** Upper end of the pointwise interval, estimate + z·se. */
  readonly ciHigh: number
  /** Two-sided p-value of H0: estimand = 0, 2·(1 − Φ(|estimate / se|)); NaN when se is 0. */
  readonly pValue: number
}

/**
 * Standard error from an influence function (the analytic, non-bootstrap route of R did 2.x:
 * `getSE` with `bstrap = FALSE`): se = sqrt(mean(IF_i²) / n), where IF_i is unit i's influence
 * on the estimate (`influence[i]`) and n the number of units (`influence.length`).
 *
 * @param influence one value per unit, scaled as did scales them (mean zero, O(1) per unit)
 * @returns the standard error (same units as the estimate)
 * @throws RangeError when the influence function is empty
 */
export function standardErrorFromInfluence(influence: Float64Array): number {
  const unitCount = influence.length
  if (unitCount === 0) {
    throw new RangeError('standardErrorFromInfluence requires at least one unit')
  }
  let sumOfSquares = 0
  for (let unit = 0; unit < unitCount; unit++) sumOfSquares += influence[unit] * influence[unit]
  return Math.sqrt(sumOfSquares / unitCount / unitCount)
}

/** The two-sided normal critical value for a confidence level (1.959964 at 0.95). */
export function normalCriticalValue(confidenceLevel: number): number {
  return normalQuantile(1 - (1 - confidenceLevel) / 2, 0, 1)
}

/**
 * Pointwise normal inference for one estimate: interval estimate ± z·se with z the two-sided
 * normal critical value of `confidenceLevel`, and the two-sided p-value 2·(1 − Φ(|estimate|/se)).
 * Pointwise means each interval holds at its level on its own; R did's uniform (simultaneous)
 * bands need the multiplier bootstrap and are not produced here (did uses pointwise critical
 * values too when `bstrap = FALSE`).
 *
 * @param estimate the point estimate
 * @param se its standard error, ≥ 0
 * @param confidenceLevel strictly between 0 and 1
 */
export function normalInference(
  estimate: number,
  se: number,
  confidenceLevel: number,
): NormalInference {
  const critical = normalCriticalValue(confidenceLevel)
  const pValue = se > 0 ? 2 * (1 - normalCdf(Math.abs(estimate / se), 0, 1)) : Number.NaN
  return { se, ciLow: estimate - critical * se, ciHigh: estimate + critical * se, pValue }
}

import normalCdf from '@stdlib/stats-base-dists-normal-cdf'
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile'

/**
 * Shared steps of the Mann-Kendall family (pymannkendall 1.4.x conventions), used only inside
 * `models/trends`: the public statistics are `mannKendall`, `seasonalMannKendall`, `senSlope`.
 */

/** The verdict of a Mann-Kendall test at the chosen significance level. */
export type TrendDirection = 'increasing' | 'decreasing' | 'no trend'

/** Result of `mannKendall` and `seasonalMannKendall` (field names as the API sends them). */
export interface MannKendallResult {
  /** 'increasing' or 'decreasing' when the test rejects at `alpha`, else 'no trend' */
  trend: TrendDirection
  /** true when |z| exceeds the two-sided normal critical value at `alpha` */
  h: boolean
  /** two-sided p-value 2·(1 − Φ(|z|)); exactly 0 once Φ(|z|) rounds to 1 (|z| ≳ 8.3) */
  p: number
  /** continuity-corrected normal score */
  z: number
  /** Kendall's tau: s divided by the number of pairs compared */
  tau: number
  /** Mann-Kendall score S */
  s: number
  /** variance of S under no trend, corrected for ties */
  var_s: number
  /** Theil-Sen slope, per step of the series (original test) or per full period (seasonal) */
  slope: number
  /** Conover intercept of the Kendall-Theil line, at index 0 */
  intercept: number
}

/**
 * Copies a series into a Float64Array with NaN for every missing value (null or NaN), keeping
 * positions. Throws on anything that is neither a finite number nor missing.
 */
export function withMissingAsNaN(
  values: readonly (number | null)[],
  functionName: string,
): Float64Array {
  if (!Array.isArray(values)) {
    throw new TypeError(`${functionName} requires an array of numbers or null`)
  }
  const copy = new Float64Array(values.length)
  values.forEach((value, index) => {
    if (value === null || (typeof value === 'number' && Number.isNaN(value))) {
      copy[index] = NaN
    } else if (typeof value === 'number' && Number.isFinite(value)) {
      copy[index] = value
    } else {
      throw new TypeError(
        `${functionName} requires finite numbers or null (missing), got ${String(value)} at index ${index}`,
      )
    }
  })
  return copy
}

/** The non-missing values in their original order. */
export function presentValues(values: Float64Array): Float64Array {
  return values.filter((value) => !Number.isNaN(value))
}

/** S = Σ_{i<j} sign(x_j − x_i) over non-missing values. O(n²). */
export function mannKendallScore(values: Float64Array): number {
  let score = 0
  for (let i = 0; i < values.length - 1; i++) {
    for (let j = i + 1; j < values.length; j++) {
      if (values[j] > values[i]) score++
      else if (values[j] < values[i]) score--
    }
  }
  return score
}

/**
 * Var(S) = [n(n−1)(2n+5) − Σ_t t(t−1)(2t+5)] / 18, t running over the sizes of groups of equal
 * values (Kendall 1975 tie correction).
 */
export function scoreVariance(values: Float64Array): number {
  const count = values.length
  const groupSizes = new Map<number, number>()
  for (const value of values) groupSizes.set(value, (groupSizes.get(value) ?? 0) + 1)
  let tieTerm = 0
  for (const size of groupSizes.values()) tieTerm += size * (size - 1) * (2 * size + 5)
  return (count * (count - 1) * (2 * count + 5) - tieTerm) / 18
}

/** z = (S − 1)/√Var(S) for S > 0, 0 for S = 0, (S + 1)/√Var(S) for S < 0 (continuity correction). */
export function continuityCorrectedZ(score: number, variance: number): number {
  if (score > 0) return (score - 1) / Math.sqrt(variance)
  if (score < 0) return (score + 1) / Math.sqrt(variance)
  return 0
}

/** Two-sided p-value 2·(1 − Φ(|z|)) and the verdict at `alpha`, as pymannkendall `__p_value`. */
export function normalVerdict(
  z: number,
  alpha: number,
): { p: number; h: boolean; trend: TrendDirection } {
  // computed as 1 − Φ like pymannkendall, so it underflows to exactly 0 for |z| ≳ 8.3
  const p = 2 * (1 - normalCdf(Math.abs(z), 0, 1))
  const h = Math.abs(z) > normalQuantile(1 - alpha / 2, 0, 1)
  const trend: TrendDirection = h && z > 0 ? 'increasing' : h && z < 0 ? 'decreasing' : 'no trend'
  return { p, h, trend }
}

/** Throws unless 0 < alpha < 1. */
export function assertSignificanceLevel(alpha: number, functionName: string): void {
  if (!(alpha > 0 && alpha < 1)) {
    throw new RangeError(`${functionName} requires alpha strictly between 0 and 1, got ${alpha}`)
  }
}

/** Median of the non-NaN values (numpy `nanmedian`: middle value, or mean of the two middle). */
export function medianIgnoringNaN(values: ArrayLike<number>): number {
  const sorted = Float64Array.from(values)
    .filter((value) => !Number.isNaN(value))
    .sort()
  const count = sorted.length
  if (count === 0) return NaN
  const middle = Math.floor(count / 2)
  return count % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
}

/** Median of the positions (0-based) that hold a non-missing value. */
export function medianPresentIndex(values: Float64Array): number {
  const indices: number[] = []
  values.forEach((value, index) => {
    if (!Number.isNaN(value)) indices.push(index)
  })
  return medianIgnoringNaN(indices)
}

/**
 * Appends (x_j − x_i)/(j − i) for every pair i < j of non-missing values to `slopes`, with i, j
 * the ORIGINAL positions (a missing value keeps its place in time).
 */
export function appendPairwiseSlopes(values: ArrayLike<number>, slopes: number[]): void {
  for (let i = 0; i < values.length - 1; i++) {
    if (Number.isNaN(values[i])) continue
    for (let j = i + 1; j < values.length; j++) {
      if (Number.isNaN(values[j])) continue
      slopes.push((values[j] - values[i]) / (j - i))
    }
  }
}

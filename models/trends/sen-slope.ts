import {
  appendPairwiseSlopes,
  medianIgnoringNaN,
  medianPresentIndex,
  presentValues,
  withMissingAsNaN,
} from './mann-kendall-steps.js'

/** Result of {@link senSlope}. */
export interface SenSlopeResult {
  /** median pairwise slope, in units of the series per step (per quarter for a quarterly series) */
  slope: number
  /** Conover intercept: the line's value at index 0 */
  intercept: number
}

/**
 * Theil-Sen slope with Conover's intercept: a robust straight line through a series, e.g. how
 * much the quarterly drug-offence rate moves per quarter, not pulled by a single odd quarter.
 *
 * Formula: slope = median over all pairs i < j of non-missing values of (x_j − x_i) / (j − i),
 * with x = `values` and i, j their positions in the array; intercept = median(x) −
 * median(positions of non-missing values) · slope.
 *
 * Variant: positions are the ORIGINAL time indices, so a missing value (null or NaN) keeps its
 * place and a gap widens the step between its neighbours; an even number of slopes takes the mean
 * of the two middle ones. This is pymannkendall's `sens_slope` (and the slope and intercept of
 * its `original_test`).
 *
 * Reference: Theil (1950), Sen (1968) "Estimates of the regression coefficient based on Kendall's
 * tau", JASA 63, 1379–1389; Conover (1980) Practical Nonparametric Statistics, intercept.
 * Software matched: pymannkendall 1.4.3 `sens_slope(x)`, cases in
 * `shared/reference/mann_kendall_cases.json`.
 *
 * @param values - the series in time order, equally spaced; null or NaN marks a missing value
 * @returns `{slope, intercept}`
 * @throws {TypeError} when a value is neither a finite number nor missing
 * @throws {RangeError} when fewer than 2 values are present
 *
 * Complexity: O(n²) time and memory (all pairwise slopes, then a sort).
 *
 * @example senSlope([1, 2, null, 4]) // {slope: 1, intercept: 1}
 */
export function senSlope(values: readonly (number | null)[]): SenSlopeResult {
  const series = withMissingAsNaN(values, 'senSlope')
  if (presentValues(series).length < 2) {
    throw new RangeError(`senSlope requires at least 2 non-missing values`)
  }
  const slopes: number[] = []
  appendPairwiseSlopes(series, slopes)
  const slope = medianIgnoringNaN(slopes)
  const intercept = medianIgnoringNaN(series) - medianPresentIndex(series) * slope
  return { slope, intercept }
}

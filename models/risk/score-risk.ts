import normalQuantile from '@stdlib/stats-base-dists-normal-quantile'
import { poissonExactInterval } from '../stats/poisson-exact-interval.js'

/** A count per row that may be unknown: null in an array, NaN in a Float64Array. */
export type OptionalCountColumn = Float64Array | readonly (number | null)[]

export interface RiskScoreInput {
  /** Coefficient estimates on the original scale, in design column order (log odds). */
  coefficients: readonly number[]
  /** Their covariance matrix (inverse Fisher information), p × p. */
  covariance: readonly (readonly number[])[]
  /** Design rows, rows × p: a row-major Float64Array or one array per row. */
  design: Float64Array | readonly (readonly number[])[]
  /** Young people the risk applies to, per row (the target quarter's population); unknown: null/NaN. */
  population: OptionalCountColumn
  /** Observed outcome count per row (target quarter); not (yet) known: null/NaN. */
  observed: OptionalCountColumn
}

/**
 * Scores as columns, one entry per row in row order; NaN marks a value that is unknown (SQL NULL),
 * so a national model's 720,000 scores are a few arrays, not 720,000 objects.
 */
export interface RiskScores {
  /** Fitted probability per young person, expit(x·β). */
  risk: Float64Array
  /** 95% interval: delta method on the logit scale, transformed back. */
  risk_ci_low: Float64Array
  risk_ci_high: Float64Array
  /** population × risk; NaN when the population is unknown. */
  expected: Float64Array
  /** The observed count; NaN when unknown. */
  observed: Float64Array
  /** observed / expected; NaN when either is unknown or expected is 0. */
  standardized_ratio: Float64Array
  /** Exact (Garwood) Poisson 95% interval of observed, divided by expected; NaN as the ratio. */
  ratio_ci_low: Float64Array
  ratio_ci_high: Float64Array
}

const functionName = 'scoreRisk'
const normalQuantile975 = normalQuantile(0.975, 0, 1)

function expit(value: number): number {
  return value >= 0 ? 1 / (1 + Math.exp(-value)) : Math.exp(value) / (1 + Math.exp(value))
}

/**
 * Risk per area (DESIGN.md, Definitions): the fitted probability of a binomial GLM with logit
 * link for each row, its Wald 95% interval by the delta method on the logit scale transformed
 * back, the expected count, and the standardized ratio observed/expected with an exact Poisson
 * interval.
 *
 * In words: η = x·β (x = a `design` row, β = `coefficients`); its variance x'·V·x (V =
 * `covariance`); risk = expit(η), interval expit(η ∓ 1.959964·√(x'Vx)) (as R
 * `predict(fit, type = "link", se.fit = TRUE)` then `plogis(fit ∓ qnorm(0.975) * se.fit)`);
 * expected = population × risk; standardized_ratio = observed / expected with interval
 * (Garwood lower, upper of observed) / expected (R `poisson.test(observed, expected)$conf.int`).
 *
 * @param input coefficients and covariance of a fit, design rows, population and observed
 *   counts per row (null or NaN when unknown)
 * @returns the scores as columns (`RiskScores`), one entry per row in row order, NaN for unknown
 * @throws RangeError when lengths disagree or a count is negative or not whole
 * Cost: O(rows·p²); Poisson intervals are computed once per distinct observed count.
 */
export function scoreRisk(input: RiskScoreInput): RiskScores {
  const { coefficients, covariance, design, population, observed } = input
  const columns = coefficients.length
  if (
    columns === 0 ||
    covariance.length !== columns ||
    covariance.some((row) => row.length !== columns)
  ) {
    throw new RangeError(`${functionName} requires a p × p covariance for p coefficients`)
  }
  const rows = population.length
  if (observed.length !== rows) {
    throw new RangeError(`${functionName} requires as many observed counts as populations`)
  }
  const designLength = design instanceof Float64Array ? design.length / columns : design.length
  if (designLength !== rows) {
    throw new RangeError(
      `${functionName} requires one design row of ${columns} values per population`,
    )
  }
  const covarianceFlat = Float64Array.from(covariance.flat())
  const intervals = new Map<number, { lower: number; upper: number }>()
  const values = new Float64Array(columns)
  const scores: RiskScores = {
    risk: new Float64Array(rows),
    risk_ci_low: new Float64Array(rows),
    risk_ci_high: new Float64Array(rows),
    expected: new Float64Array(rows),
    observed: new Float64Array(rows),
    standardized_ratio: new Float64Array(rows),
    ratio_ci_low: new Float64Array(rows),
    ratio_ci_high: new Float64Array(rows),
  }
  for (let row = 0; row < rows; row += 1) {
    if (design instanceof Float64Array) {
      for (let j = 0; j < columns; j += 1) values[j] = design[row * columns + j]
    } else {
      const source = design[row]
      if (source.length !== columns) {
        throw new RangeError(
          `${functionName} requires design rows of ${columns} values, row ${row + 1} differs`,
        )
      }
      for (let j = 0; j < columns; j += 1) values[j] = source[j]
    }
    let linear = 0
    let variance = 0
    for (let j = 0; j < columns; j += 1) {
      linear += values[j] * coefficients[j]
      let product = 0
      for (let k = 0; k < columns; k += 1) product += covarianceFlat[j * columns + k] * values[k]
      variance += values[j] * product
    }
    const halfWidth = normalQuantile975 * Math.sqrt(Math.max(variance, 0))
    const risk = expit(linear)
    const people = population[row] ?? Number.NaN
    const count = observed[row] ?? Number.NaN
    if (!Number.isNaN(people) && !(people >= 0)) {
      throw new RangeError(
        `${functionName} requires populations of 0 or more, row ${row + 1} has ${people}`,
      )
    }
    if (!Number.isNaN(count) && !(Number.isInteger(count) && count >= 0)) {
      throw new RangeError(
        `${functionName} requires observed counts that are whole numbers of 0 or more, row ${row + 1} has ${count}`,
      )
    }
    const expected = people * risk
    let ratio = Number.NaN
    let ratioLow = Number.NaN
    let ratioHigh = Number.NaN
    if (expected > 0 && !Number.isNaN(count)) {
      let interval = intervals.get(count)
      if (interval === undefined) {
        interval = poissonExactInterval(count)
        intervals.set(count, interval)
      }
      ratio = count / expected
      ratioLow = interval.lower / expected
      ratioHigh = interval.upper / expected
    }
    scores.risk[row] = risk
    scores.risk_ci_low[row] = expit(linear - halfWidth)
    scores.risk_ci_high[row] = expit(linear + halfWidth)
    scores.expected[row] = expected
    scores.observed[row] = count
    scores.standardized_ratio[row] = ratio
    scores.ratio_ci_low[row] = ratioLow
    scores.ratio_ci_high[row] = ratioHigh
  }
  return scores
}

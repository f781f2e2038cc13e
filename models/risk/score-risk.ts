import normalQuantile from '@stdlib/stats-base-dists-normal-quantile'
import { poissonExactInterval } from '../stats/poisson-exact-interval.js'

export interface RiskScoreInput {
  /** Coefficient estimates on the original scale, in design column order (log odds). */
  coefficients: readonly number[]
  /** Their covariance matrix (inverse Fisher information), p × p. */
  covariance: readonly (readonly number[])[]
  /** Design rows, rows × p: a row-major Float64Array or one array per row. */
  design: Float64Array | readonly (readonly number[])[]
  /** Young people the risk applies to, per row (the target quarter's population); null: unknown. */
  population: readonly (number | null)[]
  /** Observed outcome count per row (target quarter); null: not (yet) known. */
  observed: readonly (number | null)[]
}

export interface RiskScore {
  /** Fitted probability per young person, expit(x·β). */
  risk: number
  /** 95% interval: delta method on the logit scale, transformed back. */
  risk_ci_low: number
  risk_ci_high: number
  /** population × risk; null when the population is unknown. */
  expected: number | null
  observed: number | null
  /** observed / expected; null when either is unknown or expected is 0. */
  standardized_ratio: number | null
  /** Exact (Garwood) Poisson 95% interval of observed, divided by expected. */
  ratio_ci_low: number | null
  ratio_ci_high: number | null
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
 *   counts per row (null when unknown)
 * @returns one score per row, in row order
 * @throws RangeError when lengths disagree or a count is negative or not whole
 * Cost: O(rows·p²); Poisson intervals are computed once per distinct observed count.
 */
export function scoreRisk(input: RiskScoreInput): RiskScore[] {
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
  const scores: RiskScore[] = new Array(rows)
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
    const people = population[row]
    const count = observed[row]
    if (people !== null && !(people >= 0)) {
      throw new RangeError(
        `${functionName} requires populations of 0 or more, row ${row + 1} has ${people}`,
      )
    }
    if (count !== null && !(Number.isInteger(count) && count >= 0)) {
      throw new RangeError(
        `${functionName} requires observed counts that are whole numbers of 0 or more, row ${row + 1} has ${count}`,
      )
    }
    const expected = people === null ? null : people * risk
    let ratio: number | null = null
    let ratioLow: number | null = null
    let ratioHigh: number | null = null
    if (count !== null && expected !== null && expected > 0) {
      let interval = intervals.get(count)
      if (interval === undefined) {
        interval = poissonExactInterval(count)
        intervals.set(count, interval)
      }
      ratio = count / expected
      ratioLow = interval.lower / expected
      ratioHigh = interval.upper / expected
    }
    scores[row] = {
      risk,
      risk_ci_low: expit(linear - halfWidth),
      risk_ci_high: expit(linear + halfWidth),
      expected,
      observed: count,
      standardized_ratio: ratio,
      ratio_ci_low: ratioLow,
      ratio_ci_high: ratioHigh,
    }
  }
  return scores
}

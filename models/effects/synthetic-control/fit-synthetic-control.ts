import { Matrix, solve } from 'ml-matrix'
import type { SyntheticControlParams } from './synthetic-control-params.js'
import { solveDonorWeights, type DonorWeightsProblem } from './donor-weights.js'
import { nelderMead } from './nelder-mead.js'

/** One synthetic control fit. Series are indexed like `params.times`. */
export interface SyntheticControlFit {
  /** The treated (or placebo-treated) unit's index in `params.unitIds`. */
  readonly unit: number
  /** Donor indices in `params.unitIds`, ascending, parallel to `weights`. */
  readonly donors: Int32Array
  /** W: donor weights, ≥ 0, summing to 1. */
  readonly weights: Float64Array
  /** Diagonal of V (predictor weights on the SD-scaled predictors), ≥ 0, summing to 1. */
  readonly predictorWeights: Float64Array
  /** The synthetic control's outcome per period, Σ_j W_j · Y_jt. */
  readonly synthetic: Float64Array
  /** Gap per period: observed − synthetic. */
  readonly gap: Float64Array
  /** Mean squared gap over the fit window (the pre-period) and over the post-period. */
  readonly preMspe: number
  readonly postMspe: number
  /** postMspe / preMspe, the placebo test statistic. */
  readonly mspeRatio: number
  /** Mean gap over the post-period: the unit's effect estimate. */
  readonly meanPostGap: number
  /** The synthetic control's predictor values (raw scale), parallel to `params.predictorNames`. */
  readonly syntheticPredictors: Float64Array
  /** Objective evaluations spent choosing V. */
  readonly evaluations: number
}

/**
 * Fits a synthetic control for one unit (Abadie, Diamond & Hainmueller 2010, section 2): donor
 * weights W ≥ 0 with Σ W = 1 so that the weighted donors reproduce the unit's predictors, with
 * predictor weights V chosen to make the synthetic outcome path track the unit's pre-period path.
 *
 * - Predictors are scaled by their standard deviation (n − 1) across the unit and its donors, as
 *   R Synth's `synth()` does, so V is comparable across predictors.
 * - Inner problem, for a given diagonal V: W(V) = argmin (X1 − X0 W)ᵀ V (X1 − X0 W) on the
 *   simplex, solved exactly with quadprog ({@link solveDonorWeights}).
 * - Outer problem (`predictorWeighting = 'nested'`, the default): V minimises the pre-period
 *   outcome MSPE, (1/T0) Σ_{t in fit window} (Y1_t − Σ_j W_j(V) Y_jt)², as Synth and Stata's
 *   `synth, nested` do. V = |x| / Σ|x| over an unconstrained x (Synth's parametrisation), searched
 *   by deterministic Nelder–Mead ({@link nelderMead}) from two starts — equal V and the
 *   regression-based V (diagonal of B Bᵀ normalised, B the coefficients of regressing each
 *   pre-period outcome across units on the scaled predictors and a constant: Stata synth's
 *   default V) — then once more from the better end point; the lowest MSPE wins. The problem is
 *   not convex in V, so different software lands on slightly different W (ADH's Table 2 vs Stata
 *   differ by up to 0.003). `regression` and `equal` skip the search and use that V directly.
 *
 * Reference: Abadie, A., Diamond, A. & Hainmueller, J. (2010), JASA 105(490), 493–505, eqs. 1–5;
 * Abadie, Diamond & Hainmueller (2011), Synth: An R Package, J. Stat. Software 42(13).
 * Software matched: R Synth 1.1 `synth()`; Stata `synth ..., nested`.
 *
 * @param params from {@link prepareSyntheticControl}
 * @param unit index of the treated unit in `params.unitIds`
 * @param donors indices of the donor units (the treated unit excluded), any order
 * @returns W, V, synthetic path, gaps, pre/post MSPE and their ratio
 * @throws RangeError when no donor is given or the unit is among the donors
 * Complexity: O(E · (R · J · k + T0 · s)) for E evaluations of the V search, R rounds of the
 * inner QP, J donors, k predictors, T0 fit periods and s ≤ k + 1 positive weights.
 */
export function fitSyntheticControl(
  params: SyntheticControlParams,
  unit: number,
  donors: ArrayLike<number>,
): SyntheticControlFit {
  const { outcomes, predictors, times, predictorNames, fitStartIndex, treatmentStartIndex } = params
  const timeCount = times.length
  const k = predictorNames.length
  const donorIndices = Int32Array.from(donors).sort()
  const donorCount = donorIndices.length
  if (donorCount < 1) {
    throw new RangeError('fitSyntheticControl requires at least one donor, enlarge the donor pool')
  }
  for (let position = 0; position < donorCount; position++) {
    if (donorIndices[position] === unit) {
      throw new RangeError(
        'fitSyntheticControl requires the treated unit to be left out of its donors',
      )
    }
    if (position > 0 && donorIndices[position] === donorIndices[position - 1]) {
      throw new RangeError('fitSyntheticControl requires distinct donors')
    }
  }

  // ---- scale predictors by their SD over the unit and its donors ----
  const scale = new Float64Array(k)
  for (let m = 0; m < k; m++) {
    let mean = predictors[unit * k + m]
    for (let position = 0; position < donorCount; position++) {
      mean += predictors[donorIndices[position] * k + m]
    }
    mean /= donorCount + 1
    let squares = (predictors[unit * k + m] - mean) ** 2
    for (let position = 0; position < donorCount; position++) {
      squares += (predictors[donorIndices[position] * k + m] - mean) ** 2
    }
    const sd = Math.sqrt(squares / Math.max(donorCount, 1))
    scale[m] = sd > 0 ? sd : 1
  }
  const treatedPredictors = new Float64Array(k)
  for (let m = 0; m < k; m++) treatedPredictors[m] = predictors[unit * k + m] / scale[m]
  const donorPredictors = new Float64Array(donorCount * k)
  for (let position = 0; position < donorCount; position++) {
    for (let m = 0; m < k; m++) {
      donorPredictors[position * k + m] = predictors[donorIndices[position] * k + m] / scale[m]
    }
  }

  // ---- pre-period outcomes of the fit window, donor-major ----
  const fitCount = treatmentStartIndex - fitStartIndex
  const treatedPath = outcomes.subarray(
    unit * timeCount + fitStartIndex,
    unit * timeCount + treatmentStartIndex,
  )
  const donorPaths = new Float64Array(donorCount * fitCount)
  for (let position = 0; position < donorCount; position++) {
    const offset = donorIndices[position] * timeCount + fitStartIndex
    donorPaths.set(outcomes.subarray(offset, offset + fitCount), position * fitCount)
  }
  const predictorWeights = new Float64Array(k)
  const problem: DonorWeightsProblem = {
    donorPredictors,
    treatedPredictors,
    predictorWeights,
    donorCount,
    predictorCount: k,
  }
  const synthesisedPath = new Float64Array(fitCount)
  let support: readonly number[] = []
  const outcomeMspe = (weights: Float64Array, weightSupport: readonly number[]): number => {
    synthesisedPath.fill(0)
    for (const position of weightSupport) {
      const weight = weights[position]
      const offset = position * fitCount
      for (let t = 0; t < fitCount; t++) synthesisedPath[t] += weight * donorPaths[offset + t]
    }
    let sum = 0
    for (let t = 0; t < fitCount; t++) sum += (treatedPath[t] - synthesisedPath[t]) ** 2
    return sum / fitCount
  }
  const setPredictorWeights = (point: ArrayLike<number>): void => {
    let total = 0
    for (let m = 0; m < k; m++) total += Math.abs(point[m])
    for (let m = 0; m < k; m++) predictorWeights[m] = total > 0 ? Math.abs(point[m]) / total : 1 / k
  }
  const lossAt = (point: ArrayLike<number>): number => {
    setPredictorWeights(point)
    const solution = solveDonorWeights(problem, support)
    support = solution.support
    return outcomeMspe(solution.weights, solution.support)
  }

  // ---- choose V ----
  const equalStart = new Float64Array(k).fill(1 / k)
  let chosen: ArrayLike<number> = equalStart
  let evaluations = 0
  if (params.predictorWeighting !== 'equal' && k > 1) {
    const regressionStart = regressionPredictorWeights(
      treatedPredictors,
      donorPredictors,
      treatedPath,
      donorPaths,
      donorCount,
      k,
      fitCount,
    )
    if (params.predictorWeighting === 'regression') {
      chosen = regressionStart
    } else {
      const searchOptions = {
        maxEvaluations: params.maxEvaluations,
        relativeTolerance: params.relativeTolerance,
      }
      let best: { point: ArrayLike<number>; value: number } = {
        point: equalStart,
        value: lossAt(equalStart),
      }
      evaluations++
      for (const start of [equalStart, regressionStart]) {
        support = []
        const run = nelderMead(lossAt, start, searchOptions)
        evaluations += run.evaluations
        if (run.value < best.value) best = { point: run.point, value: run.value }
      }
      support = []
      const polish = nelderMead(lossAt, best.point, searchOptions)
      evaluations += polish.evaluations
      if (polish.value < best.value) best = { point: polish.point, value: polish.value }
      chosen = best.point
    }
  }
  setPredictorWeights(chosen)
  const solution = solveDonorWeights(problem, [])

  // ---- synthetic path, gaps and fit statistics over all periods ----
  const synthetic = new Float64Array(timeCount)
  for (const position of solution.support) {
    const weight = solution.weights[position]
    const offset = donorIndices[position] * timeCount
    for (let t = 0; t < timeCount; t++) synthetic[t] += weight * outcomes[offset + t]
  }
  const gap = new Float64Array(timeCount)
  for (let t = 0; t < timeCount; t++) gap[t] = outcomes[unit * timeCount + t] - synthetic[t]
  let preSquares = 0
  for (let t = fitStartIndex; t < treatmentStartIndex; t++) preSquares += gap[t] * gap[t]
  let postSquares = 0
  let postSum = 0
  for (let t = treatmentStartIndex; t < timeCount; t++) {
    postSquares += gap[t] * gap[t]
    postSum += gap[t]
  }
  const postCount = timeCount - treatmentStartIndex
  const preMspe = preSquares / fitCount
  const postMspe = postCount > 0 ? postSquares / postCount : Number.NaN
  const syntheticPredictors = new Float64Array(k)
  for (const position of solution.support) {
    for (let m = 0; m < k; m++) {
      syntheticPredictors[m] +=
        solution.weights[position] * predictors[donorIndices[position] * k + m]
    }
  }
  return {
    unit,
    donors: donorIndices,
    weights: solution.weights,
    predictorWeights: Float64Array.from(predictorWeights),
    synthetic,
    gap,
    preMspe,
    postMspe,
    mspeRatio: preMspe > 0 ? postMspe / preMspe : Number.POSITIVE_INFINITY,
    meanPostGap: postCount > 0 ? postSum / postCount : Number.NaN,
    syntheticPredictors,
    evaluations,
  }
}

/**
 * Stata synth's regression-based V: regress each fit-window outcome across all units (treated and
 * donors) on the scaled predictors plus a constant; V_m ∝ Σ_t B_mt² (constant excluded),
 * normalised to sum 1. Falls back to equal V when the regression is not identified.
 */
function regressionPredictorWeights(
  treatedPredictors: Float64Array,
  donorPredictors: Float64Array,
  treatedPath: Float64Array,
  donorPaths: Float64Array,
  donorCount: number,
  k: number,
  fitCount: number,
): Float64Array {
  const equal = new Float64Array(k).fill(1 / k)
  const unitCount = donorCount + 1
  if (unitCount <= k + 1) return equal
  const design = new Matrix(unitCount, k + 1)
  const response = new Matrix(unitCount, fitCount)
  for (let row = 0; row < unitCount; row++) {
    design.set(row, 0, 1)
    for (let m = 0; m < k; m++) {
      design.set(row, m + 1, row === 0 ? treatedPredictors[m] : donorPredictors[(row - 1) * k + m])
    }
    for (let t = 0; t < fitCount; t++) {
      response.set(row, t, row === 0 ? treatedPath[t] : donorPaths[(row - 1) * fitCount + t])
    }
  }
  try {
    const normal = design.transpose().mmul(design)
    const coefficients = solve(normal, design.transpose().mmul(response))
    const weights = new Float64Array(k)
    let total = 0
    for (let m = 0; m < k; m++) {
      let sum = 0
      for (let t = 0; t < fitCount; t++) sum += coefficients.get(m + 1, t) ** 2
      weights[m] = sum
      total += sum
    }
    if (!(total > 0) || !Number.isFinite(total)) return equal
    for (let m = 0; m < k; m++) weights[m] /= total
    return weights
  } catch {
    return equal
  }
}

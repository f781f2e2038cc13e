import type { PlaceboPool } from './placebo-pool.js'
import { fitSyntheticControl } from './fit-synthetic-control.js'

/** A donor of a synthetic control with its weight. */
export interface DonorWeight {
  readonly id: string
  readonly weight: number
}

/** Synthetic-control estimate for one treated unit, with placebo inference. */
export interface SyntheticControlEstimate {
  readonly id: string
  /** Index in `params.unitIds`. */
  readonly unit: number
  /** Mean post-period gap: the unit's effect estimate (outcome units, e.g. rate per quarter). */
  readonly att: number
  /** Periods (`params.times`), the observed and synthetic outcome and their gap per period. */
  readonly times: readonly number[]
  readonly observed: readonly number[]
  readonly synthetic: readonly number[]
  readonly gap: readonly number[]
  /** First treated period. */
  readonly treatmentStart: number
  readonly preRmspe: number
  readonly postRmspe: number
  /** postMspe / preMspe. */
  readonly mspeRatio: number
  /** 1 + the number of placebos whose ratio is at least the unit's. */
  readonly rank: number
  /** rank / (placebos + 1): the placebo-in-space p-value. */
  readonly pValue: number
  /** Donors with positive weight, by weight descending (ties by id). */
  readonly donors: readonly DonorWeight[]
  /** Diagonal of V, parallel to `predictorNames`. */
  readonly predictorWeights: readonly number[]
  readonly predictorNames: readonly string[]
  /** Predictor balance: the unit's and its synthetic control's predictor values. */
  readonly treatedPredictors: readonly number[]
  readonly syntheticPredictors: readonly number[]
  /** Pool size and pre-periods used. */
  readonly donorCount: number
  readonly prePeriodCount: number
  /** Population weight of the unit in the aggregate. */
  readonly population: number
  readonly warnings: readonly string[]
}

/**
 * The synthetic control estimate for one treated unit with placebo-in-space inference
 * (Abadie, Diamond & Hainmueller 2010, sections 2 and 4): fits the unit against every member of
 * the pool ({@link fitSyntheticControl}), reports the gap series (observed − synthetic), pre and
 * post RMSPE, the effect as the mean post-period gap, and the placebo p-value:
 *
 *   p = (1 + #{placebos with post/pre MSPE ratio ≥ the unit's}) / (J + 1),
 *
 * the rank of the unit's ratio among all J + 1 runs (ties counted against the unit), J the number of
 * placebo fits in `pool` ({@link fitPlaceboPool}). The ratio rather than the post MSPE alone
 * discounts placebos whose pre-period fit is already poor (ADH 2010, section 4.2).
 *
 * Warnings: fewer pre-periods than `params.minPrePeriods`; a poor pre-fit (pre-RMSPE above
 * `params.poorFitShare` × the unit's mean absolute pre-period outcome); a pool too small for the
 * p-value to reach 0.05 (J + 1 < 20).
 *
 * Reference: ADH (2010), JASA 105(490), 493–505. Software matched: R Synth 1.1, Stata synth.
 *
 * @param pool the shared placebo fits (its params hold the treated unit too)
 * @param treatedId identifier of the treated unit; must not be a pool member
 * @returns the estimate, series, donors, balance, inference and warnings
 * @throws RangeError for an unknown treated unit or one that is in the pool
 * Complexity: one {@link fitSyntheticControl} with J donors, plus O(J) for the rank.
 */
export function estimateSyntheticControl(
  pool: PlaceboPool,
  treatedId: string,
): SyntheticControlEstimate {
  const { params, members, fits } = pool
  const unit = params.unitIndex.get(treatedId)
  if (unit === undefined) {
    throw new RangeError(
      `estimateSyntheticControl requires a treated unit present in the panel, ${treatedId} is not`,
    )
  }
  if (members.includes(unit)) {
    throw new RangeError(
      `estimateSyntheticControl requires the treated unit outside the donor pool, remove ${treatedId} from the pool`,
    )
  }
  const fit = fitSyntheticControl(params, unit, members)
  const { times, outcomes, treatmentStartIndex, fitStartIndex, predictorNames } = params
  const timeCount = times.length
  const k = predictorNames.length
  let exceeding = 0
  for (const placebo of fits) if (placebo.mspeRatio >= fit.mspeRatio) exceeding++
  const rank = 1 + exceeding
  const pValue = rank / (fits.length + 1)
  const donors: DonorWeight[] = []
  fit.donors.forEach((donor, position) => {
    if (fit.weights[position] > 0)
      donors.push({ id: params.unitIds[donor], weight: fit.weights[position] })
  })
  donors.sort((a, b) => b.weight - a.weight || (a.id < b.id ? -1 : 1))
  const observed = Array.from(outcomes.subarray(unit * timeCount, (unit + 1) * timeCount))
  const prePeriodCount = treatmentStartIndex - fitStartIndex
  const warnings: string[] = []
  if (prePeriodCount < params.minPrePeriods) {
    warnings.push(
      `only ${prePeriodCount} pre-period(s) fit the synthetic control (fewer than ${params.minPrePeriods}): the fit may track noise`,
    )
  }
  let level = 0
  for (let t = fitStartIndex; t < treatmentStartIndex; t++) level += Math.abs(observed[t])
  level /= prePeriodCount
  const preRmspe = Math.sqrt(fit.preMspe)
  if (preRmspe > params.poorFitShare * level) {
    warnings.push(
      `poor pre-period fit for ${treatedId}: pre-RMSPE ${preRmspe.toPrecision(3)} exceeds ${params.poorFitShare} × the mean pre-period outcome ${level.toPrecision(3)}`,
    )
  }
  if (fits.length + 1 < 20) {
    warnings.push(
      `the donor pool has ${fits.length} placebo(s): the smallest attainable p-value is 1/${fits.length + 1}, above 0.05`,
    )
  }
  return {
    id: treatedId,
    unit,
    att: fit.meanPostGap,
    times: params.times,
    observed,
    synthetic: Array.from(fit.synthetic),
    gap: Array.from(fit.gap),
    treatmentStart: times[treatmentStartIndex],
    preRmspe,
    postRmspe: Math.sqrt(fit.postMspe),
    mspeRatio: fit.mspeRatio,
    rank,
    pValue,
    donors,
    predictorWeights: Array.from(fit.predictorWeights),
    predictorNames,
    treatedPredictors: Array.from(params.predictors.subarray(unit * k, (unit + 1) * k)),
    syntheticPredictors: Array.from(fit.syntheticPredictors),
    donorCount: members.length,
    prePeriodCount,
    population: params.populations[unit],
    warnings,
  }
}

import tCdf from '@stdlib/stats-base-dists-t-cdf'
import { anscombeResiduals } from './anscombe-residuals.js'
import {
  farringtonThreshold,
  type PowerTransform,
  type ThresholdMethod,
} from './farrington-threshold.js'
import { outbreakWeights } from './outbreak-weights.js'
import { quasiPoissonGlm, type QuasiPoissonGlmResult } from './quasi-poisson-glm.js'
import { referenceTimePoints } from './reference-time-points.js'

/**
 * Flexible Farrington aberration detection: is this quarter's count higher than the same quarter
 * in past years makes plausible? For the `aberration` alert rule (DESIGN.md §3).
 *
 * For the quarter k: take the baseline window (the same quarter ± w quarters in each of the past
 * b years, see `referenceTimePoints`); fit a quasi-Poisson log-linear model
 * log E(y_i) = log(population_i) + beta0 + beta1·t_i to it (`quasiPoissonGlm`); compute scaled
 * Anscombe residuals s_i (`anscombeResiduals`) with phi = max(1, X²/df), downweight past
 * outbreaks (s_i > weightsThreshold, `outbreakWeights`) and refit with those weights. Keep the
 * time trend only when b ≥ 3, its t-test p-value (quasi-likelihood dispersion) is below
 * pThresholdTrend, and the predicted count at k does not exceed the largest baseline count;
 * otherwise refit from scratch without it (reweighting again). Predict mu0 at k with its
 * standard error and take the upper bound of the 2/3-power delta-method interval
 * (`farringtonThreshold`). The quarter alarms when y_k > upper bound (score > 1), y_k > 0 and
 * there were at least limit54[0] cases in the last limit54[1] quarters (k included); without
 * enough cases the upper bound is withheld (null), as in R, so small numbers never alarm.
 *
 * Symbols: y → `series.observed`, population → `series.population`, k → `index`, mu0 →
 * `expected`, phi → `phi`, b, w, alpha, weightsThreshold, pThresholdTrend, limit54 → the
 * options of the same name, powertrans → `powerTransform`.
 *
 * Variant: R surveillance 1.26 `farringtonFlexible` (noPeriods = 1) on a non-date epoch with
 * freq = 4, so w counts quarters; Aanwas defaults (DESIGN.md §3) differ from R's in w (1, not 3:
 * ± 3 quarters would span the whole year) and populationOffset (on when a population is given).
 * The time covariate is the 0-based index instead of R's 1-based one; the fit and predictions
 * are invariant to that shift. The threshold uses phi = max(1, X²/df) of the final fit, but the
 * trend's t-test and the standard error of the prediction use the dispersion R's `summary.glm`
 * and `predict.glm` compute after `fitGLM.flexible` has overwritten `model$weights` with the
 * outbreak weights: Σ omega_i·((y_i − mu_i)/mu_i)²/df (unfloored) instead of X²/df. It is
 * smaller than X²/df by about the mean count, so R keeps the trend more often and its standard
 * error is small; we reproduce it deliberately, because the contract is R's upper bound
 * (without reweighting both are X²/df).
 * Missing quarters (null counts, or null / non-positive population when the offset is on) are
 * left out of the baseline, as R drops NA responses; the baseline is not widened to make up for
 * them. In the limit54 sum they count as no cases (R would withhold the bound). A null count at
 * k gives expected and upper bound but never an alarm (`reason: "missing_observation"`).
 * Where R would fail or return NA, this returns null bounds with a reason: fewer than 3
 * baseline quarters for a trend fit (the trend is dropped) or 2 without
 * (`insufficient_baseline`), no IRLS convergence with or without trend (`no_convergence`), no
 * population at k (`missing_population`), too few cases (`too_few_cases`, bound withheld but
 * expected kept, where R blanks both).
 *
 * Reference: Farrington, Andrews, Beale & Catchpole (1996), A statistical algorithm for the
 * early detection of outbreaks of infectious disease, JRSS A 159(3), 547–563; Noufaily, Enki,
 * Farrington, Garthwaite, Andrews & Charlett (2013), An improved algorithm for outbreak
 * detection in multiple surveillance systems, Stat Med 32(7), 1206–1222. Software matched: R
 * surveillance 1.26 (checked against 1.20.3, whose code is the same)
 * `farringtonFlexible(sts(observed, population, frequency = 4, start = c(2010, 1)),
 * control = list(b = 5, w = 1, alpha = 0.05, reweight = TRUE, weightsThreshold = 2.58,
 * trend = TRUE, pThresholdTrend = 0.05, limit54 = c(5, 4), powertrans = "2/3", noPeriods = 1,
 * populationOffset = TRUE, thresholdMethod = "delta"))`; upper bounds agree to about 1e-9.
 *
 * @param series `observed` counts per quarter (≥ 0 or null), optional `population` of the same
 *   length (> 0 or null; the offset), `frequency` periods a year (4)
 * @param options the DESIGN.md defaults: b 5, w 1, alpha 0.05, reweight true,
 *   weightsThreshold 2.58, trend true, pThresholdTrend 0.05, limit54 [5, 4], powerTransform
 *   "2/3", thresholdMethod "delta", populationOffset (true when a population is given),
 *   pastPeriodsNotIncluded w; `range` the 0-based indices to evaluate (default: every index from
 *   b·frequency + w on, R's default range)
 * @returns one result per index in `range`: index, expected count, upper bound (null when
 *   withheld), alarm, whether the trend was kept, phi, score, and a reason when no alarm was
 *   possible
 * @throws TypeError / RangeError for malformed series or options, or a range index with too
 *   little history (below b·frequency + w)
 *
 * Complexity: O(|range| · b·(2w + 1)) with up to four small IRLS fits per index.
 */
export interface FarringtonSeries {
  readonly observed: readonly (number | null)[]
  readonly population?: readonly (number | null)[]
  readonly frequency: number
}

export interface FarringtonFlexibleOptions {
  readonly b?: number
  readonly w?: number
  readonly alpha?: number
  readonly reweight?: boolean
  readonly weightsThreshold?: number
  readonly trend?: boolean
  readonly pThresholdTrend?: number
  readonly limit54?: readonly [cases: number, periods: number]
  readonly powerTransform?: PowerTransform
  readonly thresholdMethod?: ThresholdMethod
  readonly populationOffset?: boolean
  readonly pastPeriodsNotIncluded?: number
  readonly range?: readonly number[]
}

export type FarringtonReason =
  | 'too_few_cases'
  | 'missing_observation'
  | 'missing_population'
  | 'insufficient_baseline'
  | 'no_convergence'
  | 'series_too_short'

export interface FarringtonFlexibleResult {
  index: number
  expected: number | null
  upperbound: number | null
  alarm: boolean
  trend_used: boolean
  phi: number | null
  score: number | null
  reason?: FarringtonReason
}

interface ResolvedOptions {
  b: number
  w: number
  alpha: number
  reweight: boolean
  weightsThreshold: number
  trend: boolean
  pThresholdTrend: number
  limitCases: number
  limitPeriods: number
  powerTransform: PowerTransform
  thresholdMethod: ThresholdMethod
  pastPeriodsNotIncluded: number
}

const defaults = {
  b: 5,
  w: 1,
  alpha: 0.05,
  reweight: true,
  weightsThreshold: 2.58,
  trend: true,
  pThresholdTrend: 0.05,
  limit54: [5, 4] as const,
  powerTransform: '2/3' as PowerTransform,
  thresholdMethod: 'delta' as ThresholdMethod,
}

function resolveOptions(options: FarringtonFlexibleOptions, frequency: number): ResolvedOptions {
  const b = options.b ?? defaults.b
  const w = options.w ?? defaults.w
  const alpha = options.alpha ?? defaults.alpha
  const weightsThreshold = options.weightsThreshold ?? defaults.weightsThreshold
  const pThresholdTrend = options.pThresholdTrend ?? defaults.pThresholdTrend
  const [limitCases, limitPeriods] = options.limit54 ?? defaults.limit54
  const pastPeriodsNotIncluded = options.pastPeriodsNotIncluded ?? w
  const powerTransform = options.powerTransform ?? defaults.powerTransform
  const thresholdMethod = options.thresholdMethod ?? defaults.thresholdMethod
  if (!Number.isInteger(frequency) || frequency < 1) {
    throw new RangeError(
      `farringtonFlexible requires frequency to be a positive whole number, got ${frequency}`,
    )
  }
  if (!Number.isInteger(b) || b < 1) {
    throw new RangeError(`farringtonFlexible requires b to be a positive whole number, got ${b}`)
  }
  if (!Number.isInteger(w) || w < 0 || w >= frequency) {
    throw new RangeError(
      `farringtonFlexible requires w to be a whole number from 0 to frequency − 1, got ${w}`,
    )
  }
  if (!Number.isInteger(pastPeriodsNotIncluded) || pastPeriodsNotIncluded < 0) {
    throw new RangeError(
      `farringtonFlexible requires pastPeriodsNotIncluded to be a whole number ≥ 0, got ${pastPeriodsNotIncluded}`,
    )
  }
  if (!(alpha > 0 && alpha < 1)) {
    throw new RangeError(`farringtonFlexible requires alpha in (0, 1), got ${alpha}`)
  }
  if (!Number.isFinite(weightsThreshold)) {
    throw new RangeError(
      `farringtonFlexible requires a finite weightsThreshold, got ${weightsThreshold}`,
    )
  }
  if (!(pThresholdTrend >= 0 && pThresholdTrend <= 1)) {
    throw new RangeError(
      `farringtonFlexible requires pThresholdTrend in [0, 1], got ${pThresholdTrend}`,
    )
  }
  if (!(limitCases >= 0) || !Number.isInteger(limitPeriods) || limitPeriods < 1) {
    throw new RangeError(
      `farringtonFlexible requires limit54 as [cases ≥ 0, periods ≥ 1], got [${limitCases}, ${limitPeriods}]`,
    )
  }
  if (powerTransform !== 'none' && powerTransform !== '1/2' && powerTransform !== '2/3') {
    throw new RangeError(
      `farringtonFlexible requires powerTransform none, 1/2 or 2/3, got ${String(powerTransform)}`,
    )
  }
  if (thresholdMethod !== 'delta' && thresholdMethod !== 'nbPlugin' && thresholdMethod !== 'muan') {
    throw new RangeError(
      `farringtonFlexible requires thresholdMethod delta, nbPlugin or muan, got ${String(thresholdMethod)}`,
    )
  }
  return {
    b,
    w,
    alpha,
    reweight: options.reweight ?? defaults.reweight,
    weightsThreshold,
    trend: options.trend ?? defaults.trend,
    pThresholdTrend,
    limitCases,
    limitPeriods,
    powerTransform,
    thresholdMethod,
    pastPeriodsNotIncluded,
  }
}

/** Checks the series and whether the offset is used; throws on malformed input. */
function validateSeries(series: FarringtonSeries, populationOffset: boolean | undefined): boolean {
  if (series === null || typeof series !== 'object' || !Array.isArray(series.observed)) {
    throw new TypeError('farringtonFlexible requires a series with an observed array')
  }
  const { observed, population } = series
  for (let i = 0; i < observed.length; i += 1) {
    const value = observed[i]
    if (value === null) continue
    if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
      throw new TypeError(
        `farringtonFlexible requires observed counts ≥ 0 or null, got ${String(value)} at ${i}`,
      )
    }
  }
  if (population !== undefined) {
    if (!Array.isArray(population) || population.length !== observed.length) {
      throw new TypeError(
        'farringtonFlexible requires a population array as long as the observed counts',
      )
    }
    for (let i = 0; i < population.length; i += 1) {
      const value = population[i]
      if (value === null) continue
      if (typeof value !== 'number' || !(value >= 0) || !Number.isFinite(value)) {
        throw new TypeError(
          `farringtonFlexible requires populations ≥ 0 or null, got ${String(value)} at ${i}`,
        )
      }
    }
  }
  const useOffset = populationOffset ?? population !== undefined
  if (useOffset && population === undefined) {
    throw new TypeError('farringtonFlexible requires a population for the population offset')
  }
  return useOffset
}

interface FittedBaseline {
  model: QuasiPoissonGlmResult
  phi: number
  hasTrend: boolean
  /** The dispersion R's summary.glm and predict.glm see (see the note on reweighting). */
  inferenceDispersion: number
}

interface Baseline {
  response: number[]
  time: number[]
  ones: number[]
  offset: number[] | undefined
}

function fitOnce(
  baseline: Baseline,
  timeTrend: boolean,
  priorWeights?: readonly number[],
): QuasiPoissonGlmResult | null {
  try {
    return quasiPoissonGlm({
      response: baseline.response,
      design: timeTrend ? [baseline.ones, baseline.time] : [baseline.ones],
      offset: baseline.offset,
      priorWeights,
    })
  } catch (error) {
    // A degenerate baseline (all zeros, or one time point carrying the trend) leaves the
    // information matrix singular; R's glm would warn and return a useless fit. Treated as a fit
    // that did not converge: no bound, no alarm.
    if (error instanceof RangeError) return null
    throw error
  }
}

/** surveillance's algo.farrington.fitGLM.flexible: fit, fall back without trend, reweight. */
function fitBaseline(
  baseline: Baseline,
  timeTrend: boolean,
  options: ResolvedOptions,
): FittedBaseline | null {
  let hasTrend = timeTrend && baseline.response.length >= 3
  if (!hasTrend && baseline.response.length < 2) return null
  let model = fitOnce(baseline, hasTrend)
  if (!model?.converged) {
    if (!hasTrend) return null
    hasTrend = false
    model = fitOnce(baseline, false)
    if (!model?.converged) return null
  }
  if (!options.reweight) {
    return { model, phi: model.phi, hasTrend, inferenceDispersion: model.dispersion }
  }
  const residuals = anscombeResiduals({
    response: baseline.response,
    fitted: model.fitted,
    hatValues: model.hatValues,
    phi: model.phi,
  })
  const weights = outbreakWeights(residuals, options.weightsThreshold)
  const reweighted = fitOnce(baseline, hasTrend, weights)
  if (!reweighted) return null
  model = reweighted
  // R stores the outbreak weights in model$weights, where summary.glm expects the IRLS working
  // weights, so its t-test of the trend and predict.glm's standard error use
  // Σ omega_i·((y_i − mu_i)/mu_i)² / df instead of X²/df. Reproduced to match R's bounds.
  let weightedSquares = 0
  for (let i = 0; i < weights.length; i += 1) {
    const workingResidual = (baseline.response[i] - model.fitted[i]) / model.fitted[i]
    if (weights[i] > 0) weightedSquares += weights[i] * workingResidual * workingResidual
  }
  const inferenceDispersion = model.dfResidual > 0 ? weightedSquares / model.dfResidual : Number.NaN
  return { model, phi: model.phi, hasTrend, inferenceDispersion }
}

/** Linear predictor at k and its standard error (model dispersion, as predict.glm). */
function predictAt(
  fitted: FittedBaseline,
  time: number,
  offsetNow: number,
): { eta: number; seEta: number } {
  const { coefficients, covarianceUnscaled } = fitted.model
  const dispersion = fitted.inferenceDispersion
  if (fitted.hasTrend) {
    const eta = offsetNow + coefficients[0] + coefficients[1] * time
    const variance =
      covarianceUnscaled[0][0] +
      2 * time * covarianceUnscaled[0][1] +
      time * time * covarianceUnscaled[1][1]
    return { eta, seEta: Math.sqrt(variance * dispersion) }
  }
  return {
    eta: offsetNow + coefficients[0],
    seEta: Math.sqrt(covarianceUnscaled[0][0] * dispersion),
  }
}

function emptyResult(index: number, reason: FarringtonReason): FarringtonFlexibleResult {
  return {
    index,
    expected: null,
    upperbound: null,
    alarm: false,
    trend_used: false,
    phi: null,
    score: null,
    reason,
  }
}

function evaluateIndex(
  series: FarringtonSeries,
  useOffset: boolean,
  index: number,
  options: ResolvedOptions,
): FarringtonFlexibleResult {
  const { observed, population } = series
  let offsetNow = 0
  if (useOffset) {
    const populationNow = population?.[index] ?? null
    if (populationNow === null || !(populationNow > 0)) {
      return emptyResult(index, 'missing_population')
    }
    offsetNow = Math.log(populationNow)
  }
  const { window } = referenceTimePoints(index, {
    b: options.b,
    frequency: series.frequency,
    w: options.w,
    pastPeriodsNotIncluded: options.pastPeriodsNotIncluded,
  })
  const baseline: Baseline = {
    response: [],
    time: [],
    ones: [],
    offset: useOffset ? [] : undefined,
  }
  let largestCount = 0
  for (const position of window) {
    const count = observed[position]
    if (count === null) continue
    if (useOffset) {
      const size = population?.[position] ?? null
      if (size === null || !(size > 0)) continue
      baseline.offset?.push(Math.log(size))
    }
    baseline.response.push(count)
    baseline.time.push(position)
    baseline.ones.push(1)
    if (count > largestCount) largestCount = count
  }
  if (baseline.response.length < 2) return emptyResult(index, 'insufficient_baseline')

  let fitted = fitBaseline(baseline, options.trend, options)
  if (fitted === null) return emptyResult(index, 'no_convergence')
  if (fitted.hasTrend) {
    const { eta } = predictAt(fitted, index, offsetNow)
    const { coefficients, covarianceUnscaled, dfResidual } = fitted.model
    const tStatistic =
      coefficients[1] / Math.sqrt(fitted.inferenceDispersion * covarianceUnscaled[1][1])
    const pValue = 2 * tCdf(-Math.abs(tStatistic), dfResidual)
    const keepTrend =
      options.b >= 3 && pValue < options.pThresholdTrend && Math.exp(eta) <= largestCount
    if (!keepTrend) {
      fitted = fitBaseline(baseline, false, options)
      if (fitted === null) return emptyResult(index, 'no_convergence')
    }
  }
  const { eta, seEta } = predictAt(fitted, index, offsetNow)
  const countNow = observed[index]
  const delta = options.thresholdMethod === 'delta'
  const expected = Math.exp(eta)
  const [, upper, , score] = farringtonThreshold({
    predFit: delta ? expected : eta,
    predSeFit: delta ? expected * seEta : seEta,
    phi: fitted.phi,
    alpha: options.alpha,
    observed: countNow ?? 0,
    method: options.thresholdMethod,
    powerTransform: options.powerTransform,
  })
  let recentCases = 0
  for (
    let position = Math.max(0, index - options.limitPeriods + 1);
    position <= index;
    position += 1
  ) {
    recentCases += observed[position] ?? 0
  }
  const enoughCases = recentCases >= options.limitCases
  const result: FarringtonFlexibleResult = {
    index,
    expected,
    upperbound: enoughCases && Number.isFinite(upper) ? upper : null,
    alarm: false,
    trend_used: fitted.hasTrend,
    phi: fitted.phi,
    score: countNow === null || !Number.isFinite(score) ? null : score,
  }
  if (countNow === null) {
    result.reason = 'missing_observation'
  } else if (!enoughCases) {
    result.reason = 'too_few_cases'
  } else {
    result.alarm = score > 1 && countNow !== 0
  }
  return result
}

export function farringtonFlexible(
  series: FarringtonSeries,
  options: FarringtonFlexibleOptions = {},
): FarringtonFlexibleResult[] {
  const useOffset = validateSeries(series, options.populationOffset)
  const resolved = resolveOptions(options, series.frequency)
  const first = resolved.b * series.frequency + resolved.w
  const length = series.observed.length
  const range =
    options.range ?? Array.from({ length: Math.max(0, length - first) }, (_, i) => first + i)
  return range.map((index) => {
    if (!Number.isInteger(index) || index < first || index >= length) {
      throw new RangeError(
        `farringtonFlexible requires range indices from b × frequency + w (${first}) to ${length - 1}, got ${index}`,
      )
    }
    return evaluateIndex(series, useOffset, index, resolved)
  })
}

/**
 * The last quarter of each series in one pass, for evaluating every neighbourhood after an
 * upload: the options are checked once, each series is evaluated at its last index only, and a
 * series too short for the baseline gives `reason: "series_too_short"` instead of an error.
 * Same numbers as `farringtonFlexible(series, {...options, range: [last]})`.
 *
 * @param seriesList the series, each as for `farringtonFlexible`
 * @param options as for `farringtonFlexible`, without `range`
 * @returns one result per series, in order
 * @throws TypeError / RangeError for a malformed series or options
 */
export function farringtonFlexibleLatest(
  seriesList: readonly FarringtonSeries[],
  options: Omit<FarringtonFlexibleOptions, 'range'> = {},
): FarringtonFlexibleResult[] {
  if (!Array.isArray(seriesList)) {
    throw new TypeError('farringtonFlexibleLatest requires an array of series')
  }
  const resolvedByFrequency = new Map<number, ResolvedOptions>()
  const results: FarringtonFlexibleResult[] = new Array(seriesList.length)
  for (let s = 0; s < seriesList.length; s += 1) {
    const series = seriesList[s]
    const useOffset = validateSeries(series, options.populationOffset)
    let resolved = resolvedByFrequency.get(series.frequency)
    if (resolved === undefined) {
      resolved = resolveOptions(options, series.frequency)
      resolvedByFrequency.set(series.frequency, resolved)
    }
    const last = series.observed.length - 1
    results[s] =
      last < resolved.b * series.frequency + resolved.w
        ? emptyResult(Math.max(last, 0), 'series_too_short')
        : evaluateIndex(series, useOffset, last, resolved)
  }
  return results
}

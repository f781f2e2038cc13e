import { mulberry32, drawWithoutReplacement } from '../../stats/seeded-random.js'
import type { SyntheticControlEstimate } from './estimate-synthetic-control.js'
import type { PlaceboPool } from './placebo-pool.js'

/** Options of {@link aggregateSyntheticControl}. */
export interface AggregateSyntheticControlOptions {
  /** Placebo groups drawn; default 1000. */
  readonly draws?: number
  /** Seed of the placebo-group draws; default 1. */
  readonly seed?: number
  /** Confidence level of the intervals; default 0.95. */
  readonly confidenceLevel?: number
}

/** An aggregated effect with its placebo-based interval and p-value. */
export interface PlaceboInterval {
  /** Population-weighted mean gap (outcome units). */
  readonly att: number
  readonly ciLow: number
  readonly ciHigh: number
  /** (1 + #{placebo groups with |statistic| ≥ |att|}) / (draws + 1). */
  readonly pValue: number
}

/** One event time of the aggregated gap. */
export interface EventTimeEffect extends PlaceboInterval {
  /** e = t − treatment start (paper notation): negative in the pre-period. */
  readonly eventTime: number
  /** Treated units contributing at this event time. */
  readonly unitCount: number
}

/** Result of {@link aggregateSyntheticControl}. */
export interface AggregatedSyntheticControl {
  readonly overall: PlaceboInterval
  readonly eventStudy: readonly EventTimeEffect[]
  readonly treatedCount: number
  readonly donorCount: number
  readonly draws: number
  readonly seed: number
  readonly confidenceLevel: number
  readonly warnings: readonly string[]
}

/**
 * Overall synthetic-control effect of an intervention on several treated units, with placebo-
 * group inference. The effect is the population-weighted mean of the units' mean post-period gaps,
 *
 *   att = Σ_i N_i · gapbar_i / Σ_i N_i,
 *
 * N_i the unit's population (`estimate.population`), gapbar_i its mean post gap (`estimate.att`);
 * per event time e the same weighted mean of gap_i(start_i + e) over the units observed there.
 *
 * Inference by placebo groups of the same size (never single placebo areas): each draw picks m
 * distinct pool members (m = number of treated units) with a seeded generator, gives the k-th of
 * them the k-th treated unit's treatment start, and computes the same population-weighted
 * statistic from their placebo fits ({@link fitPlaceboPool}) with their own populations. The
 * draws form the distribution of the statistic without an effect; the interval inverts it for an
 * additive effect, [att − q(1 − a/2), att − q(a/2)] with q the type-7 quantiles of the draws and
 * a = 1 − confidence level, and p = (1 + #{|draw| ≥ |att|}) / (draws + 1). This is the
 * group-placebo ("in-space, aggregated") test of Abadie (2021, section 7) and GeoLift's
 * aggregated placebo inference; the intervals assume the placebo gaps share the treated units'
 * noise, which the same-size groups and population weights keep close.
 *
 * Reference: Abadie, Diamond & Hainmueller (2010), JASA 105(490), section 4.2; Abadie (2021),
 * Using Synthetic Controls, J. Economic Literature 59(2), 391–425.
 *
 * @param estimates per treated unit, from {@link estimateSyntheticControl} (at least one)
 * @param pools the placebo pools the estimates used, one per treatment start, all with the same members
 * @param options draws (default 1000), seed (default 1), confidence level (default 0.95)
 * @returns overall effect and event study with placebo intervals and p-values, warnings
 * @throws RangeError when no estimate is given, a treatment start has no pool, pools differ in
 *   members, or the pool is smaller than the treated group
 * Complexity: O(B · m · T) for B draws, m treated units and T periods.
 */
export function aggregateSyntheticControl(
  givenEstimates: readonly SyntheticControlEstimate[],
  pools: readonly PlaceboPool[],
  options: AggregateSyntheticControlOptions = {},
): AggregatedSyntheticControl {
  const draws = Math.floor(options.draws ?? 1000)
  const seed = options.seed ?? 1
  const confidenceLevel = options.confidenceLevel ?? 0.95
  if (!(draws >= 1)) throw new RangeError('aggregateSyntheticControl requires draws ≥ 1')
  if (!(confidenceLevel > 0 && confidenceLevel < 1)) {
    throw new RangeError(
      'aggregateSyntheticControl requires a confidenceLevel strictly between 0 and 1',
    )
  }
  // sorted by identifier so the result does not depend on the order of the estimates
  const estimates = [...givenEstimates].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
  const treatedCount = estimates.length
  if (treatedCount === 0) {
    throw new RangeError('aggregateSyntheticControl requires at least one treated-unit estimate')
  }
  if (pools.length === 0) throw new RangeError('aggregateSyntheticControl requires a placebo pool')
  const memberIds = pools[0].fits.map((fit) => fit.id)
  for (const pool of pools) {
    if (
      pool.fits.length !== memberIds.length ||
      pool.fits.some((fit, index) => fit.id !== memberIds[index])
    ) {
      throw new RangeError(
        'aggregateSyntheticControl requires pools with the same members, fit one pool per treatment start',
      )
    }
  }
  const donorCount = memberIds.length
  if (donorCount < treatedCount) {
    throw new RangeError(
      `aggregateSyntheticControl requires a donor pool at least as large as the treated group (${donorCount} < ${treatedCount}), enlarge the pool`,
    )
  }
  const poolOf = estimates.map((estimate) => {
    const pool = pools.find(
      (candidate) =>
        candidate.params.times[candidate.params.treatmentStartIndex] === estimate.treatmentStart,
    )
    if (!pool) {
      throw new RangeError(
        `aggregateSyntheticControl requires a placebo pool for treatment start ${estimate.treatmentStart}`,
      )
    }
    return pool
  })
  const warnings: string[] = []

  // ---- the treated statistic, overall and per event time ----
  const times = poolOf[0].params.times
  const firstTime = times[0]
  const timeCount = times.length
  const startIndexOf = estimates.map((estimate) => estimate.treatmentStart - firstTime)
  const minEvent = -Math.max(...startIndexOf)
  const maxEvent = timeCount - 1 - Math.min(...startIndexOf)
  const eventCount = maxEvent - minEvent + 1
  const weightOf = (population: number, allZero: boolean) => (allZero ? 1 : population)
  const treatedZero = estimates.every((estimate) => estimate.population === 0)
  const statistic = (
    populations: ArrayLike<number>,
    meanGaps: ArrayLike<number>,
    gaps: readonly ArrayLike<number>[],
    eventSums: Float64Array,
    eventWeights: Float64Array,
  ): number => {
    let allZero = true
    for (let i = 0; i < treatedCount; i++) if (populations[i] > 0) allZero = false
    let weighted = 0
    let total = 0
    eventSums.fill(0)
    eventWeights.fill(0)
    for (let i = 0; i < treatedCount; i++) {
      const weight = weightOf(populations[i], allZero)
      weighted += weight * meanGaps[i]
      total += weight
      const gap = gaps[i]
      for (let t = 0; t < timeCount; t++) {
        const event = t - startIndexOf[i] - minEvent
        eventSums[event] += weight * gap[t]
        eventWeights[event] += weight
      }
    }
    return weighted / total
  }
  const treatedEventSums = new Float64Array(eventCount)
  const treatedEventWeights = new Float64Array(eventCount)
  const att = statistic(
    estimates.map((estimate) => estimate.population),
    estimates.map((estimate) => estimate.att),
    estimates.map((estimate) => estimate.gap),
    treatedEventSums,
    treatedEventWeights,
  )
  if (treatedZero) warnings.push('all treated populations are 0: units weighted equally')

  // ---- placebo groups of the same size ----
  const random = mulberry32(seed)
  const scratch = Int32Array.from({ length: donorCount }, (_, index) => index)
  const overallDraws = new Float64Array(draws)
  const eventDraws = new Float64Array(draws * eventCount)
  const drawPopulations = new Float64Array(treatedCount)
  const drawMeans = new Float64Array(treatedCount)
  const drawGaps: Float64Array[] = new Array<Float64Array>(treatedCount)
  const eventSums = new Float64Array(eventCount)
  const eventWeights = new Float64Array(eventCount)
  for (let draw = 0; draw < draws; draw++) {
    drawWithoutReplacement(random, scratch, treatedCount)
    for (let i = 0; i < treatedCount; i++) {
      const fit = poolOf[i].fits[scratch[i]]
      drawPopulations[i] = fit.population
      drawMeans[i] = fit.meanPostGap
      drawGaps[i] = fit.gap
    }
    overallDraws[draw] = statistic(drawPopulations, drawMeans, drawGaps, eventSums, eventWeights)
    for (let event = 0; event < eventCount; event++) {
      eventDraws[event * draws + draw] =
        eventWeights[event] > 0 ? eventSums[event] / eventWeights[event] : Number.NaN
    }
  }
  const alpha = 1 - confidenceLevel
  const interval = (estimate: number, sample: Float64Array): PlaceboInterval => {
    const sorted = Float64Array.from(sample).sort()
    let extreme = 0
    for (const value of sorted) if (Math.abs(value) >= Math.abs(estimate)) extreme++
    return {
      att: estimate,
      ciLow: estimate - quantileSorted(sorted, 1 - alpha / 2),
      ciHigh: estimate - quantileSorted(sorted, alpha / 2),
      pValue: (1 + extreme) / (sorted.length + 1),
    }
  }
  const eventStudy: EventTimeEffect[] = []
  for (let event = 0; event < eventCount; event++) {
    if (treatedEventWeights[event] === 0) continue
    let contributing = 0
    for (let i = 0; i < treatedCount; i++) {
      const t = event + minEvent + startIndexOf[i]
      if (t >= 0 && t < timeCount) contributing++
    }
    eventStudy.push({
      eventTime: event + minEvent,
      unitCount: contributing,
      ...interval(
        treatedEventSums[event] / treatedEventWeights[event],
        eventDraws.subarray(event * draws, (event + 1) * draws),
      ),
    })
  }
  const distinctGroups = binomialCoefficient(donorCount, treatedCount)
  if (distinctGroups < draws) {
    warnings.push(
      `only ${distinctGroups} distinct placebo group(s) of ${treatedCount} exist in a pool of ${donorCount}: the interval rests on repeats`,
    )
  }
  if (Math.min(distinctGroups, draws) + 1 < 1 / alpha) {
    warnings.push(
      `too few placebo groups for a ${confidenceLevel} interval: the treated group is too small against the pool for this inference`,
    )
  }
  return {
    overall: interval(att, overallDraws),
    eventStudy,
    treatedCount,
    donorCount,
    draws,
    seed,
    confidenceLevel,
    warnings,
  }
}

/** Type-7 quantile (R's default) of an ascending array. */
function quantileSorted(sorted: Float64Array, probability: number): number {
  const position = (sorted.length - 1) * probability
  const lower = Math.floor(position)
  const upper = Math.min(lower + 1, sorted.length - 1)
  return sorted[lower] + (position - lower) * (sorted[upper] - sorted[lower])
}

/** C(n, k), saturating at 1e15. */
function binomialCoefficient(n: number, k: number): number {
  let result = 1
  for (let step = 1; step <= Math.min(k, n - k); step++) {
    result = (result * (n - Math.min(k, n - k) + step)) / step
    if (result > 1e15) return 1e15
  }
  return Math.round(result)
}

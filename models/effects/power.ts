import { mulberry32, drawWithoutReplacement } from '../stats/seeded-random.js'

/** One area's history for {@link simulatePower}: the outcome per period, oldest first. */
export interface PowerUnit {
  readonly id: string
  /** Outcome per period (for Aanwas the quarterly rate, a proportion 0–1); every value finite. */
  readonly outcome: readonly number[]
  /** Weight in the group statistic (the youth population); default 1. */
  readonly population?: number
}

/** Options of {@link simulatePower}. */
export interface PowerOptions {
  /** Post-intervention quarters the evaluation will cover (h ≥ 1). */
  readonly horizon: number
  /** Pre-period quarters each placebo window compares with; default 8 (fewer when history is short). */
  readonly preLength?: number
  /** Significance level of the placebo test; default 0.05. */
  readonly alpha?: number
  /** Power the minimum detectable effect must reach; default 0.8. */
  readonly targetPower?: number
  /** Placebo groups drawn per window; default 500. */
  readonly draws?: number
  /** Seed of the placebo-group draws; default 1. */
  readonly seed?: number
  /** A relative effect (e.g. −0.2 for a 20% fall) whose power is also reported. */
  readonly effect?: number
  /** Relative effect sizes searched, ascending positive; default 0.01 … 3. */
  readonly effectGrid?: readonly number[]
}

/** One point of the power curve. */
export interface PowerCurvePoint {
  /** Relative effect size (magnitude; both directions averaged). */
  readonly relativeEffect: number
  /** Share of placebo windows in which the injected effect was detected. */
  readonly power: number
}

/** Result of {@link simulatePower}. */
export interface PowerResult {
  /** Smallest relative effect on the grid detected with the target power; null when none is. */
  readonly mdeRelative: number | null
  /** `mdeRelative` × `baselineRate`: the same effect on the rate itself. */
  readonly mdeAbsolute: number | null
  /** Population-weighted mean outcome of the candidates over their last `preLength` periods. */
  readonly baselineRate: number
  /** Power for `options.effect` (signed), null when no effect was given. */
  readonly powerAtEffect: number | null
  readonly curve: readonly PowerCurvePoint[]
  /** Placebo windows (historical pseudo-intervention starts) simulated. */
  readonly windowCount: number
  readonly preLength: number
  readonly horizon: number
  readonly alpha: number
  readonly targetPower: number
  readonly draws: number
  readonly seed: number
  readonly warnings: readonly string[]
}

const defaultGrid: readonly number[] = [
  ...Array.from({ length: 10 }, (_, index) => (index + 1) / 100),
  ...Array.from({ length: 20 }, (_, index) => 0.12 + index * 0.02),
  ...Array.from({ length: 10 }, (_, index) => 0.55 + index * 0.05),
  ...Array.from({ length: 20 }, (_, index) => 1.1 + index * 0.1),
].map((value) => Math.round(value * 1000) / 1000)

/**
 * Minimum detectable effect of a planned intervention by simulation on historical data (the
 * approach of GeoLift's `GeoLiftPower`, with the aggregated placebo test of
 * {@link aggregateSyntheticControl} simplified to a difference in differences so thousands of
 * tests stay cheap).
 *
 * Every historical quarter s with `preLength` quarters before it and `horizon` quarters from it
 * is a placebo window: the candidate areas pretend to start the intervention at s. For area i
 * the window statistic is the change of its mean outcome, d_i(s) = mean(Y_i over s … s+h−1) −
 * mean(Y_i over s−L … s−1) (L = `preLength`, h = `horizon`), centred on the donors'
 * population-weighted mean change c(s). The group statistic is the population-weighted mean
 * over the m candidates, S(s) = Σ N_i d_i(s) / Σ N_i − c(s). An effect of relative size δ is
 * injected by scaling the candidates' post-window outcomes by (1 + δ), which adds
 * δ · Σ N_i post_i(s) / Σ N_i to S(s). The placebo test of the window draws `draws` groups of m
 * distinct donors (seeded), computes the same statistic from their own changes and populations,
 * and detects the effect when p = (1 + #{|placebo| ≥ |S|}) / (draws + 1) ≤ α. Power at δ is the
 * share of windows detected, averaged over an increase (+δ) and a fall (−δ) so the answer does
 * not depend on the direction; the power for a given `effect` keeps its sign. The minimum
 * detectable effect is the smallest δ on the grid whose power reaches `targetPower`.
 *
 * Variant and why: windows use only the history given (the caller passes quarters before the
 * planned start), so the simulation never sees the intervention period; same-size placebo
 * groups match the treated group's averaging, so more candidate areas shrink both the treated
 * noise and the placebo spread and lower the MDE. The difference in differences ignores the
 * synthetic control's reweighting, so the MDE is conservative for well-fitting areas.
 *
 * Reference: GeoLift (Meta, 2022) power analysis documentation; Abadie (2021), J. Economic
 * Literature 59(2), section 7 (placebo inference for aggregated effects).
 *
 * @param candidates the planned treated areas, outcome per period (equal lengths), at least 1
 * @param donors never-treated areas with the same periods, at least as many as the candidates
 * @param options horizon (quarters), pre-window length, α, target power, draws, seed, effect, grid
 * @returns the MDE (relative and absolute), the power curve, the power at `effect`, counts, warnings
 * @throws TypeError for malformed units or series; RangeError for too short a history (fewer
 *   than preLength + horizon periods), fewer donors than candidates, or options out of range
 * Complexity: O(W · (B · m + n)) for W windows, B draws, m candidates and n donors, plus
 * O(W · G · log B) for the grid G.
 */
export function simulatePower(
  candidates: readonly PowerUnit[],
  donors: readonly PowerUnit[],
  options: PowerOptions,
): PowerResult {
  const horizon = options.horizon
  const alpha = options.alpha ?? 0.05
  const targetPower = options.targetPower ?? 0.8
  const draws = Math.floor(options.draws ?? 500)
  const seed = options.seed ?? 1
  const grid = options.effectGrid ?? defaultGrid
  if (!Number.isInteger(horizon) || horizon < 1) {
    throw new RangeError(`simulatePower requires a whole horizon ≥ 1, got ${horizon}`)
  }
  if (!(alpha > 0 && alpha < 1)) {
    throw new RangeError(`simulatePower requires alpha strictly between 0 and 1, got ${alpha}`)
  }
  if (!(targetPower > 0 && targetPower < 1)) {
    throw new RangeError(
      `simulatePower requires targetPower strictly between 0 and 1, got ${targetPower}`,
    )
  }
  if (!(draws >= 1)) throw new RangeError('simulatePower requires draws ≥ 1')
  if (
    grid.length === 0 ||
    grid.some((value, index) => !(value > 0) || (index > 0 && value <= grid[index - 1]))
  ) {
    throw new RangeError('simulatePower requires an ascending grid of positive effect sizes')
  }
  if (!Array.isArray(candidates) || candidates.length === 0) {
    throw new TypeError('simulatePower requires at least one candidate area')
  }
  if (!Array.isArray(donors) || donors.length < candidates.length) {
    throw new RangeError(
      `simulatePower requires at least as many donors as candidates (${Array.isArray(donors) ? donors.length : 0} < ${candidates.length}), widen the donor pool`,
    )
  }
  const timeCount = candidates[0].outcome?.length ?? 0
  const candidateIds = new Set<string>()
  const check = (unit: PowerUnit, role: string) => {
    if (typeof unit !== 'object' || unit === null || typeof unit.id !== 'string') {
      throw new TypeError(`simulatePower requires a string id on every ${role}`)
    }
    if (!Array.isArray(unit.outcome) || unit.outcome.length !== timeCount) {
      throw new TypeError(
        `simulatePower requires one outcome per period for every area, ${unit.id} has ${Array.isArray(unit.outcome) ? unit.outcome.length : 'none'} of ${timeCount}`,
      )
    }
    for (const value of unit.outcome) {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new TypeError(
          `simulatePower requires finite outcomes, ${unit.id} has ${String(value)}: leave areas with gaps out`,
        )
      }
    }
    const population = unit.population ?? 1
    if (!(population >= 0) || !Number.isFinite(population)) {
      throw new RangeError(
        `simulatePower requires a finite population ≥ 0, ${unit.id} has ${population}`,
      )
    }
  }
  for (const unit of candidates) {
    check(unit, 'candidate')
    candidateIds.add(unit.id)
  }
  for (const unit of donors) {
    check(unit, 'donor')
    if (candidateIds.has(unit.id)) {
      throw new RangeError(
        `simulatePower requires donors outside the candidates, ${unit.id} is both`,
      )
    }
  }
  const preLength = Math.min(Math.floor(options.preLength ?? 8), timeCount - horizon - 1)
  if (!(preLength >= 1)) {
    throw new RangeError(
      `simulatePower requires at least horizon + 2 periods of history (${horizon + 2}), got ${timeCount}: choose a shorter horizon or a later start`,
    )
  }
  const warnings: string[] = []
  if (options.preLength !== undefined && preLength < options.preLength) {
    warnings.push(
      `history too short for ${options.preLength} pre-quarters: windows use ${preLength}`,
    )
  }
  const firstStart = preLength
  const lastStart = timeCount - horizon
  const windowCount = lastStart - firstStart + 1
  if (windowCount < 10) {
    warnings.push(
      `only ${windowCount} historical window(s): the power is estimated coarsely (steps of ${(1 / windowCount).toFixed(2)})`,
    )
  }

  // ---- per-unit changes and post levels per window ----
  const changesOf = (unit: PowerUnit, start: number) => {
    let pre = 0
    for (let t = start - preLength; t < start; t++) pre += unit.outcome[t]
    let post = 0
    for (let t = start; t < start + horizon; t++) post += unit.outcome[t]
    return { change: post / horizon - pre / preLength, level: post / horizon }
  }
  const weightOf = (unit: PowerUnit) => unit.population ?? 1
  const weightsOrOne = (units: readonly PowerUnit[]) =>
    units.every((unit) => weightOf(unit) === 0) ? units.map(() => 1) : units.map(weightOf)
  const candidateWeights = weightsOrOne(candidates)
  const candidateTotal = candidateWeights.reduce((sum, weight) => sum + weight, 0)
  const donorWeights = donors.map(weightOf)
  const donorTotal = donorWeights.reduce((sum, weight) => sum + weight, 0)

  const random = mulberry32(seed)
  const scratch = Int32Array.from({ length: donors.length }, (_, index) => index)
  const groupSize = candidates.length
  const windows: { statistic: number; level: number; placeboAbs: Float64Array }[] = []
  const donorChanges = new Float64Array(donors.length)
  for (let start = firstStart; start <= lastStart; start++) {
    let centre = 0
    donors.forEach((unit, index) => {
      donorChanges[index] = changesOf(unit, start).change
      centre += (donorTotal > 0 ? donorWeights[index] : 1) * donorChanges[index]
    })
    centre /= donorTotal > 0 ? donorTotal : donors.length
    let statistic = 0
    let level = 0
    candidates.forEach((unit, index) => {
      const { change, level: postLevel } = changesOf(unit, start)
      statistic += candidateWeights[index] * change
      level += candidateWeights[index] * postLevel
    })
    statistic = statistic / candidateTotal - centre
    level /= candidateTotal
    const placeboAbs = new Float64Array(draws)
    for (let draw = 0; draw < draws; draw++) {
      drawWithoutReplacement(random, scratch, groupSize)
      let sum = 0
      let total = 0
      for (let i = 0; i < groupSize; i++) {
        const weight = donorWeights[scratch[i]]
        sum += weight * donorChanges[scratch[i]]
        total += weight
      }
      if (total === 0) {
        sum = 0
        for (let i = 0; i < groupSize; i++) sum += donorChanges[scratch[i]]
        total = groupSize
      }
      placeboAbs[draw] = Math.abs(sum / total - centre)
    }
    placeboAbs.sort()
    windows.push({ statistic, level, placeboAbs })
  }

  // ---- detection and power ----
  const detected = (window: (typeof windows)[number], effect: number): boolean => {
    const value = Math.abs(window.statistic + effect * window.level)
    // placebos with |placebo| ≥ value: binary search in the ascending absolute values
    let low = 0
    let high = window.placeboAbs.length
    while (low < high) {
      const middle = (low + high) >>> 1
      if (window.placeboAbs[middle] < value) low = middle + 1
      else high = middle
    }
    const extreme = window.placeboAbs.length - low
    return (1 + extreme) / (draws + 1) <= alpha
  }
  const powerAt = (effect: number): number =>
    windows.reduce((count, window) => count + (detected(window, effect) ? 1 : 0), 0) /
    windows.length
  const curve = grid.map((relativeEffect) => ({
    relativeEffect,
    power: (powerAt(relativeEffect) + powerAt(-relativeEffect)) / 2,
  }))
  const reached = curve.find((point) => point.power >= targetPower)
  if (1 / (draws + 1) > alpha) {
    warnings.push(`${draws} placebo draws cannot reach p ≤ ${alpha}: raise draws`)
  }
  const distinctGroups = binomialCoefficient(donors.length, groupSize)
  if ((distinctGroups + 1) * alpha < 1) {
    warnings.push(
      `only ${distinctGroups} distinct placebo group(s) of ${groupSize} exist among ${donors.length} donors: no effect can be detected at α ${alpha}`,
    )
  }
  if (!reached) {
    warnings.push(
      `no effect up to ${grid[grid.length - 1]} (relative) reaches power ${targetPower}: an evaluation of these areas over ${horizon} quarter(s) is unlikely to show an effect`,
    )
  }

  // ---- baseline rate: the candidates' recent level ----
  let baseline = 0
  candidates.forEach((unit, index) => {
    let sum = 0
    for (let t = timeCount - preLength; t < timeCount; t++) sum += unit.outcome[t]
    baseline += candidateWeights[index] * (sum / preLength)
  })
  const baselineRate = baseline / candidateTotal
  const mdeRelative = reached ? reached.relativeEffect : null
  return {
    mdeRelative,
    mdeAbsolute: mdeRelative === null ? null : mdeRelative * baselineRate,
    baselineRate,
    powerAtEffect: options.effect === undefined ? null : powerAt(options.effect),
    curve,
    windowCount,
    preLength,
    horizon,
    alpha,
    targetPower,
    draws,
    seed,
    warnings,
  }
}

/** C(n, k), saturating at 1e15. */
function binomialCoefficient(n: number, k: number): number {
  let result = 1
  const small = Math.min(k, n - k)
  for (let step = 1; step <= small; step++) {
    result = (result * (n - small + step)) / step
    if (result > 1e15) return 1e15
  }
  return Math.round(result)
}

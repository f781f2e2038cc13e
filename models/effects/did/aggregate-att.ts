import type { AttGtResult } from './compute-att-gt.js'
import {
  addWeightEstimationInfluence,
  combineCellInfluence,
  type CellCombination,
} from './aggregate-influence.js'
import {
  normalCriticalValue,
  normalInference,
  standardErrorFromInfluence,
} from './influence-inference.js'

/** The aggregation types of R did's `aggte`. */
export type AggregationType = 'simple' | 'dynamic' | 'group' | 'calendar'

/** An aggregated effect with analytic inference. */
export interface AggregatedEstimate {
  /** The aggregated average treatment effect on the treated (outcome units). */
  readonly att: number
  readonly se: number
  readonly ciLow: number
  readonly ciHigh: number
  readonly pValue: number
}

/** One entry of a dynamic, group or calendar aggregation. */
export interface AggregatedEntry extends AggregatedEstimate {
  /** Event time e (dynamic), cohort g (group) or calendar period t (calendar). */
  readonly level: number
}

/** Result of {@link aggregateAtt}. */
export interface AggregatedAtt {
  readonly type: AggregationType
  /** The overall summary (simple: the weighted post-treatment average; dynamic: mean over e ≥ 0;
   * group: share-weighted mean of the cohort effects; calendar: mean over periods). */
  readonly overall: AggregatedEstimate
  /** Per level; empty for `simple`. */
  readonly entries: readonly AggregatedEntry[]
  /** Two-sided normal critical value of the pointwise intervals. */
  readonly criticalValue: number
  readonly confidenceLevel: number
  readonly warnings: readonly string[]
}

/**
 * Aggregates Callaway & Sant'Anna ATT(g,t) cells into summary effects, as R did 2.x `aggte`
 * (`R/compute.aggte.R`), with analytic standard errors from the combined influence functions
 * including the term for estimating the cohort-share weights (see `aggregate-influence.ts`).
 *
 * With p_g the share of all units in cohort g (`params.cohortSizes / n`) and post cells t ≥ g:
 * - simple: θ = Σ_{post cells} p_g · ATT(g,t) / Σ p_g;
 * - dynamic (event study): θ(e) = Σ_{cells with t − g = e} p_g · ATT(g,t) / Σ p_g for every event
 *   time e (pre and post); overall = mean of θ(e) over e ≥ 0;
 * - group: θ(g) = mean over t ≥ g of ATT(g,t); overall = Σ_g p_g θ(g) / Σ p_g;
 * - calendar: θ(t) = Σ_{g ≤ t} p_g · ATT(g,t) / Σ p_g for t ≥ the earliest cohort; overall = mean of θ(t).
 * Weight-estimation terms enter simple, each θ(e), each θ(t) and the group overall, as in did;
 * the group θ(g) and the dynamic and calendar overall averages use fixed weights.
 * Intervals are pointwise (normal critical value of the confidence level), not did's bootstrap
 * uniform bands; p-values two-sided normal. All cells are used (did's `min_e`, `max_e`,
 * `balance_e` at their defaults).
 *
 * Reference: Callaway & Sant'Anna (2021), J. Econometrics 225(2), section 3.1 (eqs. 3.3–3.6).
 * Software matched: R did 2.x `aggte(att_gt(..., bstrap = FALSE), type = ..., bstrap = FALSE)`.
 *
 * @param attGt the output of {@link computeAttGt}
 * @param type simple, dynamic, group or calendar
 * @returns the overall estimate and per-level entries with se, interval and p-value
 * @throws RangeError for an unknown type or when no post-treatment cell exists
 * Complexity: O(L · K · n) for L levels, K cells per level and n units.
 */
export function aggregateAtt(attGt: AttGtResult, type: AggregationType): AggregatedAtt {
  const { cells, influence, params } = attGt
  const { confidenceLevel, unitGroups, cohorts, cohortSizes } = params
  const unitCount = params.unitIds.length
  const shareOfCohort = new Map<number, number>()
  cohorts.forEach((cohort, index) => shareOfCohort.set(cohort, cohortSizes[index] / unitCount))
  const cellShares = cells.map((cell) => shareOfCohort.get(cell.group) as number)
  const cellAtts = cells.map((cell) => cell.att)
  const isPost = cells.map((cell) => cell.time >= cell.group)
  if (!isPost.some(Boolean)) {
    throw new RangeError('aggregateAtt requires at least one post-treatment cell (t ≥ g)')
  }
  const warnings = [...attGt.warnings]

  /** Share-weighted average of cells, with or without the weight-estimation term. */
  const shareWeighted = (
    cellIndices: number[],
    withWeightTerm: boolean,
  ): { att: number; influence: Float64Array } => {
    const shareSum = cellIndices.reduce((sum, cell) => sum + cellShares[cell], 0)
    const weights = cellIndices.map((cell) => cellShares[cell] / shareSum)
    const att = cellIndices.reduce(
      (sum, cell, position) => sum + weights[position] * cellAtts[cell],
      0,
    )
    const combination: CellCombination = { cellIndices, weights }
    const combined = combineCellInfluence(influence, combination)
    if (withWeightTerm) {
      addWeightEstimationInfluence(
        combined,
        cellIndices.map((cell) => cellAtts[cell]),
        cellIndices.map((cell) => cells[cell].group),
        cellIndices.map((cell) => cellShares[cell]),
        unitGroups,
      )
    }
    return { att, influence: combined }
  }
  const withInference = (att: number, combined: Float64Array): AggregatedEstimate => ({
    att,
    ...normalInference(att, standardErrorFromInfluence(combined), confidenceLevel),
  })
  /** Fixed-weight average of already aggregated entries (their influence functions). */
  const averageOf = (
    atts: readonly number[],
    influences: readonly Float64Array[],
    weights: readonly number[],
  ): AggregatedEstimate => {
    const combined = combineCellInfluence(influences, {
      cellIndices: influences.map((_, index) => index),
      weights,
    })
    const att = atts.reduce((sum, value, index) => sum + weights[index] * value, 0)
    return withInference(att, combined)
  }
  const result = (overall: AggregatedEstimate, entries: AggregatedEntry[]): AggregatedAtt => ({
    type,
    overall,
    entries,
    criticalValue: normalCriticalValue(confidenceLevel),
    confidenceLevel,
    warnings,
  })
  const indicesWhere = (keep: (cell: (typeof cells)[number], index: number) => boolean) =>
    cells.flatMap((cell, index) => (keep(cell, index) ? [index] : []))

  switch (type) {
    case 'simple': {
      // ---- simple: share-weighted average of all post-treatment cells ----
      const post = indicesWhere((_, index) => isPost[index])
      const { att, influence: combined } = shareWeighted(post, true)
      return result(withInference(att, combined), [])
    }
    case 'dynamic': {
      // ---- dynamic: one share-weighted average per event time ----
      const eventTimes = [...new Set(cells.map((cell) => cell.eventTime))].sort((a, b) => a - b)
      const atts: number[] = []
      const influences: Float64Array[] = []
      const entries = eventTimes.map((eventTime) => {
        const { att, influence: combined } = shareWeighted(
          indicesWhere((cell) => cell.eventTime === eventTime),
          true,
        )
        if (eventTime >= 0) {
          atts.push(att)
          influences.push(combined)
        }
        return { level: eventTime, ...withInference(att, combined) }
      })
      const overall = averageOf(
        atts,
        influences,
        atts.map(() => 1 / atts.length),
      )
      return result(overall, entries)
    }
    case 'group': {
      // ---- group: mean effect per cohort over its post-treatment periods ----
      const atts: number[] = []
      const influences: Float64Array[] = []
      const shares: number[] = []
      const entries: AggregatedEntry[] = []
      for (const cohort of cohorts) {
        const post = indicesWhere((cell, index) => cell.group === cohort && isPost[index])
        if (post.length === 0) continue
        const { att, influence: combined } = shareWeighted(post, false)
        atts.push(att)
        influences.push(combined)
        shares.push(shareOfCohort.get(cohort) as number)
        entries.push({ level: cohort, ...withInference(att, combined) })
      }
      const shareSum = shares.reduce((sum, share) => sum + share, 0)
      const weights = shares.map((share) => share / shareSum)
      const combined = combineCellInfluence(influences, {
        cellIndices: influences.map((_, index) => index),
        weights,
      })
      addWeightEstimationInfluence(
        combined,
        atts,
        entries.map((entry) => entry.level),
        shares,
        unitGroups,
      )
      const att = atts.reduce((sum, value, index) => sum + weights[index] * value, 0)
      return result(withInference(att, combined), entries)
    }
    case 'calendar': {
      // ---- calendar: share-weighted average of the cohorts treated by each period ----
      const firstCohort = cohorts[0]
      const periods = [...new Set(cells.map((cell) => cell.time))]
        .filter((time) => time >= firstCohort)
        .sort((a, b) => a - b)
      const atts: number[] = []
      const influences: Float64Array[] = []
      const entries = periods.map((time) => {
        const { att, influence: combined } = shareWeighted(
          indicesWhere((cell, index) => cell.time === time && isPost[index]),
          true,
        )
        atts.push(att)
        influences.push(combined)
        return { level: time, ...withInference(att, combined) }
      })
      const overall = averageOf(
        atts,
        influences,
        atts.map(() => 1 / atts.length),
      )
      return result(overall, entries)
    }
    default:
      throw new RangeError(
        `aggregateAtt requires type simple, dynamic, group or calendar, got ${String(type)}`,
      )
  }
}

import type { DidParams } from './did-params.js'
import {
  normalCriticalValue,
  normalInference,
  standardErrorFromInfluence,
} from './influence-inference.js'

/** One group-time average treatment effect on the treated, ATT(g,t). */
export interface AttGtCell {
  /** The cohort g: first treated period of its units. */
  readonly group: number
  /** The period t. */
  readonly time: number
  /** The base period the change is measured from: g − 1 when t ≥ g, t − 1 before. */
  readonly basePeriod: number
  /** Event time e = t − g (paper notation; negative = pre-period placebo cell). */
  readonly eventTime: number
  /** ATT(g,t) in outcome units. */
  readonly att: number
  /** Analytic standard error from the cell's influence function. */
  readonly se: number
  /** Pointwise interval, att ± z·se. */
  readonly ciLow: number
  readonly ciHigh: number
  /** Two-sided normal p-value of ATT(g,t) = 0. */
  readonly pValue: number
  /** Units in cohort g and never-treated control units used. */
  readonly treatedCount: number
  readonly controlCount: number
}

/** All ATT(g,t) cells with their influence functions, input of {@link aggregateAtt}. */
export interface AttGtResult {
  /** Cells ordered by group, then time (as R did's `att_gt`). */
  readonly cells: readonly AttGtCell[]
  /** Influence function per cell, parallel to `cells`, one value per unit of `params.unitIds`. */
  readonly influence: readonly Float64Array[]
  /** The params the cells were estimated from. */
  readonly params: DidParams
  /** Critical value used for the pointwise intervals. */
  readonly criticalValue: number
  readonly warnings: readonly string[]
}

/**
 * Group-time average treatment effects ATT(g,t) of Callaway & Sant'Anna (2021), without
 * covariates, against the never-treated units: for every cohort g (units first treated in period
 * g, `params.cohorts`) and every period t after the first,
 *
 *   ATT(g,t) = mean over units of cohort g of (Y_t − Y_b) − mean over never-treated units of (Y_t − Y_b),
 *
 * where Y is the outcome (`params.outcomes`) and b the base period. Base period "varying", R did's
 * default: b = g − 1 for post-treatment cells (t ≥ g) and b = t − 1 for pre-treatment cells, so a
 * pre cell is a short-difference placebo (no anticipation assumed). Without covariates the doubly
 * robust, inverse-probability and regression estimators of the paper all reduce to this 2×2
 * difference of means (Callaway & Sant'Anna 2021, eq. 2.4 with X empty).
 *
 * Influence function of a cell, one value per unit i (n units, p_g = n_g / n and p_0 = n_0 / n the
 * cohort's and the controls' shares): (ΔY_i − mean of ΔY over cohort g) / p_g for i in cohort g,
 * −(ΔY_i − mean of ΔY over controls) / p_0 for a control, 0 otherwise; se = sqrt(mean(IF²) / n).
 *
 * Reference: Callaway, B. & Sant'Anna, P. H. C. (2021), Difference-in-Differences with multiple time
 * periods, Journal of Econometrics 225(2), 200–230. Software matched: R did 2.x
 * `att_gt(yname, tname, idname, gname, xformla = ~1, control_group = "nevertreated",
 * base_period = "varying", bstrap = FALSE)`; mpdta reproduces its ATT to 1e-15 and SEs to 1e-15.
 *
 * @param params from {@link preprocessDid}
 * @returns cells with att, se, pointwise interval and p-value, and each cell's influence function
 * @throws RangeError when the params hold no never-treated unit
 * Complexity: O(G · T · n) time and memory for G cohorts, T periods and n units.
 */
export function computeAttGt(params: DidParams): AttGtResult {
  // ---- unpack parameters ----
  const { times, outcomes, unitGroups, cohorts, confidenceLevel } = params
  const unitCount = params.unitIds.length
  const timeCount = times.length
  const firstTime = times[0]
  if (params.neverTreatedCount === 0) {
    throw new RangeError(
      'computeAttGt requires at least one never-treated unit, build the params with preprocessDid from a panel with control units',
    )
  }
  const controlUnits: number[] = []
  for (let unit = 0; unit < unitCount; unit++) if (unitGroups[unit] === 0) controlUnits.push(unit)
  const controlCount = controlUnits.length
  const controlShare = controlCount / unitCount

  // time-major copy: a cell reads two contiguous rows of it, not every unit's row at a stride
  const byTime = new Float64Array(unitCount * timeCount)
  for (let unit = 0; unit < unitCount; unit++) {
    for (let timeIndex = 0; timeIndex < timeCount; timeIndex++) {
      byTime[timeIndex * unitCount + unit] = outcomes[unit * timeCount + timeIndex]
    }
  }
  const changes = new Float64Array(unitCount)

  // ---- main computations: one 2×2 difference of means per (g, t) ----
  const cells: AttGtCell[] = []
  const influence: Float64Array[] = []
  for (const cohort of cohorts) {
    const treatedUnits: number[] = []
    for (let unit = 0; unit < unitCount; unit++)
      if (unitGroups[unit] === cohort) treatedUnits.push(unit)
    const treatedCount = treatedUnits.length
    const treatedShare = treatedCount / unitCount
    for (let timeIndex = 1; timeIndex < timeCount; timeIndex++) {
      const time = times[timeIndex]
      const basePeriod = time >= cohort ? cohort - 1 : time - 1
      const baseIndex = basePeriod - firstTime
      // ΔY_i = Y_it − Y_ib of every unit
      const current = timeIndex * unitCount
      const base = baseIndex * unitCount
      for (let unit = 0; unit < unitCount; unit++) {
        changes[unit] = byTime[current + unit] - byTime[base + unit]
      }
      let treatedMean = 0
      for (const unit of treatedUnits) treatedMean += changes[unit]
      treatedMean /= treatedCount
      let controlMean = 0
      for (const unit of controlUnits) controlMean += changes[unit]
      controlMean /= controlCount
      const att = treatedMean - controlMean
      const cellInfluence = new Float64Array(unitCount)
      for (const unit of treatedUnits) {
        cellInfluence[unit] = (changes[unit] - treatedMean) / treatedShare
      }
      for (const unit of controlUnits) {
        cellInfluence[unit] = -(changes[unit] - controlMean) / controlShare
      }
      const se = standardErrorFromInfluence(cellInfluence)
      const inference = normalInference(att, se, confidenceLevel)
      cells.push({
        group: cohort,
        time,
        basePeriod,
        eventTime: time - cohort,
        att,
        ...inference,
        treatedCount,
        controlCount,
      })
      influence.push(cellInfluence)
    }
  }
  return {
    cells,
    influence,
    params,
    criticalValue: normalCriticalValue(confidenceLevel),
    warnings: params.warnings,
  }
}

import type { DidWidePanel } from './did-params.js'

/** One treated unit's 2×2 difference in differences. */
export interface AreaDidEffect {
  /** The unit (area) identifier. */
  readonly unit: string
  /** Its first treated period g. */
  readonly group: number
  /** The unit's change of mean outcome (after − before g) minus the controls' same change. */
  readonly att: number
}

/** Result of {@link areaDid}. */
export interface AreaDidResult {
  /** One entry per treated unit, in the order of `panel.units`. */
  readonly effects: readonly AreaDidEffect[]
  /** Number of never-treated units whose mean path is the comparison. */
  readonly controlCount: number
}

/**
 * Per-unit difference in differences: for each treated unit, the canonical 2×2 comparison of
 * its own mean outcome after and before its start with the same change of the never-treated
 * units' mean — a descriptive effect per area beside the pooled, inferential estimate of
 * {@link staggeredDid} (it has no standard error: one unit gives no variance).
 *
 * Formula: with Y the outcome, g the unit's first treated period, C_t the mean of Y_t over the
 * never-treated units (group 0) and mean_{t<g}, mean_{t≥g} the means over all periods before
 * and from g,
 *
 *   att = (mean_{t≥g} Y_t − mean_{t<g} Y_t) − (mean_{t≥g} C_t − mean_{t<g} C_t).
 *
 * Variant: every pre-period and every post-period enter with equal weight (a "long" 2×2), not
 * the single base period g − 1 of Callaway & Sant'Anna's ATT(g,t): per area the few quarters
 * after a start are noisy, and averaging all of them is the before/after summary a reader of one
 * area expects. With one pre- and one post-period (times g − 1 and g) the two agree: the mean of
 * `att` over a cohort is ATT(g,g) of R did (test/models/effects/did/area-did.test.ts checks
 * this on mpdta). On a balanced panel `att` equals the interaction coefficient of the regression
 * y ~ treated × post on the unit and the controls (R `lm`, checked in the same test).
 *
 * Reference: Angrist, J. D. & Pischke, J.-S. (2009), Mostly Harmless Econometrics, section 5.2
 * (the 2×2 difference in differences of means); Callaway, B. & Sant'Anna, P. H. C. (2021),
 * Journal of Econometrics 225(2), 200–230, for ATT(g,t) without covariates.
 *
 * @param panel `times`, ascending consecutive integers, and per unit its identifier, its group
 *   (first treated period, after the first and at most the last period, or 0 for never
 *   treated) and one finite outcome per period (for Aanwas the quarterly rate, a proportion
 *   0–1); the caller's arrays are read, never mutated
 * @returns per treated unit its group and att, in input order, and the number of controls
 * @throws TypeError for a malformed unit or a non-finite outcome (leave out units with gaps);
 *   RangeError for non-consecutive times, a group without a pre- or a post-period, or no
 *   never-treated unit
 * Complexity: O(n · T) for n units and T periods.
 */
export function areaDid(panel: DidWidePanel): AreaDidResult {
  const { times, units } = panel
  const timeCount = times?.length ?? 0
  if (timeCount < 2 || !times.every((time, t) => Number.isInteger(time) && time === times[0] + t)) {
    throw new RangeError(
      'areaDid requires at least two times, ascending consecutive integers (map periods to 0, 1, 2, …)',
    )
  }
  for (const entry of units) {
    if (entry.outcomes?.length !== timeCount) {
      throw new TypeError(
        `areaDid requires one outcome per period, unit ${entry.unit} has ${entry.outcomes?.length ?? 'none'} of ${timeCount}`,
      )
    }
    for (let t = 0; t < timeCount; t++) {
      if (!Number.isFinite(entry.outcomes[t])) {
        throw new TypeError(
          `areaDid requires finite outcomes, unit ${entry.unit} has ${entry.outcomes[t]} in period ${times[t]}; leave out units with gaps`,
        )
      }
    }
    if (entry.group !== 0 && !(entry.group > times[0] && entry.group <= times[timeCount - 1])) {
      throw new RangeError(
        `areaDid requires a group after the first and at most the last period (or 0 for never treated), unit ${entry.unit} has ${entry.group}`,
      )
    }
  }
  const controls = units.filter((entry) => entry.group === 0)
  if (controls.length === 0) {
    throw new RangeError('areaDid requires at least one never-treated unit (group 0)')
  }

  // ---- the controls' mean path, accumulated in input order ----
  const controlMean = new Float64Array(timeCount)
  for (const control of controls) {
    for (let t = 0; t < timeCount; t++) controlMean[t] += control.outcomes[t] / controls.length
  }

  // ---- per treated unit: its change minus the controls' change ----
  const effects = units
    .filter((entry) => entry.group !== 0)
    .map((entry) => {
      const startIndex = entry.group - times[0]
      const change = (series: ArrayLike<number>) =>
        meanOf(series, startIndex, timeCount) - meanOf(series, 0, startIndex)
      return {
        unit: entry.unit,
        group: entry.group,
        att: change(entry.outcomes) - change(controlMean),
      }
    })
  return { effects, controlCount: controls.length }
}

/** The mean of `values[from … to − 1]`, summed in order. */
function meanOf(values: ArrayLike<number>, from: number, to: number): number {
  let sum = 0
  for (let t = from; t < to; t++) sum += values[t]
  return sum / (to - from)
}

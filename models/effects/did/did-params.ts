/**
 * Staggered difference-in-differences parameters: the one object every later step of the
 * Callaway & Sant'Anna estimator takes (as R did's `DIDparams`, `R/DIDparams.R`), built only by
 * {@link preprocessDid} (long rows) or {@link preprocessDidWide} (series). It holds the cleaned
 * balanced panel in a dense unit × time layout and the counts derived from it; nothing downstream
 * re-reads the caller's rows.
 */

/** One observation of the long panel given to {@link preprocessDid}. */
export interface DidPanelRow {
  /** The unit (area) identifier. */
  readonly unit: string
  /** The period as an integer index; periods must be consecutive integers (quarters mapped 0, 1, 2, …). */
  readonly time: number
  /** The outcome in that period (for Aanwas the quarterly rate, a proportion 0–1). */
  readonly outcome: number
  /** The first treated period of the unit (its cohort g), or 0 for never treated. Constant per unit. */
  readonly group: number
}

/** One unit of the wide panel given to {@link preprocessDidWide}. */
export interface DidWideUnit {
  /** The unit (area) identifier. */
  readonly unit: string
  /** The outcome per period of {@link DidWidePanel.times}; NaN marks a missing value. */
  readonly outcomes: ArrayLike<number>
  /** The first treated period of the unit (its cohort g), or 0 for never treated. */
  readonly group: number
}

/** The same panel wide, as a caller holding series has it: no object per observation. */
export interface DidWidePanel {
  /** The periods, ascending consecutive integers (quarters mapped 0, 1, 2, …). */
  readonly times: readonly number[]
  readonly units: readonly DidWideUnit[]
}

/** The cleaned panel and settings. Arrays are owned by the params object and never mutated. */
export interface DidParams {
  /** Unit identifiers kept, sorted by code point (results do not depend on input order). */
  readonly unitIds: readonly string[]
  /** The periods, ascending consecutive integers. */
  readonly times: readonly number[]
  /** Outcomes, unit-major: `outcomes[unit * times.length + timeIndex]`. */
  readonly outcomes: Float64Array
  /** Each kept unit's group g (0 = never treated), parallel to `unitIds`. */
  readonly unitGroups: Float64Array
  /** Treated cohorts g kept, ascending. */
  readonly cohorts: readonly number[]
  /** Units per cohort, parallel to `cohorts`. */
  readonly cohortSizes: readonly number[]
  /** Number of never-treated units (the control group). */
  readonly neverTreatedCount: number
  /** Confidence level of the intervals, 0.95 by default. */
  readonly confidenceLevel: number
  /** What pre-processing dropped or recoded, and other degradations. */
  readonly warnings: readonly string[]
}

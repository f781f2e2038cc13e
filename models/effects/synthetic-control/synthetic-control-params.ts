/**
 * Synthetic-control parameters: the one object the later steps take (fit, placebo pool,
 * estimate, aggregate), built only by {@link prepareSyntheticControl}, in the manner of R did's
 * `DIDparams`. Units sit in a dense unit-major layout sorted by identifier.
 */

/** One unit (area) of the panel, wide: one value per period of `SyntheticControlPanel.times`. */
export interface SyntheticControlUnit {
  readonly id: string
  /** Outcome per period (for Aanwas the quarterly rate, a proportion 0–1); every value finite. */
  readonly outcome: readonly number[]
  /** Other predictor variables per period (rates 0–1); NaN = missing, ignored in means. */
  readonly covariates?: Readonly<Record<string, readonly number[]>>
  /** Weight of the unit in the aggregate effect (its youth population); default 1. */
  readonly population?: number
}

/** The panel: consecutive integer periods and the units (treated and donor pool together). */
export interface SyntheticControlPanel {
  /** Periods, ascending consecutive integers (years, or quarters mapped to 0, 1, 2, …). */
  readonly times: readonly number[]
  readonly units: readonly SyntheticControlUnit[]
}

/** One predictor: the mean of a variable over a window of pre-treatment periods (Synth's
 * `special.predictors` / `predictors.op = "mean"`); a one-period window is that period's value. */
export interface PredictorSpec {
  /** `outcome` or the name of a covariate. */
  readonly variable: string
  /** First period of the window (a value of `times`), inclusive. */
  readonly from: number
  /** Last period of the window, inclusive, before the treatment start. */
  readonly to: number
  /** Label for the balance table; default `variable_from_to`. */
  readonly name?: string
}

/** How the predictor weights V are chosen. */
export type PredictorWeighting = 'nested' | 'regression' | 'equal'

/** Options of {@link prepareSyntheticControl}. */
export interface SyntheticControlOptions {
  readonly predictors: readonly PredictorSpec[]
  /** First treated period (a value of `times`); periods before it are the pre-period. */
  readonly treatmentStart: number
  /** First period of the pre-period window whose outcome MSPE chooses V and measures the fit;
   * default the first period. */
  readonly fitFrom?: number
  /** V choice: `nested` (default, minimise the pre-period outcome MSPE), `regression`
   * (Stata synth's regression-based V) or `equal`. */
  readonly predictorWeighting?: PredictorWeighting
  /** Objective evaluations per Nelder–Mead run of the nested search (three runs); default 150,
   * sized for 250 fits in about 2 s; raise it (e.g. 400) for a single published replication. */
  readonly maxEvaluations?: number
  /** Relative tolerance of the nested search; default 1e-8 (R optim's reltol). */
  readonly relativeTolerance?: number
  /** Warn about a poor pre-fit when pre-RMSPE exceeds this share of the treated unit's mean
   * absolute pre-period outcome; default 0.1. */
  readonly poorFitShare?: number
  /** Warn when fewer pre-periods than this are available; default 8. */
  readonly minPrePeriods?: number
}

/** The prepared panel. */
export interface SyntheticControlParams {
  /** Unit identifiers, sorted by code point. */
  readonly unitIds: readonly string[]
  /** Position of each identifier in `unitIds`. */
  readonly unitIndex: ReadonlyMap<string, number>
  readonly times: readonly number[]
  /** Outcomes, unit-major: `outcomes[unit * times.length + timeIndex]`. */
  readonly outcomes: Float64Array
  /** Raw (unscaled) predictors, unit-major: `predictors[unit * predictorNames.length + m]`. */
  readonly predictors: Float64Array
  readonly predictorNames: readonly string[]
  /** Population weight per unit. */
  readonly populations: Float64Array
  /** Index in `times` of the first treated period. */
  readonly treatmentStartIndex: number
  /** Index in `times` of the first period of the fit window. */
  readonly fitStartIndex: number
  readonly predictorWeighting: PredictorWeighting
  readonly maxEvaluations: number
  readonly relativeTolerance: number
  readonly poorFitShare: number
  readonly minPrePeriods: number
}

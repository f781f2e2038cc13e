import type { PredictorTerm, ValueColumn } from '../../models/vocabulary/indicators.js'

/**
 * What rule evaluation reads: every neighbourhood's quarterly series on one shared quarter axis
 * and, for `risk_percentile`, the stored scores of the latest successful model run. Plain arrays
 * so 15,000 neighbourhoods × 48 quarters stay cheap to walk.
 */
export interface AreaSeriesInput extends ValueSeries {
  area_code: string
  area_name: string | null
  municipality_code: string
}

/**
 * Each value column of the vocabulary (the base and every count) as a series aligned with
 * `AlertInput.periods`; null where the quarter is missing or not delivered.
 */
export type ValueSeries = { [Column in ValueColumn]: readonly (number | null)[] }

/** One neighbourhood's stored risk scores of a run, aligned with `RiskInput.periods`. */
export interface AreaRiskInput {
  risk: readonly (number | null)[]
  /** within the municipality, 0–100 ("top p%" is percentile > 100 − p) */
  percentile: readonly (number | null)[]
  rank: readonly (number | null)[]
  percentile_national: readonly (number | null)[]
  rank_national: readonly (number | null)[]
}

export interface RiskInput {
  run_id: string
  horizon_quarters: number
  /** the predictor quarters the run scored, ascending and consecutive */
  periods: readonly string[]
  byArea: ReadonlyMap<string, AreaRiskInput>
  /** neighbourhoods scored per municipality at each period (for "rank 3 of 40") */
  municipalitySizes: ReadonlyMap<string, readonly number[]>
  nationalSizes: readonly number[]
}

export interface AlertInput {
  /** consecutive quarters, ascending, canonical `2024Q4` */
  periods: readonly string[]
  areas: readonly AreaSeriesInput[]
  /** latest successful run per horizon asked for by a rule; absent without one */
  riskByHorizon: ReadonlyMap<number, RiskInput>
}

/** What one rule found for one area at one quarter; `fires` says whether the condition held. */
export interface Finding {
  fires: boolean
  period: string
  value: number | null
  threshold: number | null
  facts: AlertFacts
}

/** A predictor's year-over-year change, mentioned in an explanation when it rose. */
export interface PredictorRise {
  /** the predictor's term in the risk model (models/vocabulary/indicators.ts) */
  predictor: PredictorTerm
  relative_change: number
  count: number
  count_prev_year: number
  population: number
}

/** The numbers an explanation is written from (stored with the alert as `facts`). */
export type AlertFacts =
  | {
      kind: 'aberration'
      period: string
      observed: number
      expected: number | null
      upperbound: number | null
      baseline_from: number
      baseline_to: number
      population: number
      predictor: PredictorRise | null
    }
  | {
      kind: 'yoy_rise'
      period: string
      count: number
      count_prev_year: number
      population: number
      population_prev_year: number
      rate: number
      rate_prev_year: number
      relative_change: number | null
      p_value: number
      p_adjusted: number | null
      q: number
      min_relative_rise: number
      predictor: PredictorRise | null
    }
  | {
      kind: 'trend'
      period: string
      from_period: string
      z: number
      p: number
      slope_per_year: number
      alpha: number
      count: number
      population: number
      predictor: PredictorRise | null
    }
  | {
      kind: 'risk_percentile'
      period: string
      horizon_quarters: number
      risk: number
      percentile: number
      rank: number
      of: number
      scope: string
      p: number
      count: number
      population: number
      predictor: PredictorRise | null
    }

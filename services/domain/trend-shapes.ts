import type { MannKendallResult } from '../../models/trends/mann-kendall.js'
import {
  baseColumn,
  type BaseColumn,
  type PredictorTerm,
  type RateField,
  type SnapshotValues,
} from '../../models/vocabulary/indicators.js'

/**
 * The shapes of the trend answers (DESIGN.md §3 `GET /v1/areas/:code/trend`, `GET /v1/trends`),
 * with their field names derived from the indicator vocabulary: the use cases compute them
 * (use-cases/trend-report.ts), disclosure control marks them (domain/trend-disclosure.ts).
 */

/** One quarter of an area's counts (current revision). */
export type QuarterCounts = SnapshotValues & { period: string }

/** A quarter of an area's series with the published horizon-0 run's risk (null without one). */
export type AreaQuarter = QuarterCounts & { risk: number | null }

/** One neighbourhood and its quarterly rows, in period order. */
export interface NeighbourhoodSeries {
  area_code: string
  area_name: string | null
  parent_code: string | null
  quarters: QuarterCounts[]
}

/** An area's series and where it comes from. */
export interface AreaSeries {
  /** false: the area's own snapshots; true: the sum over its neighbourhoods */
  aggregated: boolean
  quarters: AreaQuarter[]
}

/** One quarter of a series as the API shows it: the values, each count's rate, the risk. */
export type SeriesEntry = QuarterCounts & { [Rate in RateField]: number | null } & {
  risk: number | null
}

/** The API's name for a predictor in the year-over-year entries: its model term. */
export type PredictorName = PredictorTerm

/** The year-over-year change of one predictor's 4-quarter rate. */
export interface PredictorChange {
  rate: number | null
  rate_prev_year: number | null
  change: number | null
  p_value: number | null
  /** Σ count over the four quarters ending at the period */
  count: number | null
  /** Σ count over the four quarters ending a year earlier */
  count_prev_year: number | null
}

/** The base's field of the year before, in the year-over-year entries. */
export const basePrevYear = `${baseColumn}_prev_year` as const
export type BasePrevYear = `${BaseColumn}_prev_year`

/** The 4-quarter sums of the base: person-quarters of the year ending at the period and before. */
export type FourQuarterBases = { [K in BaseColumn | BasePrevYear]: number | null }

/** The year-over-year comparison of the outcome at one quarter, and of each predictor. */
export type YearOverYearRow = {
  period: string
  rate: number | null
  rate_prev_year: number | null
  change: number | null
  relative_change: number | null
  p_value: number | null
  /** Σ of the outcome over the four quarters ending at the period */
  count: number | null
  count_prev_year: number | null
  predictors: Record<PredictorName, PredictorChange>
} & FourQuarterBases

/** A Mann-Kendall result as the API shows it; slope also per year. */
export interface TrendTest {
  trend: MannKendallResult['trend']
  p: number
  z: number
  tau: number
  s: number
  var_s: number
  slope: number | null
  slope_per_year: number | null
  intercept: number | null
}

export interface AreaTrend {
  series: SeriesEntry[]
  year_over_year: YearOverYearRow[]
  mann_kendall: TrendTest | null
  seasonal_mann_kendall: TrendTest | null
}

/** One neighbourhood of the `/v1/trends` list. */
export type TrendListEntry = {
  area_code: string
  area_name: string | null
  parent_code: string | null
  period: string
  rate: number | null
  rate_prev_year: number | null
  change: number | null
  relative_change: number | null
  p_value: number | null
  p_adjusted: number | null
  count: number | null
  count_prev_year: number | null
  mann_kendall: TrendTest | null
} & FourQuarterBases

export interface PeriodRange {
  from?: string
  to?: string
}

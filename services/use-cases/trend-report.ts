import { quartersBetween, parseQuarter, shiftPeriod } from '../../models/periods/quarter.js'
import { benjaminiHochberg } from '../../models/stats/benjamini-hochberg.js'
import { mannKendall, type MannKendallResult } from '../../models/trends/mann-kendall.js'
import { seasonalMannKendall } from '../../models/trends/seasonal-mann-kendall.js'
import { yearOverYear, type YearOverYearEntry } from '../../models/trends/year-over-year.js'
import {
  baseColumn,
  outcome,
  predictors,
  type CountColumn,
} from '../../models/vocabulary/indicators.js'
import { rate } from '../domain/rates.js'
import {
  basePrevYear,
  type AreaQuarter,
  type AreaTrend,
  type NeighbourhoodSeries,
  type PeriodRange,
  type PredictorChange,
  type PredictorName,
  type QuarterCounts,
  type SeriesEntry,
  type TrendListEntry,
  type TrendTest,
  type YearOverYearRow,
} from '../domain/trend-shapes.js'

/**
 * The trend use cases of issue 6 (DESIGN.md §3 `GET /v1/areas/:code/trend`, `GET /v1/trends`):
 * quarterly series with rates, year-over-year changes of the 4-quarter rates with the exact
 * Poisson test, Mann-Kendall trend tests on the quarterly outcome rate, and the
 * Benjamini-Hochberg adjustment across a municipality's neighbourhoods, on the rows given (exact
 * rows for analysts; a viewer's are the rounded table, use-cases/viewer-trend.ts).
 */

function inRange(period: string, range: PeriodRange): boolean {
  return (!range.from || period >= range.from) && (!range.to || period <= range.to)
}

/** The quarterly rows as the API shows them: each count's rate from the same row. */
export function seriesEntries(quarters: readonly (QuarterCounts & { risk?: number | null })[]) {
  return quarters.map((row): SeriesEntry => {
    const entry = { period: row.period, [baseColumn]: row[baseColumn] } as SeriesEntry
    for (const indicator of [...predictors, outcome]) {
      entry[indicator.column] = row[indicator.column]
      entry[indicator.rate] = rate(row[indicator.column], row[baseColumn])
    }
    entry.risk = row.risk ?? null
    return entry
  })
}

function yearOverYearOf(
  quarters: readonly QuarterCounts[],
  column: CountColumn,
): Map<string, YearOverYearEntry> {
  const entries = yearOverYear(
    quarters.map((row) => ({
      period: row.period,
      count: row[column],
      population: row[baseColumn],
    })),
  )
  return new Map(entries.map((entry) => [entry.period, entry]))
}

const emptyPredictor: PredictorChange = {
  rate: null,
  rate_prev_year: null,
  change: null,
  p_value: null,
  count: null,
  count_prev_year: null,
}

/**
 * Year over year (DESIGN.md "Definitions") for the outcome and each predictor, at every quarter
 * in `range` where at least one of them has both 4-quarter windows complete. The windows may
 * reach back before `range.from` (a change at `from` compares with the year before it). A
 * window with a missing quarter or a NULL count is omitted (its fields null), never filled.
 */
export function yearOverYearRows(
  quarters: readonly QuarterCounts[],
  range: PeriodRange = {},
): YearOverYearRow[] {
  const ofOutcome = yearOverYearOf(quarters, outcome.column)
  const byPredictor = predictors.map((predictor) => yearOverYearOf(quarters, predictor.column))
  const periods = new Set([...ofOutcome.keys(), ...byPredictor.flatMap((map) => [...map.keys()])])
  return [...periods]
    .filter((period) => inRange(period, range))
    .sort()
    .map((period) => {
      const main = ofOutcome.get(period)
      const any = main ?? byPredictor.map((map) => map.get(period)).find(Boolean)
      const predictorChanges = {} as Record<PredictorName, PredictorChange>
      predictors.forEach((predictor, index) => {
        const entry = byPredictor[index].get(period)
        predictorChanges[predictor.term] = entry
          ? {
              rate: entry.rate,
              rate_prev_year: entry.rate_prev_year,
              change: entry.change,
              p_value: entry.p_value,
              count: entry.count,
              count_prev_year: entry.count_prev_year,
            }
          : { ...emptyPredictor }
      })
      return {
        period,
        rate: main?.rate ?? null,
        rate_prev_year: main?.rate_prev_year ?? null,
        change: main?.change ?? null,
        relative_change: main?.relative_change ?? null,
        p_value: main?.p_value ?? null,
        count: main?.count ?? null,
        count_prev_year: main?.count_prev_year ?? null,
        // the same base under every measure: equal sums when present
        [baseColumn]: any?.population ?? null,
        [basePrevYear]: any?.population_prev_year ?? null,
        predictors: predictorChanges,
      } as YearOverYearRow
    })
}

/** Quarter positions on one integer axis, through date-fns once per distinct period. */
const axisOrigin = { year: 1900, quarter: 1 } as const
const axisPositions = new Map<string, number>()

function axisPosition(period: string): number {
  let position = axisPositions.get(period)
  if (position === undefined) {
    const quarter = parseQuarter(period)
    if (!quarter)
      throw new TypeError(`outcomeRateAxis requires quarters like 2024Q3, got ${period}`)
    position = quartersBetween(axisOrigin, quarter)
    // canonical periods only: a few hundred at most (years × 4)
    if (axisPositions.size < 10_000) axisPositions.set(period, position)
  }
  return position
}

/**
 * The quarterly outcome rate on a calendar axis from the first to the last quarter of `series`
 * (sorted by period): a missing quarter or a NULL count is null (missing), never 0.
 */
export function outcomeRateAxis(
  series: readonly { period: string; rate: number | null }[],
): (number | null)[] {
  if (series.length === 0) return []
  const origin = axisPosition(series[0].period)
  const values: (number | null)[] = new Array(
    axisPosition(series[series.length - 1].period) - origin + 1,
  ).fill(null)
  for (const row of series) values[axisPosition(row.period) - origin] = row.rate
  return values
}

function trendTest(result: MannKendallResult, slopePerYear: number): TrendTest {
  return {
    trend: result.trend,
    p: result.p,
    z: result.z,
    tau: result.tau,
    s: result.s,
    var_s: result.var_s,
    slope: result.slope,
    slope_per_year: slopePerYear,
    intercept: result.intercept,
  }
}

/** Runs a test that throws RangeError when the series is too short; null then. */
function whenEnoughData<Result>(test: () => Result): Result | null {
  try {
    return test()
  } catch (error) {
    if (error instanceof RangeError) return null
    throw error
  }
}

/**
 * Mann-Kendall (pymannkendall `original_test`, slope per quarter, so per year ×4) and the
 * seasonal test with period 4 (`seasonal_test`, whose slope is already per year) on the
 * quarterly outcome rate. Null when the series has too few values for the test.
 */
export function trendTests(series: readonly SeriesEntry[]): {
  mann_kendall: TrendTest | null
  seasonal_mann_kendall: TrendTest | null
} {
  const values = outcomeRateAxis(
    series.map((row) => ({ period: row.period, rate: row[outcome.rate] })),
  )
  const original = whenEnoughData(() => mannKendall(values))
  const seasonal = whenEnoughData(() => seasonalMannKendall(values, 4))
  return {
    mann_kendall: original && trendTest(original, original.slope * 4),
    seasonal_mann_kendall: seasonal && trendTest(seasonal, seasonal.slope),
  }
}

/**
 * An area's trend: the series within `range`, year over year at the quarters within `range`
 * (computed on the whole series), and both trend tests on the series within `range`.
 */
export function areaTrend(quarters: readonly AreaQuarter[], range: PeriodRange): AreaTrend {
  const series = seriesEntries(quarters.filter((row) => inRange(row.period, range)))
  return {
    series,
    year_over_year: yearOverYearRows(quarters, range),
    ...trendTests(series),
  }
}

/** The latest quarter with data among the neighbourhoods, or undefined when there is none. */
export function latestPeriod(neighbourhoods: readonly NeighbourhoodSeries[]): string | undefined {
  let latest: string | undefined
  for (const neighbourhood of neighbourhoods) {
    const last = neighbourhood.quarters[neighbourhood.quarters.length - 1]?.period
    if (last && (!latest || last > latest)) latest = last
  }
  return latest
}

/**
 * `/v1/trends`: per neighbourhood, the year-over-year entry at `period` (nulls when either
 * window is incomplete), the seasonal Mann-Kendall test on its quarterly outcome rate up to
 * `period`, and `p_adjusted`: Benjamini-Hochberg over the p-values of all listed
 * neighbourhoods (those without a p-value do not count). Quarters after `period` are ignored.
 */
export function trendListing(
  neighbourhoods: readonly NeighbourhoodSeries[],
  period: string,
): TrendListEntry[] {
  const firstNeeded = shiftPeriod(period, -7)
  const entries = neighbourhoods.map((neighbourhood): TrendListEntry => {
    const upToPeriod = neighbourhood.quarters.filter((row) => row.period <= period)
    // only the eight quarters of the two windows: one exact test per neighbourhood
    const windows = upToPeriod.filter((row) => row.period >= firstNeeded)
    const yearOverYearAt = yearOverYearOf(windows, outcome.column).get(period)
    const outcomeAxis = outcomeRateAxis(
      upToPeriod.map((row) => ({
        period: row.period,
        rate: rate(row[outcome.column], row[baseColumn]),
      })),
    )
    const seasonal = whenEnoughData(() => seasonalMannKendall(outcomeAxis, 4))
    return {
      area_code: neighbourhood.area_code,
      area_name: neighbourhood.area_name,
      parent_code: neighbourhood.parent_code,
      period,
      rate: yearOverYearAt?.rate ?? null,
      rate_prev_year: yearOverYearAt?.rate_prev_year ?? null,
      change: yearOverYearAt?.change ?? null,
      relative_change: yearOverYearAt?.relative_change ?? null,
      p_value: yearOverYearAt?.p_value ?? null,
      p_adjusted: null,
      count: yearOverYearAt?.count ?? null,
      count_prev_year: yearOverYearAt?.count_prev_year ?? null,
      [baseColumn]: yearOverYearAt?.population ?? null,
      [basePrevYear]: yearOverYearAt?.population_prev_year ?? null,
      mann_kendall: seasonal && trendTest(seasonal, seasonal.slope),
    } as TrendListEntry
  })
  const adjusted = benjaminiHochberg(entries.map((entry) => entry.p_value))
  entries.forEach((entry, index) => {
    entry.p_adjusted = adjusted[index]
  })
  return entries
}

export type TrendSort = 'change' | 'p_value'

/**
 * Orders the list: `change` largest rise first, `p_value` smallest first; entries without the
 * value last; ties by area code. Sorts the values as given (for a viewer: after disclosure, so
 * the order reveals nothing that was suppressed).
 */
export function sortTrendListing<
  Entry extends { area_code: string; change: number | null; p_value: number | null },
>(entries: readonly Entry[], sort: TrendSort): Entry[] {
  const key = (entry: Entry) => (sort === 'change' ? entry.change : entry.p_value)
  const direction = sort === 'change' ? -1 : 1
  return [...entries].sort((left, right) => {
    const a = key(left)
    const b = key(right)
    if (a === null && b !== null) return 1
    if (b === null && a !== null) return -1
    if (a !== null && b !== null && a !== b) return (a - b) * direction
    return left.area_code < right.area_code ? -1 : left.area_code > right.area_code ? 1 : 0
  })
}

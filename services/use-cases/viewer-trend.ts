import { outcome } from '../../models/vocabulary/indicators.js'
import type { DisclosureThresholds } from '../domain/disclosure.js'
import {
  discloseSeriesCells,
  discloseSummedSeries,
  discloseTrendListing,
  discloseYearOverYear,
  viewerTrendTest,
  withSuppressedOutcomeRate,
  type DisclosedAreaTrend,
  type DisclosedTrendListEntry,
  type SeriesRow,
} from '../domain/trend-disclosure.js'
import type {
  AreaQuarter,
  NeighbourhoodSeries,
  PeriodRange,
  QuarterCounts,
} from '../domain/trend-shapes.js'
import { roundedRow, viewerRiskOf, type PublishedModel } from '../domain/viewer-risk.js'
import { summedQuarters } from './area-series.js'
import { areaTrend, seriesEntries, trendListing, yearOverYearRows } from './trend-report.js'

/**
 * A viewer's trends (DESIGN.md §5, issue 14): the trend of the **rounded table** — every
 * quarter's counts and youth population rounded first, and the series, the 4-quarter sums, the
 * year-over-year tests, the Mann-Kendall tests and the Benjamini-Hochberg adjustment all computed
 * from those (finding 2: exact 4-quarter rates gave suppressed quarters back by differencing) —
 * then marked by disclosure control (domain/trend-disclosure.ts). A district's or municipality's
 * series is the sum of its neighbourhoods' rounded values, with the same members and gaps as the
 * exact sum.
 */

/** What a viewer's trend is computed from. */
export type ViewerTrendInput =
  | {
      /**
       * A neighbourhood, or an area with rows of its own: its exact quarters (with the exact
       * risk, whose presence says the published run scored the quarter) and, for a
       * neighbourhood, every neighbourhood of its district (its own included), so secondary
       * suppression sees the whole district per period.
       */
      kind: 'own'
      quarters: readonly AreaQuarter[]
      district: readonly NeighbourhoodSeries[] | null
    }
  | {
      /** A district or municipality without rows of its own: its neighbourhoods' exact rows. */
      kind: 'sum'
      members: readonly NeighbourhoodSeries[]
      /** The exact aggregate's risk per quarter (null: not every member was scored). */
      exactRiskAt: ReadonlyMap<string, number | null>
    }

/**
 * A series as the rounded table has it: counts and population rounded; the viewer's risk where
 * the exact series has one (the published run scored that quarter), else null.
 */
function roundedQuarters(
  quarters: readonly (QuarterCounts & { risk?: number | null })[],
  model: PublishedModel | null,
  thresholds: DisclosureThresholds,
): AreaQuarter[] {
  return quarters.map((quarter) => {
    const rounded = roundedRow(quarter, thresholds)
    const scored = quarter.risk !== undefined && quarter.risk !== null && model !== null
    return { ...rounded, risk: scored ? viewerRiskOf(model, rounded) : null }
  })
}

/** The members' rounded quarters summed, their viewer risks weighted by rounded populations. */
function summedRoundedQuarters(
  members: readonly NeighbourhoodSeries[],
  exactRiskAt: ReadonlyMap<string, number | null>,
  model: PublishedModel | null,
  thresholds: DisclosureThresholds,
): AreaQuarter[] {
  const risk = new Map<string, Map<string, number>>()
  const rounded = members.map((member) => {
    const quarters = roundedQuarters(
      member.quarters.map((quarter) => ({
        ...quarter,
        risk: exactRiskAt.get(quarter.period) ?? null,
      })),
      model,
      thresholds,
    )
    const byPeriod = new Map<string, number>()
    for (const quarter of quarters) {
      if (quarter.risk !== null) byPeriod.set(quarter.period, quarter.risk)
    }
    risk.set(member.area_code, byPeriod)
    return { ...member, quarters }
  })
  return summedQuarters(rounded, risk)
}

/** A viewer's view of an area's trend: the trend of the rounded table, then disclosure. */
export function viewerAreaTrend(
  areaCode: string,
  input: ViewerTrendInput,
  model: PublishedModel | null,
  range: PeriodRange,
  thresholds: DisclosureThresholds,
): DisclosedAreaTrend {
  const inRange = (period: string) =>
    (!range.from || period >= range.from) && (!range.to || period <= range.to)
  const rounded =
    input.kind === 'own'
      ? roundedQuarters(input.quarters, model, thresholds)
      : summedRoundedQuarters(input.members, input.exactRiskAt, model, thresholds)
  const trend = areaTrend(rounded, range)

  const district = input.kind === 'own' ? (input.district ?? []) : []
  const others = district.filter((member) => member.area_code !== areaCode)
  let series
  if (input.kind === 'own') {
    const periods = new Set(trend.series.map((row) => row.period))
    const viewerRisk = new Map(rounded.map((quarter) => [quarter.period, quarter.risk]))
    const table: SeriesRow[] = [
      ...seriesEntries(input.quarters.filter((row) => inRange(row.period))).map((row) => ({
        ...row,
        area_code: areaCode,
        group: row.period,
        viewer_risk: viewerRisk.get(row.period) ?? null,
      })),
      ...others.flatMap((member) =>
        seriesEntries(member.quarters.filter((row) => periods.has(row.period))).map((row) => ({
          ...row,
          area_code: member.area_code,
          group: row.period,
          viewer_risk: null,
        })),
      ),
    ]
    series = discloseSeriesCells(table, areaCode, thresholds)
  } else {
    series = discloseSummedSeries(trend.series, thresholds)
  }

  const yearOverYear = discloseYearOverYear(
    areaCode,
    trend.year_over_year,
    others.map((member) => ({
      area_code: member.area_code,
      rows: yearOverYearRows(roundedQuarters(member.quarters, null, thresholds), range),
    })),
    thresholds,
  )
  const anyRateSuppressed = series.some((row) => row.suppressed?.includes(outcome.rate))
  return {
    series,
    year_over_year: yearOverYear,
    mann_kendall: viewerTrendTest(trend.mann_kendall, anyRateSuppressed),
    seasonal_mann_kendall: viewerTrendTest(trend.seasonal_mann_kendall, anyRateSuppressed),
  }
}

/**
 * A viewer's view of the list at `period`: the listing of the rounded table (year over year,
 * seasonal Mann-Kendall and Benjamini-Hochberg all on rounded quarters), marked by disclosure
 * control. Same order as `neighbourhoods`.
 */
export function viewerTrendListing(
  neighbourhoods: readonly NeighbourhoodSeries[],
  period: string,
  thresholds: DisclosureThresholds,
): DisclosedTrendListEntry[] {
  const rounded = neighbourhoods.map((neighbourhood) => ({
    ...neighbourhood,
    quarters: neighbourhood.quarters.map((quarter) => roundedRow(quarter, thresholds)),
  }))
  return discloseTrendListing(
    trendListing(rounded, period),
    withSuppressedOutcomeRate(neighbourhoods, period, thresholds),
    thresholds,
  )
}

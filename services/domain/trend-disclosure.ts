import type { NeighbourhoodSeries } from '../plugins/app/trends/trends-repository.js'
import {
  discloseForViewer,
  flagUnreliable,
  type DisclosureSpec,
  type DisclosureThresholds,
} from './disclosure.js'
import { rate } from './rates.js'
import {
  predictors,
  seriesEntries,
  yearOverYearRows,
  type AreaTrend,
  type PeriodRange,
  type PredictorChange,
  type PredictorName,
  type SeriesEntry,
  type TrendListEntry,
  type TrendTest,
  type YearOverYearRow,
} from './trend-report.js'
import { rateOfCount } from './snapshot-disclosure.js'

/**
 * Disclosure control for the trend routes (DESIGN.md §5), through the one disclosure module.
 *
 * Every object that carries values lists its own suppressed fields (`suppressed`) or, for
 * analysts, its own `unreliable` flag: a series quarter, a year-over-year entry, each predictor
 * object inside it, each Mann-Kendall object, each `/v1/trends` item.
 *
 * - Quarterly series: as snapshots (counts suppressed below minCell or rounded, population
 *   rounded, rates on a base below minBase or from a suppressed count suppressed, secondary
 *   suppression per period within the district). `risk` rests on the youth population alone,
 *   as in `GET /v1/risk` (`risk-disclosure.ts`), so both routes show a viewer the same value.
 * - Year over year: the 4-quarter sums are counts (suppressed or rounded), the summed youth
 *   population is rounded; a rate is suppressed when its 4-quarter count is, a change,
 *   relative change, p-value and `p_adjusted` when either year's count is. The base of a
 *   4-quarter rate is the number of young people, Σ youth_population / 4 (the summed population
 *   counts each young person four times); a change's base is the smaller of the two years'.
 *   Secondary suppression per period within the district, over the neighbourhoods' entries.
 * - Mann-Kendall: `trend`, `p`, `z`, `tau`, `s` and `var_s` use only the order of the quarterly
 *   rates and are shown; `slope`, `slope_per_year` and `intercept` are medians of differences of
 *   rates and could equal one, so they are suppressed when any quarterly outcome rate of the
 *   series was suppressed. For analysts the object is `unreliable` when any of those rates is on
 *   a small base.
 */

type Flat = Record<string, string | number | null>
type Thresholds = DisclosureThresholds

interface Marks {
  suppressed?: string[]
  unreliable?: boolean
}

// ---------------------------------------------------------------- quarterly series

type SeriesRow = SeriesEntry & { area_code: string; group: string }

const seriesSpec: DisclosureSpec<SeriesRow> = {
  counts: ['early_school_leavers', 'halt_registrations', 'parental_debt', 'drug_offence_suspects'],
  populations: ['youth_population'],
  derived: [
    ...rateOfCount.map(([field, count]) => ({
      field,
      from: [count],
      base: (row: SeriesRow) => row.youth_population,
    })),
    { field: 'risk', from: [], base: (row) => row.youth_population },
  ],
  group: (row) => row.group,
  identity: (row) => row.area_code,
}

/** A quarter's outcome alone: what the Mann-Kendall slope check needs, for a whole list. */
interface OutcomeRow {
  area_code: string
  group: string
  youth_population: number
  drug_offence_suspects: number | null
  drug_offence_rate: number | null
}

const outcomeSpec: DisclosureSpec<OutcomeRow> = {
  counts: ['drug_offence_suspects'],
  derived: [
    {
      field: 'drug_offence_rate',
      from: ['drug_offence_suspects'],
      base: (row) => row.youth_population,
    },
  ],
  group: (row) => row.group,
  identity: (row) => row.area_code,
}

function withoutKeys<Row extends object>(row: Row & { area_code?: string; group?: string }) {
  const { area_code: _area, group: _group, ...rest } = row
  return rest as Omit<Row, 'area_code' | 'group'>
}

// ---------------------------------------------------------------- year over year

const outcomeDerived = [
  ['rate', ['count'], 'youth_population'],
  ['rate_prev_year', ['count_prev_year'], 'youth_population_prev_year'],
  ['change', ['count', 'count_prev_year'], 'both'],
  ['relative_change', ['count', 'count_prev_year'], 'both'],
  ['p_value', ['count', 'count_prev_year'], 'both'],
  ['p_adjusted', ['count', 'count_prev_year'], 'both'],
] as const

const predictorDerived = [
  ['rate', ['count'], 'youth_population'],
  ['rate_prev_year', ['count_prev_year'], 'youth_population_prev_year'],
  ['change', ['count', 'count_prev_year'], 'both'],
  ['p_value', ['count', 'count_prev_year'], 'both'],
] as const

/** Young people behind a 4-quarter sum: the summed population counts each one four times. */
function fourQuarterBase(
  row: Flat,
  which: 'youth_population' | 'youth_population_prev_year' | 'both',
) {
  const current = row.youth_population as number | null
  const previous = row.youth_population_prev_year as number | null
  if (which === 'youth_population') return current === null ? null : current / 4
  if (which === 'youth_population_prev_year') return previous === null ? null : previous / 4
  return current === null || previous === null ? null : Math.min(current, previous) / 4
}

/** Outcome fields, then each predictor's under `name.field`. */
function yearOverYearSpec(prefix: string): DisclosureSpec<Flat> {
  const derived = (prefix === '' ? outcomeDerived : predictorDerived).map(
    ([field, from, base]) => ({
      field: `${prefix}${field}`,
      from: from.map((source) => `${prefix}${source}`),
      base: (row: Flat) => fourQuarterBase(row, base),
    }),
  )
  return { counts: [`${prefix}count`, `${prefix}count_prev_year`], derived }
}

/** Every count, the populations and every derived field, for the viewer's table. */
const viewerYearOverYearSpec: DisclosureSpec<Flat> = {
  counts: [
    ...yearOverYearSpec('').counts,
    ...predictors.flatMap((predictor) => yearOverYearSpec(`${predictor.name}.`).counts),
  ],
  populations: ['youth_population', 'youth_population_prev_year'],
  derived: [
    ...yearOverYearSpec('').derived!,
    ...predictors.flatMap((predictor) => yearOverYearSpec(`${predictor.name}.`).derived!),
  ],
  group: (row) => `${row.group}|${row.period}`,
  identity: (row) => String(row.area_code),
}

const outcomeFields = [
  'rate',
  'rate_prev_year',
  'change',
  'relative_change',
  'p_value',
  'p_adjusted',
  'count',
  'count_prev_year',
  'youth_population',
  'youth_population_prev_year',
] as const

type OutcomeValues = { period: string } & Partial<
  Record<(typeof outcomeFields)[number], number | null>
>

/** One flat record per entry: outcome fields, then each predictor's as `name.field`. */
function flattenYearOverYear(
  row: OutcomeValues,
  nested: YearOverYearRow['predictors'] | null,
  areaCode: string,
  group: string,
): Flat {
  const flat: Flat = { period: row.period, area_code: areaCode, group }
  for (const field of outcomeFields) if (row[field] !== undefined) flat[field] = row[field]
  if (nested) {
    for (const predictor of predictors) {
      for (const [field, value] of Object.entries(nested[predictor.name])) {
        flat[`${predictor.name}.${field}`] = value
      }
    }
  }
  return flat
}

function marksFor(suppressed: readonly string[] | undefined, prefix: string): Marks {
  const own = (suppressed ?? [])
    .filter((field) => (prefix === '' ? !field.includes('.') : field.startsWith(prefix)))
    .map((field) => field.slice(prefix.length))
  return own.length > 0 ? { suppressed: own } : {}
}

function unflattenYearOverYear(
  flat: Flat & Marks,
  marks: (prefix: string) => Marks,
): YearOverYearRow & Marks {
  const nested = {} as Record<PredictorName, PredictorChange & Marks>
  for (const predictor of predictors) {
    const prefix = `${predictor.name}.`
    nested[predictor.name] = {
      rate: flat[`${prefix}rate`] as number | null,
      rate_prev_year: flat[`${prefix}rate_prev_year`] as number | null,
      change: flat[`${prefix}change`] as number | null,
      p_value: flat[`${prefix}p_value`] as number | null,
      count: flat[`${prefix}count`] as number | null,
      count_prev_year: flat[`${prefix}count_prev_year`] as number | null,
      ...marks(prefix),
    }
  }
  return {
    period: flat.period as string,
    rate: flat.rate as number | null,
    rate_prev_year: flat.rate_prev_year as number | null,
    change: flat.change as number | null,
    relative_change: flat.relative_change as number | null,
    p_value: flat.p_value as number | null,
    count: flat.count as number | null,
    count_prev_year: flat.count_prev_year as number | null,
    youth_population: flat.youth_population as number | null,
    youth_population_prev_year: flat.youth_population_prev_year as number | null,
    predictors: nested,
    ...marks(''),
  }
}

/** Analysts: exact values; each object flagged `unreliable` when one of its rates has a small base. */
function flagYearOverYear(row: YearOverYearRow, thresholds: Thresholds): YearOverYearRow & Marks {
  const flat = flattenYearOverYear(row, row.predictors, '', '')
  const unreliable = (prefix: string): Marks =>
    flagUnreliable([flat], yearOverYearSpec(prefix), thresholds)[0].unreliable
      ? { unreliable: true }
      : {}
  return unflattenYearOverYear(flat, unreliable)
}

// ---------------------------------------------------------------- Mann-Kendall

const slopeFields = ['intercept', 'slope', 'slope_per_year'] as const

function viewerTrendTest(
  test: TrendTest | null,
  anyRateSuppressed: boolean,
): (TrendTest & Marks) | null {
  if (!test) return null
  if (!anyRateSuppressed) return { ...test }
  return {
    ...test,
    slope: null,
    slope_per_year: null,
    intercept: null,
    suppressed: [...slopeFields],
  }
}

function flaggedTrendTest(
  test: TrendTest | null,
  series: readonly { youth_population: number; drug_offence_suspects: number | null }[],
  thresholds: Thresholds,
): (TrendTest & Marks) | null {
  if (!test) return null
  const smallBase = series.some(
    (row) =>
      row.drug_offence_suspects !== null &&
      row.youth_population > 0 &&
      row.youth_population < thresholds.minBase,
  )
  return smallBase ? { ...test, unreliable: true } : { ...test }
}

// ---------------------------------------------------------------- GET /v1/areas/:code/trend

export type DisclosedAreaTrend = {
  series: (SeriesEntry & Marks)[]
  year_over_year: (YearOverYearRow & Marks)[]
  mann_kendall: (TrendTest & Marks) | null
  seasonal_mann_kendall: (TrendTest & Marks) | null
}

/** Exact values for analysts and admins, small bases flagged `unreliable`. */
export function exactAreaTrend(trend: AreaTrend, thresholds: Thresholds): DisclosedAreaTrend {
  const rows = trend.series.map((row) => ({ ...row, area_code: '', group: row.period }))
  return {
    series: flagUnreliable(rows, seriesSpec, thresholds).map(withoutKeys),
    year_over_year: trend.year_over_year.map((row) => flagYearOverYear(row, thresholds)),
    mann_kendall: flaggedTrendTest(trend.mann_kendall, trend.series, thresholds),
    seasonal_mann_kendall: flaggedTrendTest(trend.seasonal_mann_kendall, trend.series, thresholds),
  }
}

/**
 * A viewer's view of an area's trend. For a neighbourhood, `district` holds every neighbourhood
 * of its district (its own included) so secondary suppression sees the whole district, per
 * period, in the quarterly series and in the year-over-year entries; for a district or a
 * municipality it is null and the area is a table of its own.
 */
export function viewerAreaTrend(
  areaCode: string,
  trend: AreaTrend,
  district: readonly NeighbourhoodSeries[] | null,
  range: PeriodRange,
  thresholds: Thresholds,
): DisclosedAreaTrend {
  const others = (district ?? []).filter((neighbourhood) => neighbourhood.area_code !== areaCode)
  const periods = new Set(trend.series.map((row) => row.period))
  const yearOverYearPeriods = new Set(trend.year_over_year.map((row) => row.period))

  const seriesTable: SeriesRow[] = [
    ...trend.series.map((row) => ({ ...row, area_code: areaCode, group: row.period })),
    ...others.flatMap((neighbourhood) =>
      seriesEntries(neighbourhood.quarters.filter((row) => periods.has(row.period))).map((row) => ({
        ...row,
        area_code: neighbourhood.area_code,
        group: row.period,
      })),
    ),
  ]
  const series = discloseForViewer(seriesTable, seriesSpec, thresholds)
    .filter((row) => row.area_code === areaCode)
    .map(withoutKeys)

  const yearOverYearTable: Flat[] = [
    ...trend.year_over_year.map((row) => flattenYearOverYear(row, row.predictors, areaCode, '')),
    ...others.flatMap((neighbourhood) =>
      yearOverYearRows(neighbourhood.quarters, range)
        .filter((row) => yearOverYearPeriods.has(row.period))
        .map((row) => flattenYearOverYear(row, row.predictors, neighbourhood.area_code, '')),
    ),
  ]
  const yearOverYear = discloseForViewer(yearOverYearTable, viewerYearOverYearSpec, thresholds)
    .filter((row) => row.area_code === areaCode)
    .map((row) => unflattenYearOverYear(row, (prefix) => marksFor(row.suppressed, prefix)))

  const anyRateSuppressed = series.some((row) => row.suppressed?.includes('drug_offence_rate'))
  return {
    series,
    year_over_year: yearOverYear,
    mann_kendall: viewerTrendTest(trend.mann_kendall, anyRateSuppressed),
    seasonal_mann_kendall: viewerTrendTest(trend.seasonal_mann_kendall, anyRateSuppressed),
  }
}

// ---------------------------------------------------------------- GET /v1/trends

export type DisclosedTrendListEntry = Omit<TrendListEntry, 'parent_code' | 'mann_kendall'> &
  Marks & { mann_kendall: (TrendTest & Marks) | null }

function listItem(entry: TrendListEntry & Marks): DisclosedTrendListEntry {
  const { parent_code: _parent, ...item } = entry
  return item
}

/** Exact values for analysts and admins, small bases flagged `unreliable`. */
export function exactTrendListing(
  entries: readonly TrendListEntry[],
  neighbourhoods: readonly NeighbourhoodSeries[],
  thresholds: Thresholds,
): DisclosedTrendListEntry[] {
  const spec = yearOverYearSpec('')
  return entries.map((entry, index) => {
    const flat = flattenYearOverYear(entry, null, entry.area_code, '')
    const unreliable = flagUnreliable([flat], spec, thresholds)[0].unreliable
    const upToPeriod = neighbourhoods[index].quarters.filter((row) => row.period <= entry.period)
    return listItem({
      ...entry,
      mann_kendall: flaggedTrendTest(entry.mann_kendall, upToPeriod, thresholds),
      ...(unreliable ? { unreliable: true } : {}),
    })
  })
}

/**
 * A viewer's view of the list: the entries at one period form one table, secondary suppression
 * within each district; the Mann-Kendall slope is suppressed when any quarterly outcome rate up
 * to the period was (checked on the whole municipality's quarterly table, district by district).
 * `entries[i]` belongs to `neighbourhoods[i]`.
 */
export function viewerTrendListing(
  entries: readonly TrendListEntry[],
  neighbourhoods: readonly NeighbourhoodSeries[],
  thresholds: Thresholds,
): DisclosedTrendListEntry[] {
  const quarterly: OutcomeRow[] = []
  neighbourhoods.forEach((neighbourhood, index) => {
    const upTo = entries[index].period
    for (const row of neighbourhood.quarters) {
      if (row.period > upTo) continue
      quarterly.push({
        area_code: neighbourhood.area_code,
        group: `${neighbourhood.parent_code}|${row.period}`,
        youth_population: row.youth_population,
        drug_offence_suspects: row.drug_offence_suspects,
        drug_offence_rate: rate(row.drug_offence_suspects, row.youth_population),
      })
    }
  })
  const withSuppressedRate = new Set(
    discloseForViewer(quarterly, outcomeSpec, thresholds)
      .filter((row) => row.suppressed?.includes('drug_offence_rate'))
      .map((row) => row.area_code),
  )
  const table = entries.map((entry) =>
    flattenYearOverYear(entry, null, entry.area_code, entry.parent_code ?? entry.area_code),
  )
  const spec = yearOverYearSpec('')
  const disclosed = discloseForViewer(
    table,
    {
      ...spec,
      populations: ['youth_population', 'youth_population_prev_year'],
      group: (row) => `${row.group}|${row.period}`,
      identity: (row) => String(row.area_code),
    },
    thresholds,
  )
  return entries.map((entry, index) => {
    const row = disclosed[index]
    return listItem({
      ...entry,
      rate: row.rate as number | null,
      rate_prev_year: row.rate_prev_year as number | null,
      change: row.change as number | null,
      relative_change: row.relative_change as number | null,
      p_value: row.p_value as number | null,
      p_adjusted: row.p_adjusted as number | null,
      count: row.count as number | null,
      count_prev_year: row.count_prev_year as number | null,
      youth_population: row.youth_population as number | null,
      youth_population_prev_year: row.youth_population_prev_year as number | null,
      mann_kendall: viewerTrendTest(entry.mann_kendall, withSuppressedRate.has(entry.area_code)),
      ...(row.suppressed ? { suppressed: row.suppressed } : {}),
    })
  })
}

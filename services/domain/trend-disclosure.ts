import {
  baseColumn,
  countColumns,
  indicatorVocabulary,
  outcome,
  predictors,
} from '../../models/vocabulary/indicators.js'
import {
  discloseForViewer,
  flagUnreliable,
  type DisclosureSpec,
  type DisclosureThresholds,
} from './disclosure.js'
import { rate } from './rates.js'
import {
  basePrevYear,
  type AreaTrend,
  type NeighbourhoodSeries,
  type PredictorChange,
  type PredictorName,
  type SeriesEntry,
  type TrendListEntry,
  type TrendTest,
  type YearOverYearRow,
} from './trend-shapes.js'

/**
 * Disclosure control for the trend routes (DESIGN.md §5, issue 14), through the one disclosure
 * module. A viewer's trend is computed from the rounded table (use-cases/viewer-trend.ts); this
 * module marks what of it a viewer sees:
 *
 * - Quarterly series of a neighbourhood (or an area's own rows): the cell rule (counts suppressed
 *   below minCell or rounded, population rounded, rates of rounded counts over rounded bases,
 *   suppressed on a base below minBase or with their count; secondary suppression per period
 *   within the district). `risk` is the published model on the rounded quarter, resting on the
 *   youth population alone.
 * - Quarterly series of a district or municipality summed from rounded neighbourhood values: a
 *   summed count below minCell is suppressed, a rate on a summed base below minBase too.
 * - Year over year (sums of rounded quarters): a 4-quarter count below minCell is suppressed, a
 *   rate with its count, a change, relative change, p-value and `p_adjusted` when either year's
 *   count is. The base of a 4-quarter rate is the number of young people, Σ population / 4 (the
 *   summed population counts each young person four times); a change's base is the smaller of
 *   the two years'. Secondary suppression per period within the district.
 * - Mann-Kendall: `trend`, `p`, `z`, `tau`, `s` and `var_s` are shown; `slope`, `slope_per_year`
 *   and `intercept` are medians of differences of rates and can equal one, so they are
 *   suppressed when any quarterly outcome rate of the series is.
 *
 * Every object that carries values lists its own suppressed fields (`suppressed`) or, for
 * analysts (exact values), its own `unreliable` flag.
 *
 * Why one file of about 500 lines: the series, year-over-year and Mann-Kendall marks of one
 * answer are decided together (the slope goes with the quarterly rates, secondary suppression
 * of the 4-quarter sums with the district's entries) and share the flattening of the nested
 * predictor objects; split, each part would restate it.
 */

type Flat = Record<string, string | number | null>
type Thresholds = DisclosureThresholds

export interface Marks {
  suppressed?: string[]
  unreliable?: boolean
}

const indicators = indicatorVocabulary.counts

// ---------------------------------------------------------------- quarterly series

/** A quarter of the series table: its area, its group (period) and the viewer's risk. */
export type SeriesRow = SeriesEntry & {
  area_code: string
  group: string
  viewer_risk: number | null
}

const populationBase = (row: { [baseColumn]: number }) => row[baseColumn]

/** A neighbourhood's quarters (or an area's own rows): cells, decided on the exact values. */
const seriesCellSpec: DisclosureSpec<SeriesRow> = {
  basis: 'cells',
  counts: countColumns,
  populations: [baseColumn],
  derived: [
    ...indicators.map((indicator) => ({
      field: indicator.rate,
      from: [indicator.column],
      base: populationBase,
      fromRounded: (rounded: SeriesRow) => rate(rounded[indicator.column], rounded[baseColumn]),
    })),
    {
      field: 'risk',
      from: [],
      base: populationBase,
      fromRounded: (rounded) => rounded.viewer_risk,
    },
  ],
  group: (row) => row.group,
  identity: (row) => row.area_code,
}

/** A series computed from rounded values (a sum over neighbourhoods), or analysts' exact one. */
const seriesSumSpec: DisclosureSpec<SeriesEntry> = {
  basis: 'rounded',
  counts: countColumns,
  populations: [baseColumn],
  derived: [
    ...indicators.map((indicator) => ({
      field: indicator.rate,
      from: [indicator.column],
      base: populationBase,
    })),
    { field: 'risk', from: [], base: populationBase },
  ],
}

function withoutKeys<Row extends object>(
  row: Row & { area_code?: string; group?: string; viewer_risk?: number | null },
) {
  const { area_code: _area, group: _group, viewer_risk: _risk, ...rest } = row
  return rest as Omit<Row, 'area_code' | 'group' | 'viewer_risk'>
}

/**
 * The viewer's marks on a quarterly series table (`table`: the area's quarters and, for a
 * neighbourhood, every other neighbourhood of its district at the same periods, grouped by
 * period), answered for `areaCode`'s rows only.
 */
export function discloseSeriesCells(
  table: readonly SeriesRow[],
  areaCode: string,
  thresholds: Thresholds,
): (SeriesEntry & Marks)[] {
  return discloseForViewer(table, seriesCellSpec, thresholds)
    .filter((row) => row.area_code === areaCode)
    .map(withoutKeys)
}

/** The viewer's marks on a series summed from rounded values. */
export function discloseSummedSeries(
  series: readonly SeriesEntry[],
  thresholds: Thresholds,
): (SeriesEntry & Marks)[] {
  return discloseForViewer(series, seriesSumSpec, thresholds)
}

/** A quarter's outcome alone: which quarterly outcome rates a viewer sees suppressed. */
interface OutcomeRow {
  area_code: string
  group: string
  population: number
  count: number | null
  rate: number | null
}

const outcomeSpec: DisclosureSpec<OutcomeRow> = {
  basis: 'cells',
  counts: ['count'],
  derived: [
    {
      field: 'rate',
      from: ['count'],
      base: (row) => row.population,
      fromRounded: (rounded) => rate(rounded.count, rounded.population),
    },
  ],
  group: (row) => row.group,
  identity: (row) => row.area_code,
}

/**
 * The neighbourhoods (of `neighbourhoods`, exact rows) with a quarterly outcome rate a viewer
 * sees suppressed up to `period`: the quarterly table decided district by district.
 */
export function withSuppressedOutcomeRate(
  neighbourhoods: readonly NeighbourhoodSeries[],
  period: string,
  thresholds: Thresholds,
): Set<string> {
  const quarterly: OutcomeRow[] = []
  for (const neighbourhood of neighbourhoods) {
    for (const row of neighbourhood.quarters) {
      if (row.period > period) continue
      quarterly.push({
        area_code: neighbourhood.area_code,
        group: `${neighbourhood.parent_code}|${row.period}`,
        population: row[baseColumn],
        count: row[outcome.column],
        rate: rate(row[outcome.column], row[baseColumn]),
      })
    }
  }
  return new Set(
    discloseForViewer(quarterly, outcomeSpec, thresholds)
      .filter((row) => row.suppressed?.includes('rate'))
      .map((row) => row.area_code),
  )
}

// ---------------------------------------------------------------- year over year

const outcomeDerived = [
  ['rate', ['count'], baseColumn],
  ['rate_prev_year', ['count_prev_year'], basePrevYear],
  ['change', ['count', 'count_prev_year'], 'both'],
  ['relative_change', ['count', 'count_prev_year'], 'both'],
  ['p_value', ['count', 'count_prev_year'], 'both'],
  ['p_adjusted', ['count', 'count_prev_year'], 'both'],
] as const

const predictorDerived = [
  ['rate', ['count'], baseColumn],
  ['rate_prev_year', ['count_prev_year'], basePrevYear],
  ['change', ['count', 'count_prev_year'], 'both'],
  ['p_value', ['count', 'count_prev_year'], 'both'],
] as const

/** Young people behind a 4-quarter sum: the summed population counts each one four times. */
function fourQuarterBase(row: Flat, which: typeof baseColumn | typeof basePrevYear | 'both') {
  const current = row[baseColumn] as number | null
  const previous = row[basePrevYear] as number | null
  if (which === baseColumn) return current === null ? null : current / 4
  if (which === basePrevYear) return previous === null ? null : previous / 4
  return current === null || previous === null ? null : Math.min(current, previous) / 4
}

/** Outcome fields, then each predictor's under `name.field`; the rows are sums of rounded terms. */
function yearOverYearSpec(prefix: string): DisclosureSpec<Flat> {
  const derived = (prefix === '' ? outcomeDerived : predictorDerived).map(
    ([field, from, base]) => ({
      field: `${prefix}${field}`,
      from: from.map((source) => `${prefix}${source}`),
      base: (row: Flat) => fourQuarterBase(row, base),
    }),
  )
  return { basis: 'rounded', counts: [`${prefix}count`, `${prefix}count_prev_year`], derived }
}

/** Every count, the populations and every derived field, for the viewer's table. */
const viewerYearOverYearSpec: DisclosureSpec<Flat> = {
  basis: 'rounded',
  counts: [
    ...yearOverYearSpec('').counts,
    ...predictors.flatMap((predictor) => yearOverYearSpec(`${predictor.term}.`).counts),
  ],
  populations: [baseColumn, basePrevYear],
  derived: [
    ...yearOverYearSpec('').derived!,
    ...predictors.flatMap((predictor) => yearOverYearSpec(`${predictor.term}.`).derived!),
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
  baseColumn,
  basePrevYear,
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
      for (const [field, value] of Object.entries(nested[predictor.term])) {
        flat[`${predictor.term}.${field}`] = value
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
    const prefix = `${predictor.term}.`
    nested[predictor.term] = {
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
    [baseColumn]: flat[baseColumn] as number | null,
    [basePrevYear]: flat[basePrevYear] as number | null,
    predictors: nested,
    ...marks(''),
  } as YearOverYearRow & Marks
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

/**
 * The viewer's marks on year-over-year entries computed from rounded quarters: `own` of the
 * area, `others` of the other neighbourhoods of its district (for secondary suppression at each
 * period); answered for the area's entries.
 */
export function discloseYearOverYear(
  areaCode: string,
  own: readonly YearOverYearRow[],
  others: ReadonlyArray<{ area_code: string; rows: readonly YearOverYearRow[] }>,
  thresholds: Thresholds,
): (YearOverYearRow & Marks)[] {
  const periods = new Set(own.map((row) => row.period))
  const table: Flat[] = [
    ...own.map((row) => flattenYearOverYear(row, row.predictors, areaCode, '')),
    ...others.flatMap((other) =>
      other.rows
        .filter((row) => periods.has(row.period))
        .map((row) => flattenYearOverYear(row, row.predictors, other.area_code, '')),
    ),
  ]
  return discloseForViewer(table, viewerYearOverYearSpec, thresholds)
    .filter((row) => row.area_code === areaCode)
    .map((row) => unflattenYearOverYear(row, (prefix) => marksFor(row.suppressed, prefix)))
}

// ---------------------------------------------------------------- Mann-Kendall

const slopeFields = ['intercept', 'slope', 'slope_per_year'] as const

/** A viewer's test: the slope and intercept withheld when a quarterly outcome rate was. */
export function viewerTrendTest(
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
  series: readonly ({ [baseColumn]: number } & Record<string, unknown>)[],
  thresholds: Thresholds,
): (TrendTest & Marks) | null {
  if (!test) return null
  const smallBase = series.some(
    (row) =>
      row[outcome.column] !== null && row[baseColumn] > 0 && row[baseColumn] < thresholds.minBase,
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
  return {
    series: flagUnreliable(trend.series, seriesSumSpec, thresholds),
    year_over_year: trend.year_over_year.map((row) => flagYearOverYear(row, thresholds)),
    mann_kendall: flaggedTrendTest(trend.mann_kendall, trend.series, thresholds),
    seasonal_mann_kendall: flaggedTrendTest(trend.seasonal_mann_kendall, trend.series, thresholds),
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
 * The viewer's marks on a listing computed from the rounded table: the entries at one period are
 * one table with secondary suppression within each district; the Mann-Kendall slope of an area
 * in `withSuppressedRate` is withheld.
 */
export function discloseTrendListing(
  entries: readonly TrendListEntry[],
  withSuppressedRate: ReadonlySet<string>,
  thresholds: Thresholds,
): DisclosedTrendListEntry[] {
  const table = entries.map((entry) =>
    flattenYearOverYear(entry, null, entry.area_code, entry.parent_code ?? entry.area_code),
  )
  const disclosed = discloseForViewer(
    table,
    {
      ...yearOverYearSpec(''),
      populations: [baseColumn, basePrevYear],
      group: (row) => `${row.group}|${row.period}`,
      identity: (row) => String(row.area_code),
    },
    thresholds,
  )
  return entries.map((entry, index) => {
    const row = disclosed[index]
    const values = Object.fromEntries(
      outcomeFields.map((field) => [field, row[field] as number | null]),
    )
    return listItem({
      ...entry,
      ...values,
      mann_kendall: viewerTrendTest(entry.mann_kendall, withSuppressedRate.has(entry.area_code)),
      ...(row.suppressed ? { suppressed: row.suppressed } : {}),
    })
  })
}

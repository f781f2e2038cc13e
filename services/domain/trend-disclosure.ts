import type { NeighbourhoodSeries, QuarterCounts } from '../use-cases/area-series.js'
import {
  discloseForViewer,
  flagUnreliable,
  type DisclosureSpec,
  type DisclosureThresholds,
} from './disclosure.js'
import { rate } from './rates.js'
import {
  areaTrend,
  predictors,
  seriesEntries,
  trendListing,
  yearOverYearRows,
  type AreaTrend,
  type PeriodRange,
  type PredictorChange,
  type PredictorName,
  type SeriesEntry,
  type TrendListEntry,
  type TrendTest,
  type YearOverYearRow,
} from '../use-cases/trend-report.js'
import { rateOfCount } from './snapshot-disclosure.js'
import { countColumns } from './snapshot-values.js'
import { roundedRow, viewerRiskOf, type PublishedModel } from './viewer-risk.js'

/**
 * Disclosure control for the trend routes (DESIGN.md §5, issue 14), through the one disclosure
 * module. A viewer's trend is the trend of the **rounded table**: every quarter's counts and
 * youth population rounded first, and the series, the 4-quarter sums, the year-over-year tests,
 * the Mann-Kendall tests and the Benjamini-Hochberg adjustment all computed from those (finding
 * 2: exact 4-quarter rates gave suppressed quarters back by differencing). Then:
 *
 * - Quarterly series of a neighbourhood (or an area's own rows): the cell rule (counts suppressed
 *   below minCell or rounded, population rounded, rates of rounded counts over rounded bases,
 *   suppressed on a base below minBase or with their count; secondary suppression per period
 *   within the district). `risk` is the published model on the rounded quarter
 *   (`viewer-risk.ts`), as in `GET /v1/risk`, and rests on the youth population alone.
 * - Quarterly series of a district or municipality without rows of its own: each quarter is the
 *   sum over its neighbourhoods of their rounded values (the same members and gaps as the exact
 *   sum); a summed count below minCell is suppressed, a rate on a summed base below minBase too.
 * - Year over year: sums of rounded quarters; a 4-quarter count below minCell is suppressed, a
 *   rate with its count, a change, relative change, p-value and `p_adjusted` when either year's
 *   count is. The base of a 4-quarter rate is the number of young people, Σ youth_population / 4
 *   (the summed population counts each young person four times); a change's base is the smaller
 *   of the two years'. Secondary suppression per period within the district.
 * - Mann-Kendall on the rounded quarterly rates: `trend`, `p`, `z`, `tau`, `s` and `var_s` are
 *   shown; `slope`, `slope_per_year` and `intercept` are medians of differences of rates and can
 *   equal one, so they are suppressed when any quarterly outcome rate of the series is.
 *
 * Every object that carries values lists its own suppressed fields (`suppressed`) or, for
 * analysts (exact values), its own `unreliable` flag.
 */

type Flat = Record<string, string | number | null>
type Thresholds = DisclosureThresholds

interface Marks {
  suppressed?: string[]
  unreliable?: boolean
}

/** A quarter of a series with the viewer's risk beside the exact row's. */
type QuarterWithRisk = QuarterCounts & { risk: number | null }

// ---------------------------------------------------------------- the rounded table

/**
 * A series as the rounded table has it: counts and population rounded; the viewer's risk where
 * the exact series has one (the published run scored that quarter), else null.
 */
function roundedQuarters(
  quarters: readonly (QuarterCounts & { risk?: number | null })[],
  model: PublishedModel | null,
  thresholds: Thresholds,
): QuarterWithRisk[] {
  return quarters.map((quarter) => {
    const rounded = roundedRow(quarter, thresholds)
    const scored = quarter.risk !== undefined && quarter.risk !== null && model !== null
    return { ...rounded, risk: scored ? viewerRiskOf(model, rounded) : null }
  })
}

/**
 * The sum over a district's or municipality's neighbourhoods of their rounded quarters, with the
 * exact sum's rules (use-cases/area-series.ts `areaSeries`): a quarter only when every member has a row
 * for it; a count only when every member delivered it; risk the population-weighted mean of the
 * members' viewer risks, only when every member has one.
 */
function summedRoundedQuarters(
  members: readonly NeighbourhoodSeries[],
  exactRiskAt: ReadonlyMap<string, number | null>,
  model: PublishedModel | null,
  thresholds: Thresholds,
): QuarterWithRisk[] {
  const byPeriod = new Map<string, QuarterWithRisk[]>()
  for (const member of members) {
    const scored = member.quarters.map((quarter) => ({
      ...quarter,
      risk: exactRiskAt.get(quarter.period) ?? null,
    }))
    for (const quarter of roundedQuarters(scored, model, thresholds)) {
      const list = byPeriod.get(quarter.period) ?? []
      list.push(quarter)
      byPeriod.set(quarter.period, list)
    }
  }
  const sums: QuarterWithRisk[] = []
  for (const [period, quarters] of byPeriod) {
    if (quarters.length !== members.length) continue
    const population = quarters.reduce((sum, quarter) => sum + quarter.youth_population, 0)
    const sum: QuarterWithRisk = {
      period,
      youth_population: population,
      early_school_leavers: null,
      halt_registrations: null,
      parental_debt: null,
      drug_offence_suspects: null,
      risk: null,
    }
    for (const column of countColumns) {
      sum[column] = quarters.every((quarter) => quarter[column] !== null)
        ? quarters.reduce((total, quarter) => total + (quarter[column] as number), 0)
        : null
    }
    if (population > 0 && quarters.every((quarter) => quarter.risk !== null)) {
      sum.risk =
        quarters.reduce((total, quarter) => total + quarter.risk! * quarter.youth_population, 0) /
        population
    }
    sums.push(sum)
  }
  return sums.sort((a, b) => (a.period < b.period ? -1 : 1))
}

// ---------------------------------------------------------------- quarterly series

type SeriesRow = SeriesEntry & { area_code: string; group: string; viewer_risk: number | null }

const seriesCounts = [
  'early_school_leavers',
  'halt_registrations',
  'parental_debt',
  'drug_offence_suspects',
] as const

/** A neighbourhood's quarters (or an area's own rows): cells, decided on the exact values. */
const seriesCellSpec: DisclosureSpec<SeriesRow> = {
  basis: 'cells',
  counts: seriesCounts,
  populations: ['youth_population'],
  derived: [
    ...rateOfCount.map(([field, count]) => ({
      field,
      from: [count],
      base: (row: SeriesRow) => row.youth_population,
      fromRounded: (rounded: SeriesRow) => rate(rounded[count], rounded.youth_population),
    })),
    {
      field: 'risk',
      from: [],
      base: (row) => row.youth_population,
      fromRounded: (rounded) => rounded.viewer_risk,
    },
  ],
  group: (row) => row.group,
  identity: (row) => row.area_code,
}

/** A sum of rounded quarters (a district or municipality without rows of its own). */
const seriesSumSpec: DisclosureSpec<SeriesEntry> = {
  basis: 'rounded',
  counts: seriesCounts,
  populations: ['youth_population'],
  derived: [
    ...rateOfCount.map(([field, count]) => ({
      field,
      from: [count],
      base: (row: SeriesEntry) => row.youth_population,
    })),
    { field: 'risk', from: [], base: (row) => row.youth_population },
  ],
}

/** The same relations for analysts (the `unreliable` flag on exact rows). */
const seriesExactSpec: DisclosureSpec<SeriesEntry> = seriesSumSpec

function withoutKeys<Row extends object>(
  row: Row & { area_code?: string; group?: string; viewer_risk?: number | null },
) {
  const { area_code: _area, group: _group, viewer_risk: _risk, ...rest } = row
  return rest as Omit<Row, 'area_code' | 'group' | 'viewer_risk'>
}

/** A quarter's outcome alone: which quarterly outcome rates a viewer sees suppressed. */
interface OutcomeRow {
  area_code: string
  group: string
  youth_population: number
  drug_offence_suspects: number | null
  drug_offence_rate: number | null
}

const outcomeSpec: DisclosureSpec<OutcomeRow> = {
  basis: 'cells',
  counts: ['drug_offence_suspects'],
  derived: [
    {
      field: 'drug_offence_rate',
      from: ['drug_offence_suspects'],
      base: (row) => row.youth_population,
      fromRounded: (rounded) => rate(rounded.drug_offence_suspects, rounded.youth_population),
    },
  ],
  group: (row) => row.group,
  identity: (row) => row.area_code,
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
  return {
    series: flagUnreliable(trend.series, seriesExactSpec, thresholds),
    year_over_year: trend.year_over_year.map((row) => flagYearOverYear(row, thresholds)),
    mann_kendall: flaggedTrendTest(trend.mann_kendall, trend.series, thresholds),
    seasonal_mann_kendall: flaggedTrendTest(trend.seasonal_mann_kendall, trend.series, thresholds),
  }
}

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
      quarters: readonly (QuarterCounts & { risk: number | null })[]
      district: readonly NeighbourhoodSeries[] | null
    }
  | {
      /** A district or municipality without rows of its own: its neighbourhoods' exact rows. */
      kind: 'sum'
      members: readonly NeighbourhoodSeries[]
      /** The exact aggregate's risk per quarter (null: not every member was scored). */
      exactRiskAt: ReadonlyMap<string, number | null>
    }

/** A viewer's view of an area's trend: the trend of the rounded table, then disclosure. */
export function viewerAreaTrend(
  areaCode: string,
  input: ViewerTrendInput,
  model: PublishedModel | null,
  range: PeriodRange,
  thresholds: Thresholds,
): DisclosedAreaTrend {
  const inRange = (period: string) =>
    (!range.from || period >= range.from) && (!range.to || period <= range.to)
  const rounded =
    input.kind === 'own'
      ? roundedQuarters(input.quarters, model, thresholds)
      : summedRoundedQuarters(input.members, input.exactRiskAt, model, thresholds)
  const trend = areaTrend(rounded, range)

  let series: (SeriesEntry & Marks)[]
  if (input.kind === 'own') {
    const others = (input.district ?? []).filter((member) => member.area_code !== areaCode)
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
    series = discloseForViewer(table, seriesCellSpec, thresholds)
      .filter((row) => row.area_code === areaCode)
      .map(withoutKeys)
  } else {
    series = discloseForViewer(trend.series, seriesSumSpec, thresholds)
  }

  const district = input.kind === 'own' ? (input.district ?? []) : []
  const others = district.filter((member) => member.area_code !== areaCode)
  const yearOverYearPeriods = new Set(trend.year_over_year.map((row) => row.period))
  const yearOverYearTable: Flat[] = [
    ...trend.year_over_year.map((row) => flattenYearOverYear(row, row.predictors, areaCode, '')),
    ...others.flatMap((member) =>
      yearOverYearRows(roundedQuarters(member.quarters, null, thresholds), range)
        .filter((row) => yearOverYearPeriods.has(row.period))
        .map((row) => flattenYearOverYear(row, row.predictors, member.area_code, '')),
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
 * A viewer's view of the list at `period`: the listing of the rounded table (year over year,
 * seasonal Mann-Kendall and Benjamini-Hochberg all on rounded quarters), the entries at the
 * period one table with secondary suppression within each district; the Mann-Kendall slope is
 * suppressed when any quarterly outcome rate up to the period is (checked on the whole
 * municipality's quarterly table, district by district). Same order as `neighbourhoods`.
 */
export function viewerTrendListing(
  neighbourhoods: readonly NeighbourhoodSeries[],
  period: string,
  thresholds: Thresholds,
): DisclosedTrendListEntry[] {
  const rounded = neighbourhoods.map((neighbourhood) => ({
    ...neighbourhood,
    quarters: neighbourhood.quarters.map((quarter) => roundedRow(quarter, thresholds)),
  }))
  const entries = trendListing(rounded, period)
  const quarterly: OutcomeRow[] = []
  for (const neighbourhood of neighbourhoods) {
    for (const row of neighbourhood.quarters) {
      if (row.period > period) continue
      quarterly.push({
        area_code: neighbourhood.area_code,
        group: `${neighbourhood.parent_code}|${row.period}`,
        youth_population: row.youth_population,
        drug_offence_suspects: row.drug_offence_suspects,
        drug_offence_rate: rate(row.drug_offence_suspects, row.youth_population),
      })
    }
  }
  const withSuppressedRate = new Set(
    discloseForViewer(quarterly, outcomeSpec, thresholds)
      .filter((row) => row.suppressed?.includes('drug_offence_rate'))
      .map((row) => row.area_code),
  )
  const table = entries.map((entry) =>
    flattenYearOverYear(entry, null, entry.area_code, entry.parent_code ?? entry.area_code),
  )
  const disclosed = discloseForViewer(
    table,
    {
      ...yearOverYearSpec(''),
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

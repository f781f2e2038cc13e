import type { Knex } from 'knex'
import { staggeredDid, type DidWideUnit } from '../../models/effects/did/index.js'
import {
  aggregateSyntheticControl,
  defaultPredictorSpecs,
  estimateSyntheticControl,
  prepareSyntheticControl,
  type PlaceboFit,
  type SyntheticControlParams,
  type AggregatedSyntheticControl,
  type PlaceboPool,
  type SyntheticControlEstimate,
  type SyntheticControlUnit,
} from '../../models/effects/synthetic-control/index.js'
import { placeboFits, resolvePool } from '../../models/effects/synthetic-control/placebo-pool.js'
import { simulatePower } from '../../models/effects/power.js'
import { canonicalQuarter, shiftPeriod } from '../../models/periods/quarter.js'
import { areaLevel, municipalityCode } from '../domain/areas.js'
import {
  discloseForViewer,
  roundToMultiple,
  type DisclosureThresholds,
} from '../domain/disclosure.js'
import { rate } from '../domain/rates.js'
import { AppError, badRequest } from '../errors.js'
import type { AreasRepository } from '../repositories/areas-repository.js'
import type {
  InterventionAreaRow,
  InterventionRecord,
  InterventionsRepository,
  NeighbourhoodPanel,
} from '../repositories/interventions-repository.js'
import type {
  AreaEffect,
  EffectMethod,
  Effects,
  InterventionAreaInput,
  Outcome,
  PowerResult,
} from '../schemas/interventions.js'

/**
 * Intervention use cases (DESIGN.md §3 interventions rows, "Definitions": intervention effects):
 * validating treated areas, estimating effects with synthetic control or staggered DiD on the
 * quarterly outcome rate with never-treated neighbourhoods as controls, caching results per
 * intervention, method, options and data version (and the last panel read, per data version, in
 * memory), viewer disclosure of the result, and the power simulation for planned interventions.
 * Reads through repositories, calls `models/`.
 */

/** Error code when the data cannot support an estimate (no eligible treated area, no donors). */
export const notEstimable = (message: string) => new AppError(422, 'not_estimable', message)

const countColumns = [
  'drug_offence_suspects',
  'early_school_leavers',
  'halt_registrations',
  'parental_debt',
] as const satisfies readonly Outcome[]

// ---------------------------------------------------------------------------------------------
// Treated areas
// ---------------------------------------------------------------------------------------------

/**
 * Canonicalises and checks the treated areas of an intervention: each a neighbourhood of the
 * intervention's municipality that exists, listed once, with start ≤ end. Throws 400 naming
 * the offending area.
 */
export async function normaliseInterventionAreas(
  areasRepository: AreasRepository,
  municipality: string,
  areas: readonly InterventionAreaInput[],
  trx?: Knex.Transaction,
): Promise<InterventionAreaRow[]> {
  const seen = new Set<string>()
  const rows: InterventionAreaRow[] = []
  for (const [index, area] of areas.entries()) {
    const where = `areas[${index}] (${area.area_code})`
    if (areaLevel(area.area_code) !== 'neighbourhood') {
      throw badRequest(`${where}: interventions treat neighbourhoods (BU codes)`)
    }
    if (municipalityCode(area.area_code) !== municipality) {
      throw badRequest(`${where}: not a neighbourhood of ${municipality}`)
    }
    if (seen.has(area.area_code)) throw badRequest(`${where}: listed twice`)
    seen.add(area.area_code)
    const start = canonicalQuarter(area.start_period)
    if (!start) throw badRequest(`${where}: start_period must be a quarter like 2024Q3`)
    let end: string | null = null
    if (area.end_period !== undefined && area.end_period !== null) {
      end = canonicalQuarter(area.end_period) ?? null
      if (!end) throw badRequest(`${where}: end_period must be a quarter like 2024Q3`)
      if (end < start)
        throw badRequest(`${where}: end_period ${end} is before start_period ${start}`)
    }
    if (!(await areasRepository.find(area.area_code, trx))) {
      throw badRequest(`${where}: unknown area; upload its snapshots first`)
    }
    rows.push({ area_code: area.area_code, start_period: start, end_period: end })
  }
  return rows
}

// ---------------------------------------------------------------------------------------------
// Panel
// ---------------------------------------------------------------------------------------------

/** A wide panel of neighbourhoods over consecutive quarters; NaN marks a missing value. */
interface Panel {
  periods: string[]
  indexOf: Map<string, number>
  /** Ascending by code. */
  areas: Map<string, PanelArea>
}

interface PanelArea {
  code: string
  population: Float64Array
  counts: Record<Outcome, Float64Array>
}

/** The repository's panel with a quarter index; the series are the repository's arrays. */
function buildPanel(snapshots: NeighbourhoodPanel): Panel {
  const { periods } = snapshots
  const areas = new Map<string, PanelArea>()
  for (const [code, series] of snapshots.areas) {
    areas.set(code, {
      code,
      population: series.youth_population,
      counts: {
        drug_offence_suspects: series.drug_offence_suspects,
        early_school_leavers: series.early_school_leavers,
        halt_registrations: series.halt_registrations,
        parental_debt: series.parental_debt,
      },
    })
  }
  return { periods, indexOf: new Map(periods.map((period, index) => [period, index])), areas }
}

/** How long a cached panel is kept without being used. */
const panelIdleMs = 10 * 60 * 1000

interface CachedPanel {
  key: string
  panel: Promise<Panel>
  expiry: NodeJS.Timeout
}

/** The last panel read through each repository (so per database), see {@link readPanel}. */
const panelCache = new WeakMap<InterventionsRepository, CachedPanel>()

/**
 * The neighbourhood panel of a filter at a data version, read once and shared: at national scale
 * (14,000 neighbourhoods × 48 quarters, about 35 MB in memory) the read is a large part of an
 * estimate, and the two methods of an intervention, or interventions estimated one after
 * another, read the same panel; a request arriving while the read runs waits for it. Only the
 * last panel is kept, for {@link panelIdleMs} after its last use. The data version changes with
 * every upload that changes a snapshot, so a cached panel is never stale; its users only read it.
 */
function readPanel(
  repository: InterventionsRepository,
  filter: { municipality?: string; to?: string },
  dataVersion: string,
): Promise<Panel> {
  const key = JSON.stringify([dataVersion, filter.municipality ?? null, filter.to ?? null])
  let cached = panelCache.get(repository)
  if (cached?.key === key) {
    cached.expiry.refresh()
  } else {
    if (cached) clearTimeout(cached.expiry)
    const panel = repository.neighbourhoodPanel(filter).then(buildPanel)
    const expiry = setTimeout(() => {
      if (panelCache.get(repository) === entry) panelCache.delete(repository)
    }, panelIdleMs).unref()
    const entry: CachedPanel = { key, panel, expiry }
    cached = entry
    panelCache.set(repository, entry)
    // a failed read is not kept: the next request tries again
    panel.catch(() => {
      if (panelCache.get(repository) === entry) {
        clearTimeout(expiry)
        panelCache.delete(repository)
      }
    })
  }
  return cached.panel
}

/** The rate of a count per quarter: NaN when the count is missing or the base is 0. */
function rateSeries(area: PanelArea, column: Outcome): number[] {
  const counts = area.counts[column]
  return Array.from(area.population, (population, t) =>
    population > 0 && Number.isFinite(counts[t]) ? counts[t] / population : Number.NaN,
  )
}

const isComplete = (series: readonly number[]) => series.every((value) => Number.isFinite(value))

function meanOf(values: ArrayLike<number>, from = 0, to = values.length): number {
  let sum = 0
  for (let t = from; t < to; t++) sum += values[t]
  return sum / (to - from)
}

/**
 * The donor pool: the `maxDonors` candidates whose outcome path over the first `preCount`
 * quarters is closest (Euclidean) to the treated areas' mean path; ties by code.
 */
function closestDonors(
  treatedPaths: readonly (readonly number[])[],
  candidates: ReadonlyMap<string, readonly number[]>,
  preCount: number,
  maxDonors: number,
): string[] {
  const target = new Float64Array(preCount)
  for (const path of treatedPaths) for (let t = 0; t < preCount; t++) target[t] += path[t]
  for (let t = 0; t < preCount; t++) target[t] /= treatedPaths.length
  const distances: { code: string; distance: number }[] = []
  for (const [code, path] of candidates) {
    let sum = 0
    for (let t = 0; t < preCount; t++) sum += (path[t] - target[t]) ** 2
    distances.push({ code, distance: sum })
  }
  distances.sort((a, b) => a.distance - b.distance || (a.code < b.code ? -1 : 1))
  return distances.slice(0, maxDonors).map((entry) => entry.code)
}

// ---------------------------------------------------------------------------------------------
// Effects
// ---------------------------------------------------------------------------------------------

export interface EffectsOptions {
  method: EffectMethod
  outcome: Outcome
  donors: 'all' | 'municipality'
  maxDonors: number
}

/** Who the result is for: exact values, or a viewer's (DESIGN.md §5). */
export type EffectsAudience =
  { kind: 'exact' } | { kind: 'viewer'; thresholds: DisclosureThresholds }

/** The cached payload: the result (without computed_at and data_version). */
interface EffectsPayload {
  effects: Omit<Effects, 'computed_at' | 'data_version'>
}

export interface EffectsAnswer {
  effects: Effects
  fromCache: boolean
}

/**
 * The effects of an intervention for an audience, from the cache when the intervention, method,
 * options, audience and data version match, else estimated and cached. A viewer's result is a
 * separate estimate on the rounded panel ({@link viewerEffects}).
 */
export async function interventionEffects(
  repository: InterventionsRepository,
  intervention: InterventionRecord,
  options: EffectsOptions,
  audience: EffectsAudience = { kind: 'exact' },
): Promise<EffectsAnswer> {
  const dataVersion = await repository.dataVersion()
  const key = {
    interventionId: intervention.id,
    method: options.method,
    optionsKey: JSON.stringify({
      outcome: options.outcome,
      donors: options.donors,
      max_donors: options.maxDonors,
      ...(audience.kind === 'viewer'
        ? {
            viewer: [
              audience.thresholds.minCell,
              audience.thresholds.roundTo,
              audience.thresholds.minBase,
            ],
          }
        : {}),
    }),
    dataVersion,
  }
  const cached = await repository.cachedEffects(key)
  if (cached) {
    const payload = (
      typeof cached.result === 'string' ? JSON.parse(cached.result) : cached.result
    ) as EffectsPayload
    return {
      effects: {
        ...payload.effects,
        data_version: dataVersion,
        computed_at: new Date(cached.computed_at).toISOString(),
      },
      fromCache: true,
    }
  }
  const panel = await readPanel(
    repository,
    {
      municipality: options.donors === 'municipality' ? intervention.municipality : undefined,
      to: panelEndOf(intervention),
    },
    dataVersion,
  )
  const payload =
    audience.kind === 'exact'
      ? await estimateEffects(repository, intervention, options, panel)
      : await viewerEffects(repository, intervention, options, panel, audience.thresholds)
  const computedAt = new Date()
  await repository.storeEffects(key, payload, computedAt)
  return {
    effects: {
      ...payload.effects,
      data_version: dataVersion,
      computed_at: computedAt.toISOString(),
    },
    fromCache: false,
  }
}

/** The last quarter of the panel: the treated areas' last end, when every area has one. */
function panelEndOf(intervention: InterventionRecord): string | undefined {
  const ends = intervention.areas.map((area) => area.end_period)
  return ends.every((end) => end !== null)
    ? (ends as string[]).reduce((a, b) => (a > b ? a : b))
    : undefined
}

interface TreatedArea {
  code: string
  startIndex: number
  rates: number[]
  population: number
}

async function estimateEffects(
  repository: InterventionsRepository,
  intervention: InterventionRecord,
  options: EffectsOptions,
  panel: Panel,
): Promise<EffectsPayload> {
  const warnings: string[] = []
  const ends = intervention.areas.map((area) => area.end_period)
  const panelEnd = panelEndOf(intervention)
  if (panelEnd && new Set(ends).size > 1) {
    warnings.push(
      `treated areas end at different quarters: the panel ends at the last, ${panelEnd}`,
    )
  }
  const treatedAnywhere = await repository.treatedAreaCodes()
  const { periods } = panel
  const timeCount = periods.length
  if (timeCount < 2) throw notEstimable('effects need at least two quarters of data')

  // ---- treated areas of this intervention ----
  const treated: TreatedArea[] = []
  for (const area of intervention.areas) {
    const series = panel.areas.get(area.area_code)
    const startIndex = panel.indexOf.get(area.start_period)
    if (!series) {
      warnings.push(`${area.area_code} skipped: no snapshots`)
      continue
    }
    if (area.start_period <= periods[0]) {
      warnings.push(
        `${area.area_code} skipped: starts at or before the first quarter with data (no pre-period)`,
      )
      continue
    }
    if (startIndex === undefined) {
      warnings.push(
        `${area.area_code} skipped: no data from its start ${area.start_period} on (no post-period)`,
      )
      continue
    }
    const rates = rateSeries(series, options.outcome)
    if (!isComplete(rates)) {
      const missing = periods.filter((_, t) => !Number.isFinite(rates[t]))
      warnings.push(
        `${area.area_code} skipped: missing ${options.outcome} or youth population in ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}`,
      )
      continue
    }
    treated.push({
      code: area.area_code,
      startIndex,
      rates,
      population: meanOf(series.population, 0, startIndex),
    })
  }
  if (treated.length === 0) {
    throw notEstimable(
      `no treated area of intervention ${intervention.id} has complete data with a pre- and a post-period`,
    )
  }
  treated.sort((a, b) => (a.code < b.code ? -1 : 1))

  // ---- never-treated controls with complete data ----
  const controls = new Map<string, number[]>()
  let droppedControls = 0
  for (const [code, area] of panel.areas) {
    if (treatedAnywhere.has(code)) continue
    const rates = rateSeries(area, options.outcome)
    if (isComplete(rates)) controls.set(code, rates)
    else droppedControls++
  }
  if (droppedControls > 0) {
    warnings.push(
      `${droppedControls} never-treated neighbourhood(s) with missing quarters left out of the controls`,
    )
  }
  if (controls.size < 2)
    throw notEstimable('fewer than two never-treated neighbourhoods with complete data')

  const firstStart = Math.min(...treated.map((area) => area.startIndex))
  const common = {
    intervention_id: intervention.id,
    outcome: options.outcome,
    n_treated: treated.length,
    period_from: periods[0],
    period_to: periods[timeCount - 1],
  }

  if (options.method === 'did') {
    const result = estimateDid(treated, controls, timeCount)
    return {
      effects: {
        ...common,
        method: 'did',
        overall: result.overall,
        by_area: result.byArea.map((entry) => ({
          ...entry,
          start_period: periods[treated.find((area) => area.code === entry.area_code)!.startIndex],
        })),
        event_study: result.eventStudy,
        n_donors: result.neverTreatedCount,
        n_pre_periods: firstStart,
        warnings: [...new Set([...warnings, ...result.warnings])],
      },
    }
  }

  // ---- synthetic control: one donor pool, one placebo pool per start quarter ----
  const poolIds = closestDonors(
    treated.map((area) => area.rates),
    controls,
    firstStart,
    options.maxDonors,
  )
  if (poolIds.length < options.maxDonors) {
    warnings.push(
      `only ${poolIds.length} never-treated neighbourhood(s) available as donors (max_donors ${options.maxDonors})`,
    )
  }
  const covariates = countColumns.filter((column) => column !== options.outcome)
  const unitOf = (code: string): SyntheticControlUnit => {
    const area = panel.areas.get(code) as PanelArea
    return {
      id: code,
      outcome: rateSeries(area, options.outcome),
      covariates: Object.fromEntries(
        covariates.map((column) => [column, rateSeries(area, column)]),
      ),
      population: meanOf(area.population, 0, firstStart),
    }
  }
  const poolUnits = poolIds.map(unitOf)
  const treatedUnits = new Map(treated.map((area) => [area.code, unitOf(area.code)]))
  // a covariate enters only when every unit has a value of it before the first start
  const usableCovariates = covariates.filter((column) =>
    [...poolUnits, ...treatedUnits.values()].every((unit) =>
      unit.covariates![column].slice(0, firstStart).some((value) => Number.isFinite(value)),
    ),
  )
  if (usableCovariates.length < covariates.length) {
    warnings.push(
      `predictor(s) ${covariates.filter((column) => !usableCovariates.includes(column)).join(', ')} left out: missing for some area in the pre-period`,
    )
  }
  const times = periods.map((_, index) => index)
  const starts = [...new Set(treated.map((area) => area.startIndex))].sort((a, b) => a - b)
  const pools: PlaceboPool[] = []
  const estimates: SyntheticControlEstimate[] = []
  for (const start of starts) {
    const cohort = treated.filter((area) => area.startIndex === start)
    const params = prepareSyntheticControl(
      { times, units: [...cohort.map((area) => treatedUnits.get(area.code)!), ...poolUnits] },
      {
        predictors: defaultPredictorSpecs(times, start, usableCovariates, outcomeBlocks),
        treatmentStart: start,
        maxEvaluations,
      },
    )
    const pool = await fitPlaceboPoolCooperatively(params, poolIds)
    pools.push(pool)
    for (const area of cohort) {
      estimates.push(estimateSyntheticControl(pool, area.code))
      await yieldToEventLoop()
    }
  }
  let aggregate: AggregatedSyntheticControl | undefined
  try {
    aggregate = aggregateSyntheticControl(estimates, pools, { seed: 1, draws: 1000 })
  } catch (error) {
    if (!(error instanceof RangeError)) throw error
    warnings.push(`no overall effect: ${error.message}`)
  }
  const byArea: AreaEffect[] = estimates.map((estimate) => {
    return {
      area_code: estimate.id,
      start_period: periods[estimate.treatmentStart],
      att: estimate.att,
      p_value: estimate.pValue,
      pre_rmspe: estimate.preRmspe,
      post_rmspe: estimate.postRmspe,
      donors: estimate.donors.map((donor) => ({ area_code: donor.id, weight: donor.weight })),
      series: periods.map((period, t) => ({
        period,
        observed: estimate.observed[t],
        synthetic: estimate.synthetic[t],
      })),
    }
  })
  for (const estimate of estimates) warnings.push(...estimate.warnings)
  if (aggregate) warnings.push(...aggregate.warnings)
  return {
    effects: {
      ...common,
      method: 'synthetic_control',
      overall: aggregate
        ? {
            att: aggregate.overall.att,
            ci_low: aggregate.overall.ciLow,
            ci_high: aggregate.overall.ciHigh,
            p_value: aggregate.overall.pValue,
          }
        : { att: null, ci_low: null, ci_high: null, p_value: null },
      by_area: byArea,
      event_study: (aggregate?.eventStudy ?? []).map((entry) => ({
        event_time: entry.eventTime,
        att: entry.att,
        ci_low: entry.ciLow,
        ci_high: entry.ciHigh,
      })),
      n_donors: poolIds.length,
      n_pre_periods: firstStart,
      warnings: [...new Set(warnings)],
    },
  }
}

/**
 * Predictor set and V search of the service's synthetic controls: the outcome mean over three
 * blocks of the pre-period plus the means of the three other rates, and Nelder–Mead runs of at
 * most 60 evaluations. Measured on a 200-donor, 48-quarter pool: 0.7 s against 5 s for four
 * blocks at the model's default 150 evaluations, with the mean placebo pre-RMSPE within 4%.
 */
const outcomeBlocks = 3
const maxEvaluations = 60

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve))

/**
 * `fitPlaceboPool` of `models/effects` (each pool member fitted once against the other members,
 * the fits shared by every treated area), run a slice at a time: a pool of 200 takes seconds of
 * CPU, and the service must keep answering (and under-pressure must not see a blocked event loop)
 * meanwhile. The fits are the model's own (`placeboFits`), with a pause every 50 ms.
 */
async function fitPlaceboPoolCooperatively(
  params: SyntheticControlParams,
  poolIds: readonly string[],
): Promise<PlaceboPool> {
  const members = resolvePool(params, poolIds, 'fitPlaceboPool')
  if (members.length < 2) throw notEstimable('the donor pool needs at least 2 never-treated areas')
  const fits: PlaceboFit[] = []
  let sliceStart = performance.now()
  for (const fit of placeboFits(params, members)) {
    fits.push(fit)
    if (performance.now() - sliceStart > 50) {
      await yieldToEventLoop()
      sliceStart = performance.now()
    }
  }
  return { params, members, fits }
}

/**
 * Staggered DiD (Callaway & Sant'Anna) on the rate: quarters mapped to 1 … T (0 is reserved for
 * "never treated"), cohort g = the index of the start quarter, every never-treated neighbourhood
 * with complete data a control. Per area, the 2×2 comparison of its mean rate after and before
 * its start with the same change of the controls' mean (no inference of its own).
 */
function estimateDid(
  treated: readonly TreatedArea[],
  controls: ReadonlyMap<string, readonly number[]>,
  timeCount: number,
) {
  const units: DidWideUnit[] = treated.map((area) => ({
    unit: area.code,
    outcomes: area.rates,
    group: area.startIndex + 1,
  }))
  const controlMean = new Float64Array(timeCount)
  for (const [code, rates] of controls) {
    units.push({ unit: code, outcomes: rates, group: 0 })
    for (let t = 0; t < timeCount; t++) controlMean[t] += rates[t] / controls.size
  }
  let result
  try {
    result = staggeredDid({ times: Array.from({ length: timeCount }, (_, t) => t + 1), units })
  } catch (error) {
    if (error instanceof RangeError || error instanceof TypeError) throw notEstimable(error.message)
    throw error
  }
  const byArea = treated.map((area) => {
    const change = (series: ArrayLike<number>) =>
      meanOf(series, area.startIndex, timeCount) - meanOf(series, 0, area.startIndex)
    return {
      area_code: area.code,
      att: change(area.rates) - change(controlMean),
      p_value: null,
      pre_rmspe: null,
      post_rmspe: null,
      donors: [],
    }
  })
  return {
    overall: {
      att: result.overall.att,
      ci_low: result.overall.ciLow,
      ci_high: result.overall.ciHigh,
      p_value: result.overall.pValue,
    },
    eventStudy: result.eventStudy.map((entry) => ({
      event_time: entry.level,
      att: entry.att,
      ci_low: entry.ciLow,
      ci_high: entry.ciHigh,
    })),
    byArea,
    neverTreatedCount: result.neverTreatedCount,
    warnings: result.warnings,
  }
}

// ---------------------------------------------------------------------------------------------
// Viewer disclosure
// ---------------------------------------------------------------------------------------------

/**
 * The smallest number of treated areas whose overall effect a viewer sees (the minimum number of
 * contributors of statistical disclosure practice): with fewer, the overall effect is one or two
 * areas' own effect.
 */
export const minimumTreatedForViewers = 3

/** The panel with every count and youth population rounded as the disclosure module rounds them. */
function roundedPanel(panel: Panel, thresholds: DisclosureThresholds): Panel {
  const round = (series: Float64Array) =>
    series.map((value) =>
      Number.isFinite(value) ? roundToMultiple(value, thresholds.roundTo) : value,
    )
  const areas = new Map<string, PanelArea>()
  for (const [code, area] of panel.areas) {
    areas.set(code, {
      code,
      population: round(area.population),
      counts: {
        drug_offence_suspects: round(area.counts.drug_offence_suspects),
        early_school_leavers: round(area.counts.early_school_leavers),
        halt_registrations: round(area.counts.halt_registrations),
        parental_debt: round(area.counts.parental_debt),
      },
    })
  }
  return { periods: panel.periods, indexOf: panel.indexOf, areas }
}

/**
 * Per treated area, per quarter of the panel: whether a viewer's snapshot table withholds the
 * area's outcome rate there (its count below minCell, its base below minBase, or secondary
 * suppression within its district and quarter) — the cells a viewer's per-area values must not
 * rest on. The district of a neighbourhood is its code's prefix (DESIGN.md §1).
 */
function withheldOutcomeCells(
  panel: Panel,
  treatedCodes: readonly string[],
  outcome: Outcome,
  thresholds: DisclosureThresholds,
): Map<string, boolean[]> {
  const districtOf = (code: string) => `WK${code.slice(2, 8)}`
  const districts = new Set(treatedCodes.map(districtOf))
  interface CellRow {
    area_code: string
    period: string
    count: number | null
    youth_population: number
    rate: number | null
  }
  const rows: CellRow[] = []
  for (const [code, area] of panel.areas) {
    if (!districts.has(districtOf(code))) continue
    panel.periods.forEach((period, t) => {
      const count = Number.isFinite(area.counts[outcome][t]) ? area.counts[outcome][t] : null
      const population = Number.isFinite(area.population[t]) ? area.population[t] : 0
      rows.push({
        area_code: code,
        period,
        count,
        youth_population: population,
        rate: rate(count, population),
      })
    })
  }
  const disclosed = discloseForViewer(
    rows,
    {
      basis: 'cells',
      counts: ['count'],
      populations: ['youth_population'],
      derived: [
        {
          field: 'rate',
          from: ['count'],
          base: (row) => row.youth_population,
          fromRounded: (rounded) => rate(rounded.count, rounded.youth_population),
        },
      ],
      group: (row) => `${districtOf(row.area_code)}|${row.period}`,
      identity: (row) => row.area_code,
    },
    thresholds,
  )
  const withheld = new Map<string, boolean[]>(
    treatedCodes.map((code) => [code, new Array<boolean>(panel.periods.length).fill(true)]),
  )
  disclosed.forEach((row) => {
    const cells = withheld.get(row.area_code)
    if (!cells) return
    cells[panel.indexOf.get(row.period)!] = row.rate === null
  })
  return withheld
}

/**
 * What a viewer sees of an effects result (DESIGN.md §5, issue 14, finding 3: from each treated
 * area's effect and its shown synthetic series, Σ count_t / population_t was known, and a small
 * search over counts pinned suppressed quarters).
 *
 * - The estimate is made on the **rounded panel** (every count and youth population of every
 *   area rounded), donors, weights, placebos and inference included: every number is a function
 *   of the rounded table.
 * - Per treated area, `att`, `p_value`, `pre_rmspe`, `post_rmspe` and the quarterly `series`
 *   (observed and synthetic) are withheld (null, listed in `suppressed`) when any of the area's
 *   outcome cells in the panel is withheld in the viewer's snapshot table; its donors and weights
 *   stay.
 * - Each event-study value is withheld when any treated area's cell at that event time is.
 * - The overall effect stays when it is computed over at least {@link minimumTreatedForViewers}
 *   treated areas; else it is withheld.
 */
async function viewerEffects(
  repository: InterventionsRepository,
  intervention: InterventionRecord,
  options: EffectsOptions,
  panel: Panel,
  thresholds: DisclosureThresholds,
): Promise<EffectsPayload> {
  const { effects } = await estimateEffects(
    repository,
    intervention,
    options,
    roundedPanel(panel, thresholds),
  )
  const treatedCodes = effects.by_area.map((entry) => entry.area_code)
  const withheld = withheldOutcomeCells(panel, treatedCodes, options.outcome, thresholds)
  const startOf = new Map(
    effects.by_area.map((entry) => [entry.area_code, panel.indexOf.get(entry.start_period)!]),
  )
  const areaFields = ['att', 'p_value', 'pre_rmspe', 'post_rmspe'] as const
  const byArea = effects.by_area.map((entry) => {
    if (!(withheld.get(entry.area_code) ?? []).some(Boolean)) return entry
    return {
      ...entry,
      att: null,
      p_value: null,
      pre_rmspe: null,
      post_rmspe: null,
      ...(entry.series
        ? {
            series: entry.series.map((point) => ({
              period: point.period,
              observed: null,
              synthetic: null,
            })),
          }
        : {}),
      suppressed: [...areaFields, ...(entry.series ? ['series'] : [])].sort(),
    }
  })
  const eventStudy = effects.event_study.map((entry) => {
    const fedBySuppressed = treatedCodes.some((code) => {
      const t = startOf.get(code)! + entry.event_time
      return t >= 0 && t < panel.periods.length && withheld.get(code)![t]
    })
    if (!fedBySuppressed) return entry
    return {
      event_time: entry.event_time,
      att: null,
      ci_low: null,
      ci_high: null,
      suppressed: ['att', 'ci_high', 'ci_low'],
    }
  })
  const overall =
    effects.n_treated >= minimumTreatedForViewers
      ? effects.overall
      : {
          att: null,
          ci_low: null,
          ci_high: null,
          p_value: null,
          suppressed: ['att', 'ci_high', 'ci_low', 'p_value'],
        }
  return { effects: { ...effects, overall, by_area: byArea, event_study: eventStudy } }
}

// ---------------------------------------------------------------------------------------------
// Power
// ---------------------------------------------------------------------------------------------

export interface PowerRequestOptions {
  areas: readonly string[]
  startPeriod: string
  horizon: number
  effect?: number
  outcome: Outcome
  donors: 'all' | 'municipality'
  maxDonors: number
  seed: number
}

/**
 * Minimum detectable effect of a planned intervention ({@link simulatePower}) on the history
 * before its start: candidate areas with gaps are left out with a warning; the donors are the
 * `maxDonors` never-treated neighbourhoods with complete history closest to the candidates'
 * mean rate path, as for the effects.
 */
export async function interventionPower(
  repository: InterventionsRepository,
  request: PowerRequestOptions,
): Promise<PowerResult> {
  const historyEnd = shiftPeriod(request.startPeriod, -1)
  const municipality = municipalityCode(request.areas[0])
  const [snapshots, treatedAnywhere] = await Promise.all([
    repository.neighbourhoodPanel({
      municipality: request.donors === 'municipality' ? municipality : undefined,
      to: historyEnd,
    }),
    repository.treatedAreaCodes(),
  ])
  const panel = buildPanel(snapshots)
  const warnings: string[] = []
  const candidates: { id: string; outcome: number[]; population: number }[] = []
  for (const code of request.areas) {
    const area = panel.areas.get(code)
    const rates = area ? rateSeries(area, request.outcome) : []
    if (!area || !isComplete(rates)) {
      warnings.push(
        `${code} left out: no complete history of ${request.outcome} before ${request.startPeriod}`,
      )
      continue
    }
    candidates.push({ id: code, outcome: rates, population: meanOf(area.population) })
  }
  if (candidates.length === 0) {
    throw notEstimable(`no candidate area has a complete history before ${request.startPeriod}`)
  }
  const candidateSet = new Set(request.areas)
  const controls = new Map<string, number[]>()
  for (const [code, area] of panel.areas) {
    if (candidateSet.has(code) || treatedAnywhere.has(code)) continue
    const rates = rateSeries(area, request.outcome)
    if (isComplete(rates)) controls.set(code, rates)
  }
  const donorIds = closestDonors(
    candidates.map((unit) => unit.outcome),
    controls,
    panel.periods.length,
    request.maxDonors,
  )
  const donors = donorIds.map((code) => ({
    id: code,
    outcome: controls.get(code)!,
    population: meanOf(panel.areas.get(code)!.population),
  }))
  let result
  try {
    result = simulatePower(candidates, donors, {
      horizon: request.horizon,
      effect: request.effect,
      seed: request.seed,
    })
  } catch (error) {
    if (error instanceof RangeError || error instanceof TypeError) throw notEstimable(error.message)
    throw error
  }
  return {
    mde_relative: result.mdeRelative,
    mde_absolute: result.mdeAbsolute,
    baseline_rate: result.baselineRate,
    power_at_effect: result.powerAtEffect,
    effect: request.effect ?? null,
    alpha: result.alpha,
    target_power: result.targetPower,
    n_areas: candidates.length,
    n_donors: donors.length,
    n_windows: result.windowCount,
    pre_quarters: result.preLength,
    horizon_quarters: result.horizon,
    history_from: panel.periods[0],
    history_to: panel.periods[panel.periods.length - 1],
    seed: result.seed,
    curve: result.curve.map((point) => ({
      relative_effect: point.relativeEffect,
      power: point.power,
    })),
    warnings: [...warnings, ...result.warnings],
  }
}

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
import { discloseForViewer, type DisclosureThresholds } from '../domain/disclosure.js'
import { AppError, badRequest } from '../errors.js'
import type { AreasRepository } from '../plugins/app/areas/areas-repository.js'
import type {
  InterventionAreaRow,
  InterventionRecord,
  InterventionsRepository,
  NeighbourhoodPanel,
} from '../plugins/app/interventions/interventions-repository.js'
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

/** What viewer disclosure needs beside the exact result: the treated areas' exact cells. */
interface DisclosureCells {
  areas: {
    area_code: string
    start_index: number
    counts: number[]
    populations: number[]
    /** The cells of a donor carrying at least half the weight, for the synthetic series. */
    dominant_counts: number[] | null
    dominant_populations: number[] | null
  }[]
}

/** The cached payload: the exact result (without computed_at) and the disclosure cells. */
interface EffectsPayload {
  effects: Omit<Effects, 'computed_at' | 'data_version'>
  cells: DisclosureCells
}

export interface EffectsAnswer {
  effects: Effects
  cells: DisclosureCells
  fromCache: boolean
}

/**
 * The effects of an intervention, from the cache when the intervention, method, options and
 * data version match, else estimated and cached.
 */
export async function interventionEffects(
  repository: InterventionsRepository,
  intervention: InterventionRecord,
  options: EffectsOptions,
): Promise<EffectsAnswer> {
  const dataVersion = await repository.dataVersion()
  const key = {
    interventionId: intervention.id,
    method: options.method,
    optionsKey: JSON.stringify({
      outcome: options.outcome,
      donors: options.donors,
      max_donors: options.maxDonors,
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
      cells: payload.cells,
      fromCache: true,
    }
  }
  const payload = await estimateEffects(repository, intervention, options, dataVersion)
  const computedAt = new Date()
  await repository.storeEffects(key, payload, computedAt)
  return {
    effects: {
      ...payload.effects,
      data_version: dataVersion,
      computed_at: computedAt.toISOString(),
    },
    cells: payload.cells,
    fromCache: false,
  }
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
  dataVersion: string,
): Promise<EffectsPayload> {
  const warnings: string[] = []
  const ends = intervention.areas.map((area) => area.end_period)
  const panelEnd = ends.every((end) => end !== null)
    ? (ends as string[]).reduce((a, b) => (a > b ? a : b))
    : undefined
  if (panelEnd && new Set(ends).size > 1) {
    warnings.push(
      `treated areas end at different quarters: the panel ends at the last, ${panelEnd}`,
    )
  }
  const [panel, treatedAnywhere] = await Promise.all([
    readPanel(
      repository,
      {
        municipality: options.donors === 'municipality' ? intervention.municipality : undefined,
        to: panelEnd,
      },
      dataVersion,
    ),
    repository.treatedAreaCodes(),
  ])
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
  const cellsOf = (dominant: Map<string, string | null>): DisclosureCells => ({
    areas: treated.map((area) => {
      const source = panel.areas.get(area.code) as PanelArea
      const dominantCode = dominant.get(area.code) ?? null
      const donor = dominantCode ? (panel.areas.get(dominantCode) as PanelArea) : undefined
      return {
        area_code: area.code,
        start_index: area.startIndex,
        counts: Array.from(source.counts[options.outcome]),
        populations: Array.from(source.population),
        dominant_counts: donor ? Array.from(donor.counts[options.outcome]) : null,
        dominant_populations: donor ? Array.from(donor.population) : null,
      }
    }),
  })
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
      cells: cellsOf(new Map()),
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
  const dominant = new Map<string, string | null>()
  const byArea: AreaEffect[] = estimates.map((estimate) => {
    const top = estimate.donors[0]
    dominant.set(estimate.id, top && top.weight >= 0.5 ? top.id : null)
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
    cells: cellsOf(dominant),
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

interface CellRow {
  area_code: string
  /** Index of the quarter in the panel (the table of secondary suppression). */
  period: string
  count: number
  youth_population: number
  rate: number | null
}

interface HiddenRow {
  hidden_pre: number | null
  hidden_post: number | null
  base: number
  att: number | null
  pre_rmspe: number | null
  post_rmspe: number | null
  ci_low: number | null
  ci_high: number | null
  p_value: number | null
}

/**
 * What a viewer sees of an effects result (DESIGN.md §5), through the one disclosure module:
 *
 * - a treated area's quarterly observed rate is a rate of a count: it is null where the snapshot
 *   rule would suppress it (count below AANWAS_MIN_CELL, base below AANWAS_MIN_BASE, or secondary
 *   suppression among the treated areas of the same quarter). Such a cell is "hidden";
 * - every value computed from hidden cells reveals them in combination with the series (e.g. the
 *   mean post gap plus the synthetic series gives the sum of the post counts), so it is suppressed
 *   when the hidden cells it covers sum to less than AANWAS_MIN_CELL (a sum of 10 or more is a
 *   count CBS would publish), or when its population base is below AANWAS_MIN_BASE: per area
 *   `att` and `post_rmspe` (post-period cells; for DiD `att` also the pre-period cells),
 *   `pre_rmspe` (pre-period cells), the overall effect (all treated cells it uses) and each event
 *   time (the cells at that event time). Suppressed fields are null and listed in `suppressed`;
 * - secondary: when exactly one treated area's effect is suppressed, the overall effect is too
 *   (it and the other areas' effects would give the suppressed one away);
 * - a synthetic series dominated by one donor (weight ≥ 0.5) is essentially that donor's own rate:
 *   it is null where that donor's cell would be hidden;
 * - donor codes and weights, p-values of ranks, counts of donors and periods are shown as they are.
 */
export function viewerEffects(
  effects: Effects,
  cells: DisclosureCells,
  thresholds: DisclosureThresholds,
): Effects {
  const cellRows: CellRow[] = []
  for (const area of cells.areas) {
    area.counts.forEach((count, t) => {
      const population = area.populations[t]
      cellRows.push({
        area_code: area.area_code,
        period: String(t),
        count,
        youth_population: population,
        rate: population > 0 ? count / population : null,
      })
    })
  }
  const disclosed = discloseForViewer(
    cellRows,
    {
      counts: ['count'],
      populations: ['youth_population'],
      derived: [{ field: 'rate', from: ['count'], base: (row) => row.youth_population }],
      group: (row) => row.period,
      identity: (row) => row.area_code,
    },
    thresholds,
  )
  const hiddenOf = new Map<string, boolean[]>()
  disclosed.forEach((row, index) => {
    const list = hiddenOf.get(row.area_code) ?? []
    list.push((row.suppressed ?? []).includes('rate') || cellRows[index].rate === null)
    hiddenOf.set(row.area_code, list)
  })
  const isDid = effects.method === 'did'
  const hiddenSum = (
    area: DisclosureCells['areas'][number],
    keep: (t: number) => boolean,
  ): number | null => {
    const hidden = hiddenOf.get(area.area_code) ?? []
    let sum: number | null = null
    area.counts.forEach((count, t) => {
      if (hidden[t] && keep(t)) sum = (sum ?? 0) + count
    })
    return sum
  }
  const cellsByArea = new Map(cells.areas.map((area) => [area.area_code, area]))
  const minPopulation = (area: DisclosureCells['areas'][number]) => Math.min(...area.populations)
  const spec = (withInterval: boolean) => ({
    counts: ['hidden_pre', 'hidden_post'] as const,
    derived: [
      {
        field: 'att' as const,
        from: isDid ? (['hidden_pre', 'hidden_post'] as const) : (['hidden_post'] as const),
        base: (row: HiddenRow) => row.base,
      },
      {
        field: 'post_rmspe' as const,
        from: ['hidden_post'] as const,
        base: (row: HiddenRow) => row.base,
      },
      {
        field: 'pre_rmspe' as const,
        from: ['hidden_pre'] as const,
        base: (row: HiddenRow) => row.base,
      },
      ...(withInterval
        ? [
            {
              field: 'ci_low' as const,
              from: ['hidden_pre', 'hidden_post'] as const,
              base: (row: HiddenRow) => row.base,
            },
            {
              field: 'ci_high' as const,
              from: ['hidden_pre', 'hidden_post'] as const,
              base: (row: HiddenRow) => row.base,
            },
          ]
        : []),
    ],
  })
  const publicFields = (suppressed: readonly string[] | undefined) =>
    (suppressed ?? []).filter((field) => !field.startsWith('hidden_'))

  // ---- per area ----
  const byArea = effects.by_area.map((entry) => {
    const area = cellsByArea.get(entry.area_code)
    if (!area) return entry
    const start = area.start_index
    const [row] = discloseForViewer<HiddenRow>(
      [
        {
          hidden_pre: hiddenSum(area, (t) => t < start),
          hidden_post: hiddenSum(area, (t) => t >= start),
          base: minPopulation(area),
          att: entry.att,
          pre_rmspe: entry.pre_rmspe,
          post_rmspe: entry.post_rmspe,
          ci_low: null,
          ci_high: null,
          p_value: entry.p_value,
        },
      ],
      spec(false),
      thresholds,
    )
    const hidden = hiddenOf.get(entry.area_code) ?? []
    const dominantHidden = (t: number) => {
      if (!area.dominant_counts || !area.dominant_populations) return false
      const population = area.dominant_populations[t]
      return !(population >= thresholds.minBase && area.dominant_counts[t] >= thresholds.minCell)
    }
    const suppressed = publicFields(row.suppressed)
    const series = entry.series?.map((point, t) => ({
      period: point.period,
      observed: hidden[t] ? null : point.observed,
      synthetic: dominantHidden(t) ? null : point.synthetic,
    }))
    if (series?.some((point) => point.observed === null)) suppressed.push('series.observed')
    if (series?.some((point) => point.synthetic === null)) suppressed.push('series.synthetic')
    return {
      ...entry,
      att: row.att,
      pre_rmspe: row.pre_rmspe,
      post_rmspe: row.post_rmspe,
      ...(series ? { series } : {}),
      ...(suppressed.length > 0 ? { suppressed } : {}),
    }
  })

  // ---- overall and event study ----
  const totalBase = cells.areas.reduce((sum, area) => sum + minPopulation(area), 0)
  const sumOver = (keep: (area: DisclosureCells['areas'][number], t: number) => boolean) => {
    let sum: number | null = null
    for (const area of cells.areas) {
      const part = hiddenSum(area, (t) => keep(area, t))
      if (part !== null) sum = (sum ?? 0) + part
    }
    return sum
  }
  const aggregateRow = (
    value: {
      att: number | null
      ci_low: number | null
      ci_high: number | null
      p_value?: number | null
    },
    hidden: number | null,
    base: number,
  ) => {
    const [row] = discloseForViewer<HiddenRow>(
      [
        {
          hidden_pre: hidden,
          hidden_post: hidden,
          base,
          att: value.att,
          pre_rmspe: null,
          post_rmspe: null,
          ci_low: value.ci_low,
          ci_high: value.ci_high,
          p_value: value.p_value ?? null,
        },
      ],
      spec(true),
      thresholds,
    )
    return { row, suppressed: publicFields(row.suppressed) }
  }
  const overallHidden = sumOver((area, t) => isDid || t >= area.start_index)
  const overall = aggregateRow(effects.overall, overallHidden, totalBase)
  // with every other area's effect shown, the overall effect would give away the one suppressed
  const suppressedAreas = byArea.filter(
    (entry) => entry.att === null && cellsByArea.has(entry.area_code),
  ).length
  if (suppressedAreas === 1 && effects.by_area.length > 0) {
    overall.row.att = null
    overall.row.ci_low = null
    overall.row.ci_high = null
    for (const field of ['att', 'ci_high', 'ci_low']) {
      if (!overall.suppressed.includes(field)) overall.suppressed.push(field)
    }
    overall.suppressed.sort()
  }
  const eventStudy = effects.event_study.map((entry) => {
    const hidden = sumOver((area, t) => t - area.start_index === entry.event_time)
    const base = cells.areas
      .filter((area) => {
        const t = area.start_index + entry.event_time
        return t >= 0 && t < area.counts.length
      })
      .reduce((sum, area) => sum + minPopulation(area), 0)
    const { row, suppressed } = aggregateRow(entry, hidden, base)
    return {
      event_time: entry.event_time,
      att: row.att,
      ci_low: row.ci_low,
      ci_high: row.ci_high,
      ...(suppressed.length > 0 ? { suppressed } : {}),
    }
  })
  return {
    ...effects,
    overall: {
      att: overall.row.att,
      ci_low: overall.row.ci_low,
      ci_high: overall.row.ci_high,
      p_value: effects.overall.p_value,
      ...(overall.suppressed.length > 0 ? { suppressed: overall.suppressed } : {}),
    },
    by_area: byArea,
    event_study: eventStudy,
  }
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

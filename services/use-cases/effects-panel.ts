import { baseColumn, countColumns } from '../../models/vocabulary/indicators.js'
import { roundToMultiple, type DisclosureThresholds } from '../domain/disclosure.js'
import { AppError } from '../errors.js'
import type { SnapshotsRepository } from '../repositories/snapshots-repository.js'
import { areaSeriesOf, type SnapshotPanel } from '../db/snapshot-panel.js'
import type { Outcome } from '../schemas/interventions.js'

/**
 * The neighbourhood × quarter panel the intervention use cases (effects, power) estimate on:
 * the shared panel (services/db/snapshot-panel.ts) with a quarter index, a cache of the last panel
 * read, the rate series and completeness checks both use cases apply, and the rounded panel a
 * viewer's estimate is made on.
 */

/** Error code when the data cannot support an estimate (no eligible treated area, no donors). */
export const notEstimable = (message: string) => new AppError(422, 'not_estimable', message)

/** A wide panel of neighbourhoods over consecutive quarters; NaN marks a missing value. */
export interface Panel {
  periods: string[]
  indexOf: Map<string, number>
  /** Ascending by code. */
  areas: Map<string, PanelArea>
}

export interface PanelArea {
  code: string
  population: Float64Array
  counts: Record<Outcome, Float64Array>
}

/** The shared panel with a quarter index; each series is a view of the panel's arrays. */
export function buildPanel(snapshots: SnapshotPanel): Panel {
  const areas = new Map<string, PanelArea>()
  snapshots.areas.forEach((area, position) => {
    const series = areaSeriesOf(snapshots, position)
    areas.set(area.area_code, {
      code: area.area_code,
      population: series[baseColumn],
      counts: Object.fromEntries(countColumns.map((column) => [column, series[column]])) as Record<
        Outcome,
        Float64Array
      >,
    })
  })
  return {
    periods: [...snapshots.periods],
    indexOf: new Map(snapshots.periodIndex),
    areas,
  }
}

/** How long a cached panel is kept without being used. */
const panelIdleMs = 10 * 60 * 1000

interface CachedPanel {
  key: string
  panel: Promise<Panel>
  expiry: NodeJS.Timeout
}

/** The last panel read through each repository (so per database), see {@link readPanel}. */
const panelCache = new WeakMap<SnapshotsRepository, CachedPanel>()

/**
 * The neighbourhood panel of a filter at a data version, read once through the shared reader and
 * kept: at national scale (14,000 neighbourhoods × 48 quarters, about 35 MB in memory) the read
 * is a large part of an estimate, and the two methods of an intervention, or interventions
 * estimated one after another, read the same panel; a request arriving while the read runs waits
 * for it. Only the last panel is kept, for {@link panelIdleMs} after its last use. The data
 * version changes with every upload that changes a snapshot, so a cached panel is never stale;
 * its users only read it.
 */
export function readPanel(
  repository: SnapshotsRepository,
  filter: { municipality?: string; to?: string },
  dataVersion: string,
): Promise<Panel> {
  const key = JSON.stringify([dataVersion, filter.municipality ?? null, filter.to ?? null])
  let cached = panelCache.get(repository)
  if (cached?.key === key) {
    cached.expiry.refresh()
  } else {
    if (cached) clearTimeout(cached.expiry)
    const panel = repository
      .currentPanel({ municipality: filter.municipality, to: filter.to })
      .then(buildPanel)
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
export function rateSeries(area: PanelArea, column: Outcome): number[] {
  const counts = area.counts[column]
  return Array.from(area.population, (population, t) =>
    population > 0 && Number.isFinite(counts[t]) ? counts[t] / population : Number.NaN,
  )
}

export const isComplete = (series: readonly number[]) =>
  series.every((value) => Number.isFinite(value))

/** The mean of `values[from … to − 1]`, summed in order. */
export function meanOf(values: ArrayLike<number>, from = 0, to = values.length): number {
  let sum = 0
  for (let t = from; t < to; t++) sum += values[t]
  return sum / (to - from)
}

/**
 * The panel with every count and youth population rounded as the disclosure module rounds them:
 * the table a viewer's estimate is computed from (services/domain/effects-disclosure.ts).
 */
export function roundedPanel(panel: Panel, thresholds: DisclosureThresholds): Panel {
  const round = (series: Float64Array) =>
    series.map((value) =>
      Number.isFinite(value) ? roundToMultiple(value, thresholds.roundTo) : value,
    )
  const areas = new Map<string, PanelArea>()
  for (const [code, area] of panel.areas) {
    areas.set(code, {
      code,
      population: round(area.population),
      counts: Object.fromEntries(
        countColumns.map((column) => [column, round(area.counts[column])]),
      ) as PanelArea['counts'],
    })
  }
  return { periods: panel.periods, indexOf: panel.indexOf, areas }
}

/** A treated area of an intervention that can be estimated: complete data, a pre- and a post-period. */
export interface TreatedArea {
  code: string
  /** Index in the panel's quarters of its start. */
  startIndex: number
  /** Its outcome rate per quarter of the panel, complete. */
  rates: number[]
  /** Its mean youth population over the pre-period (the weight of population-weighted means). */
  population: number
}

/**
 * The treated areas of an intervention that an estimate can use, ascending by code: each with
 * snapshots, a start after the panel's first quarter (a pre-period) and within it (a
 * post-period), and a complete rate of the outcome. Every area left out adds a warning saying why.
 */
export function treatedAreasOf(
  panel: Panel,
  areas: readonly { area_code: string; start_period: string }[],
  outcome: Outcome,
  warnings: string[],
): TreatedArea[] {
  const { periods } = panel
  const treated: TreatedArea[] = []
  for (const area of areas) {
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
    const rates = rateSeries(series, outcome)
    if (!isComplete(rates)) {
      const missing = periods.filter((_, t) => !Number.isFinite(rates[t]))
      warnings.push(
        `${area.area_code} skipped: missing ${outcome} or youth population in ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}`,
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
  return treated.sort((a, b) => (a.code < b.code ? -1 : 1))
}

/**
 * The comparison areas: every neighbourhood of the panel not excluded (treated by any
 * intervention, or a candidate of a planned one) with a complete rate of the outcome, in panel
 * order (ascending by code), and how many were left out for gaps.
 */
export function completeControls(
  panel: Panel,
  excluded: (code: string) => boolean,
  outcome: Outcome,
): { controls: Map<string, number[]>; withGaps: number } {
  const controls = new Map<string, number[]>()
  let withGaps = 0
  for (const [code, area] of panel.areas) {
    if (excluded(code)) continue
    const rates = rateSeries(area, outcome)
    if (isComplete(rates)) controls.set(code, rates)
    else withGaps++
  }
  return { controls, withGaps }
}

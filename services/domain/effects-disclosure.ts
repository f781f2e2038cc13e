import type { CountColumn } from '../../models/vocabulary/indicators.js'
import type { Effects } from '../schemas/interventions.js'
import { parentCode } from './areas.js'
import { discloseForViewer, type DisclosureThresholds } from './disclosure.js'
import { rate } from './rates.js'

/**
 * What a viewer sees of an intervention's effects (DESIGN.md §5; issue 14, finding 3: from each
 * treated area's effect and its shown synthetic series, Σ count_t / population_t was known, and a
 * small search over counts pinned suppressed quarters).
 *
 * The viewer's estimate is made by the effects use case on the **rounded panel** (every count and
 * youth population of every area rounded), donors, weights, placebos and inference included, so
 * every number is a function of the rounded table. What this module adds is the rule for values
 * that rest on one treated area's cells, which rounding alone does not protect:
 *
 * - per treated area, `att`, `p_value`, `pre_rmspe`, `post_rmspe` and the quarterly `series`
 *   (observed and synthetic) are withheld (null, listed in `suppressed`) when any of the area's
 *   outcome cells in the panel is withheld in the viewer's snapshot table
 *   ({@link withheldOutcomeCells}); its donors and weights stay;
 * - each event-study value is withheld when any treated area's cell at that event time is;
 * - the overall effect stays when it is computed over at least {@link minimumTreatedForViewers}
 *   treated areas; else it is withheld.
 *
 * Pure: the caller reads the panel and estimates; nothing here touches the database.
 */

/**
 * The smallest number of treated areas whose overall effect a viewer sees (the minimum number of
 * contributors of statistical disclosure practice): with fewer, the overall effect is one or two
 * areas' own effect.
 */
export const minimumTreatedForViewers = 3

/** An effects result before its data version and time are stamped on it. */
export type EffectsEstimate = Omit<Effects, 'computed_at' | 'data_version'>

/** The exact neighbourhood panel the withheld cells are read from; NaN marks a missing value. */
export interface OutcomeCellsPanel {
  /** The quarters, ascending. */
  readonly periods: readonly string[]
  /** Per neighbourhood code, its youth population and counts per quarter. */
  readonly areas: ReadonlyMap<
    string,
    {
      readonly population: ArrayLike<number>
      readonly counts: Readonly<Record<CountColumn, ArrayLike<number>>>
    }
  >
}

/** Which treated cells a viewer's snapshot table withholds. */
export interface WithheldOutcomeCells {
  /** The panel's quarters, ascending: the index of `cells`. */
  readonly periods: readonly string[]
  /** Per treated area, per quarter: true when the viewer's table withholds its outcome rate. */
  readonly cells: ReadonlyMap<string, readonly boolean[]>
}

/**
 * Per treated area, per quarter of the panel: whether a viewer's snapshot table withholds the
 * area's outcome rate there (its count below minCell, its base below minBase, or secondary
 * suppression within its district and quarter) — the cells a viewer's per-area values must not
 * rest on. The snapshot table's own rule ({@link discloseForViewer}) decides, on the exact
 * panel, over every neighbourhood of the treated areas' districts (secondary suppression needs
 * the whole district); the district of a neighbourhood is its parent code (DESIGN.md §1). A
 * quarter in which an area has no row counts as withheld.
 */
export function withheldOutcomeCells(
  panel: OutcomeCellsPanel,
  treatedCodes: readonly string[],
  outcome: CountColumn,
  thresholds: DisclosureThresholds,
): WithheldOutcomeCells {
  const districtOf = (code: string) => parentCode(code) ?? code
  const districts = new Set(treatedCodes.map(districtOf))
  interface CellRow {
    area_code: string
    period: string
    count: number | null
    base: number
    rate: number | null
  }
  const rows: CellRow[] = []
  for (const [code, area] of panel.areas) {
    if (!districts.has(districtOf(code))) continue
    const counts = area.counts[outcome]
    panel.periods.forEach((period, t) => {
      const count = Number.isFinite(counts[t]) ? counts[t] : null
      const base = Number.isFinite(area.population[t]) ? area.population[t] : 0
      rows.push({ area_code: code, period, count, base, rate: rate(count, base) })
    })
  }
  const disclosed = discloseForViewer(
    rows,
    {
      basis: 'cells',
      counts: ['count'],
      populations: ['base'],
      derived: [
        {
          field: 'rate',
          from: ['count'],
          base: (row) => row.base,
          fromRounded: (rounded) => rate(rounded.count, rounded.base),
        },
      ],
      group: (row) => `${districtOf(row.area_code)}|${row.period}`,
      identity: (row) => row.area_code,
    },
    thresholds,
  )
  const indexOf = new Map(panel.periods.map((period, index) => [period, index]))
  const cells = new Map<string, boolean[]>(
    treatedCodes.map((code) => [code, new Array<boolean>(panel.periods.length).fill(true)]),
  )
  for (const row of disclosed) {
    const withheld = cells.get(row.area_code)
    if (withheld) withheld[indexOf.get(row.period)!] = row.rate === null
  }
  return { periods: panel.periods, cells }
}

const areaFields = ['att', 'p_value', 'pre_rmspe', 'post_rmspe'] as const

/**
 * The viewer's effects: `effects` (estimated on the rounded panel) with every value that rests on
 * a withheld treated cell withheld, by the rules at the top of this module. A treated area or
 * start quarter missing from `withheld` counts as withheld. Returns a new object; `effects` is
 * not changed.
 */
export function effectsForViewer(
  effects: EffectsEstimate,
  withheld: WithheldOutcomeCells,
): EffectsEstimate {
  const periodCount = withheld.periods.length
  const indexOf = new Map(withheld.periods.map((period, index) => [period, index]))
  const isWithheld = (code: string, t: number) => withheld.cells.get(code)?.[t] ?? true

  const byArea = effects.by_area.map((entry) => {
    const anyWithheld = withheld.cells.has(entry.area_code)
      ? withheld.cells.get(entry.area_code)!.some(Boolean)
      : true
    if (!anyWithheld) return entry
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
    const fedBySuppressed = effects.by_area.some(({ area_code, start_period }) => {
      const start = indexOf.get(start_period)
      if (start === undefined) return true
      const t = start + entry.event_time
      return t >= 0 && t < periodCount && isWithheld(area_code, t)
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
  return { ...effects, overall, by_area: byArea, event_study: eventStudy }
}

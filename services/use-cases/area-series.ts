import { baseColumn, countColumns } from '../../models/vocabulary/indicators.js'
import type {
  AreaQuarter,
  AreaSeries,
  NeighbourhoodSeries,
  QuarterCounts,
} from '../domain/trend-shapes.js'
import { areaRowsOf, type SnapshotPanel } from '../db/snapshot-panel.js'
import type { AreaLevel } from '../domain/areas.js'
import type { RiskRepository } from '../repositories/risk-repository.js'
import type { SnapshotsRepository } from '../repositories/snapshots-repository.js'

/**
 * The series the trend routes read (DESIGN.md §3 `GET /v1/areas/:code/trend`, `GET /v1/trends`),
 * from the shared panel (services/db/snapshot-panel.ts) and the published model's scores.
 */

export interface SeriesDependencies {
  snapshotsRepository: SnapshotsRepository
  riskRepository: RiskRepository
}

/** Every area of a panel with its rows, in code order. */
function seriesOfPanel(panel: SnapshotPanel): NeighbourhoodSeries[] {
  return panel.areas.map((area, position) => ({
    area_code: area.area_code,
    area_name: area.area_name,
    parent_code: area.parent_code,
    quarters: areaRowsOf(panel, position),
  }))
}

/**
 * Every neighbourhood's current quarterly rows, of a municipality or a district (both optional:
 * an admin's national list) and up to `upTo` inclusive; neighbourhoods without a row in range are
 * left out. In code order.
 */
export async function neighbourhoodSeries(
  dependencies: SeriesDependencies,
  filter: { municipality?: string; district?: string; upTo?: string },
): Promise<NeighbourhoodSeries[]> {
  const panel = await dependencies.snapshotsRepository.currentPanel({
    municipality: filter.municipality,
    district: filter.district,
    to: filter.upTo,
  })
  return seriesOfPanel(panel)
}

/**
 * The quarterly series of an area: its own current snapshots when it has any (unless
 * `sumOverNeighbourhoods`); otherwise (a district or municipality fed only through its
 * neighbourhoods) the sum over its neighbourhoods, a district's being its children, a
 * municipality's every neighbourhood with its municipality code.
 *
 * Sums never turn a missing value into 0 (DESIGN.md §1, issue 6 item 4):
 * - the members are the area's neighbourhoods that have at least one current snapshot;
 * - a quarter enters the sum only when EVERY member has a row for it (a quarter missing in one
 *   neighbourhood is a gap of the aggregate, not a smaller total);
 * - the youth population is the sum over all members; each count is the sum over all members
 *   when every member delivered it, else NULL (never a partial sum), so a rate is always a count
 *   and a population over the same neighbourhoods;
 * - `risk` is the population-weighted mean of the members' scores, Σ risk·n / Σ n (the expected
 *   number of suspects over the population: a rate from sums), and NULL unless every member has
 *   a score for the quarter.
 * Risk comes from `run`: the published run with horizon 0 that `GET /v1/risk` serves.
 */
export async function areaSeries(
  dependencies: SeriesDependencies,
  area: { area_code: string; level: AreaLevel },
  run: { id: string } | undefined,
  options: { sumOverNeighbourhoods?: boolean } = {},
): Promise<AreaSeries> {
  const { snapshotsRepository, riskRepository } = dependencies
  const ownPanel = await snapshotsRepository.currentPanel({ areas: [area.area_code] })
  const own = ownPanel.areas.length > 0 ? areaRowsOf(ownPanel, 0) : []
  if ((own.length > 0 && !options.sumOverNeighbourhoods) || area.level === 'neighbourhood') {
    const risk = run ? await riskRepository.riskOf(run.id, [area.area_code]) : new Map()
    return {
      aggregated: false,
      quarters: own.map((quarter) => ({
        ...quarter,
        risk: risk.get(area.area_code)?.get(quarter.period) ?? null,
      })),
    }
  }
  const members = seriesOfPanel(
    await snapshotsRepository.currentPanel(
      area.level === 'district' ? { district: area.area_code } : { municipality: area.area_code },
    ),
  )
  const risk = run
    ? await riskRepository.riskOf(
        run.id,
        members.map((member) => member.area_code),
      )
    : new Map<string, Map<string, number>>()
  return { aggregated: true, quarters: summedQuarters(members, risk) }
}

/** The exact sum over `members` under the rules of {@link areaSeries}. */
export function summedQuarters(
  members: readonly NeighbourhoodSeries[],
  risk: ReadonlyMap<string, ReadonlyMap<string, number>>,
): AreaQuarter[] {
  const byPeriod = new Map<string, Array<{ quarter: QuarterCounts; risk: number | null }>>()
  for (const member of members) {
    const scores = risk.get(member.area_code)
    for (const quarter of member.quarters) {
      const list = byPeriod.get(quarter.period) ?? []
      list.push({ quarter, risk: scores?.get(quarter.period) ?? null })
      byPeriod.set(quarter.period, list)
    }
  }
  const sums: AreaQuarter[] = []
  for (const [period, entries] of byPeriod) {
    if (entries.length !== members.length) continue
    const population = entries.reduce((sum, entry) => sum + entry.quarter[baseColumn], 0)
    const sum = { period, [baseColumn]: population, risk: null } as AreaQuarter
    for (const column of countColumns) {
      sum[column] = entries.every((entry) => entry.quarter[column] !== null)
        ? entries.reduce((total, entry) => total + (entry.quarter[column] as number), 0)
        : null
    }
    if (population > 0 && entries.every((entry) => entry.risk !== null)) {
      sum.risk =
        entries.reduce((total, entry) => total + entry.risk! * entry.quarter[baseColumn], 0) /
        population
    }
    sums.push(sum)
  }
  return sums.sort((a, b) => (a.period < b.period ? -1 : 1))
}

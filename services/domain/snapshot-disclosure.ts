import {
  baseColumn,
  countColumns,
  indicatorVocabulary,
  type CountColumn,
  type RateField,
} from '../../models/vocabulary/indicators.js'
import type { Snapshot } from '../schemas/snapshots.js'
import type { StoredSnapshot } from './records.js'
import { rate } from './rates.js'
import {
  discloseForViewer,
  flagUnreliable,
  type DisclosureSpec,
  type DisclosureThresholds,
} from './disclosure.js'

type SnapshotWithArea = Snapshot & { area_code: string }

/** Each rate of a snapshot and the count it is made from (count / youth_population). */
export const rateOfCount: ReadonlyArray<readonly [RateField, CountColumn]> =
  indicatorVocabulary.counts.map((entry) => [entry.rate, entry.column] as const)

/** How a snapshot's fields relate for disclosure control: each rate comes from its count. */
export const snapshotDisclosureSpec: DisclosureSpec<SnapshotWithArea> = {
  basis: 'cells',
  counts: countColumns,
  populations: [baseColumn],
  // a viewer's rate is the rounded count over the rounded base (CBS practice)
  derived: rateOfCount.map(([field, count]) => ({
    field,
    from: [count],
    base: (row: SnapshotWithArea) => row[baseColumn],
    fromRounded: (rounded: SnapshotWithArea) => rate(rounded[count], rounded[baseColumn]),
  })),
  group: (row) => row.period,
  identity: (row) => row.area_code,
}

/** The API shape of a stored row, rates computed from the exact counts. */
export function snapshotResource(row: StoredSnapshot): SnapshotWithArea {
  const base = row[baseColumn]
  const resource = {
    area_code: row.area_code,
    period: row.period,
    [baseColumn]: base,
  } as SnapshotWithArea
  for (const column of countColumns) resource[column] = row[column]
  for (const [rateField, count] of rateOfCount) resource[rateField] = rate(row[count], base)
  resource.batch_id = row.batch_id
  resource.recorded_at = new Date(row.recorded_at).toISOString()
  return resource
}

function withoutArea({
  area_code: _area,
  ...snapshot
}: SnapshotWithArea & { suppressed?: string[]; unreliable?: boolean }): Snapshot {
  return snapshot
}

/**
 * Exact values flagged `unreliable` on a small base, for analysts and admins.
 */
export function exactSnapshots(
  rows: readonly StoredSnapshot[],
  thresholds: DisclosureThresholds,
): Snapshot[] {
  return flagUnreliable(rows.map(snapshotResource), snapshotDisclosureSpec, thresholds).map(
    withoutArea,
  )
}

/**
 * A viewer's view of one area's rows. `table` holds the rows of every neighbourhood of the same
 * district at the same periods (the area's own included) so secondary suppression sees the whole
 * district; for districts and municipalities it is just the area's rows. `linkedPeriods`: periods
 * at which a district's or municipality's own counts are withheld because its neighbourhoods have
 * rows there too (its total minus the shown neighbourhoods would give a suppressed one away);
 * they are null and listed, the population stays.
 */
export function viewerSnapshots(
  areaCode: string,
  rows: readonly StoredSnapshot[],
  table: readonly StoredSnapshot[],
  thresholds: DisclosureThresholds,
  linkedPeriods: ReadonlySet<string> = new Set(),
): Snapshot[] {
  const source = table.some((row) => row.area_code === areaCode) ? table : rows
  const disclosed = discloseForViewer(
    source.map(snapshotResource),
    snapshotDisclosureSpec,
    thresholds,
  )
  const byPeriod = new Map(
    disclosed.filter((row) => row.area_code === areaCode).map((row) => [row.period, row]),
  )
  return rows.map((row) => {
    const shown = byPeriod.get(row.period)!
    if (!linkedPeriods.has(row.period)) return withoutArea(shown)
    const withheld: Record<string, null> = {}
    const listed = new Set(shown.suppressed ?? [])
    for (const [rateField, count] of rateOfCount) {
      if (row[count] === null) continue // not delivered: null, not listed
      withheld[count] = null
      withheld[rateField] = null
      listed.add(count)
      listed.add(rateField)
    }
    return withoutArea({ ...shown, ...withheld, suppressed: [...listed].sort() })
  })
}

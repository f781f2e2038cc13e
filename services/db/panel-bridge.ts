import type { Crosswalk, CrosswalkShare } from '../../models/geography/crosswalk.js'
import { valueColumns, type ValueColumn } from '../../models/vocabulary/indicators.js'
import type { PanelArea, SnapshotPanel } from './snapshot-panel.js'

/**
 * The panel read in one target CBS division (issue 16, "bridged reads"): every stored row of
 * an area, in the division of its quarter's year, is carried into the target division through
 * the crosswalk (models/geography/crosswalk.ts) — its counts and youth population multiplied by
 * each share's weight and added into the target area's quarter — so a district split in 2023
 * has a history before 2023, and a merged one the sum of what it absorbed. Rates are then
 * recomputed by the readers from the bridged counts over the bridged bases, as for stored rows.
 *
 * A quarter's values are NULL (NaN) in the target when any row carried into it had that count
 * NULL: a sum with an unknown term is unknown. Rows of years after the target division are
 * taken as stored (links only carry forward). A bridged count is a weighted sum, not a whole
 * number; tests that need whole counts round it and say so.
 */
export interface BridgedPanel extends SnapshotPanel {
  /** the division the series are read in */
  geographyYear: number
  /** 1 where a cell's values came through a link that changed the code or apportioned */
  bridged: Uint8Array
  /** per cell, the smallest link weight behind a bridged value (1 elsewhere) */
  smallestWeight: Float64Array
}

const yearOf = (period: string) => Number(period.slice(0, 4))

/**
 * @param panel the stored panel (each row under its own code)
 * @param areaOf the target division's description of a code (name, parent, municipality)
 */
export function bridgePanel(
  panel: SnapshotPanel,
  crosswalk: Crosswalk,
  geographyYear: number,
  areaOf: (code: string) => PanelArea,
): BridgedPanel {
  const periodCount = panel.periods.length
  const years = panel.periods.map(yearOf)
  // the shares of an area for each year of the panel's quarters, looked up once per area and
  // year (a national panel has 15,000 areas × 48 quarters but only 12 years)
  const distinctYears = [...new Set(years)]
  const yearShares = (code: string) =>
    distinctYears.reduce((byYear, year) => {
      byYear.set(
        year,
        year <= geographyYear
          ? crosswalk.sharesOf(code, year, geographyYear)
          : [{ code, weight: 1, bridged: false, smallestLinkWeight: 1 }],
      )
      return byYear
    }, new Map<number, readonly CrosswalkShare[]>())

  // the target division's areas: every code a stored row lands on, in code order
  const targetCodes = new Set<string>()
  const sharesByArea = panel.areas.map((area) => yearShares(area.area_code))
  panel.areas.forEach((_, a) => {
    for (let t = 0; t < periodCount; t += 1) {
      if (!panel.present[a * periodCount + t]) continue
      for (const share of sharesByArea[a].get(years[t])!) targetCodes.add(share.code)
    }
  })
  const codes = [...targetCodes].sort()
  const indexOf = new Map(codes.map((code, index) => [code, index]))
  const cells = codes.length * periodCount
  const values = Object.fromEntries(
    valueColumns.map((column) => [column, new Float64Array(cells).fill(Number.NaN)]),
  ) as Record<ValueColumn, Float64Array>
  const columns = valueColumns.map((column) => values[column])
  const sources = valueColumns.map((column) => panel.values[column])
  const present = new Uint8Array(cells)
  const bridged = new Uint8Array(cells)
  const smallestWeight = new Float64Array(cells).fill(1)

  panel.areas.forEach((_, a) => {
    for (let t = 0; t < periodCount; t += 1) {
      const source = a * periodCount + t
      if (!panel.present[source]) continue
      for (const share of sharesByArea[a].get(years[t])!) {
        const cell = indexOf.get(share.code)! * periodCount + t
        if (!present[cell]) {
          present[cell] = 1
          for (const column of columns) column[cell] = 0
        }
        // NaN (a NULL count) spreads through the sum: the target's count is unknown then
        for (let c = 0; c < columns.length; c += 1) {
          columns[c][cell] += share.weight * sources[c][source]
        }
        if (share.bridged) {
          bridged[cell] = 1
          smallestWeight[cell] = Math.min(smallestWeight[cell], share.smallestLinkWeight)
        }
      }
    }
  })

  const areas = codes.map(areaOf)
  return {
    periods: panel.periods,
    periodIndex: panel.periodIndex,
    areas,
    areaIndex: new Map(codes.map((code, index) => [code, index])),
    values,
    present,
    dataVersion: panel.dataVersion,
    geographyYear,
    bridged,
    smallestWeight,
  }
}

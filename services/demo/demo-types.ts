import type { SnapshotValues } from '../../models/vocabulary/indicators.js'

/** One demo snapshot row, in the upload's JSON shape. */
export interface SnapshotFixtureRow extends SnapshotValues {
  area_code: string
  area_name: string
  period: string
}

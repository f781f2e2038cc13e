/**
 * The values of a snapshot, from the one vocabulary (models/vocabulary/indicators.ts): re-exported
 * here for the service's code.
 */
export {
  countColumns,
  type CountColumn,
  valueColumns as snapshotValueColumns,
  type SnapshotValues,
} from '../../models/vocabulary/indicators.js'

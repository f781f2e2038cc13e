import type { Knex } from 'knex'
import * as createAreas from './20261125000000_create_areas.js'
import * as createApiKeys from './20261125000100_create_api_keys.js'
import * as createSnapshots from './20261125000200_create_snapshots.js'
import * as createAuditLog from './20261125000300_create_audit_log.js'
import * as createAreaGeometries from './20261125000400_create_area_geometries.js'
import * as snapshotsBulkLoad from './20261125000500_snapshots_bulk_load.js'
import * as createModelRuns from './20261125000600_create_model_runs.js'
import * as createInterventions from './20261125000700_create_interventions.js'
import * as createAlerts from './20261125000800_create_alerts.js'
import * as modelRunsPublication from './20261202000000_model_runs_publication.js'
import * as modelRunsViewerInputs from './20261202000100_model_runs_viewer_inputs.js'
import * as apiKeysExpiry from './20261202000200_api_keys_expiry.js'
import * as dataVersion from './20261202000300_data_version.js'
import * as areaLinks from './20261202000400_area_links.js'
import * as demoMarks from './20261202000500_demo_marks.js'

interface Migration {
  up(knex: Knex): Promise<void>
  down(knex: Knex): Promise<void>
}

/**
 * Every migration in order, by the name recorded in `knex_migrations`. A migration source object
 * (not a directory) so the same names are recorded whether the code runs from .ts or a build.
 * A shipped migration is never renamed or edited: add a new file and a new line.
 */
const migrations: ReadonlyArray<readonly [string, Migration]> = [
  ['20261125000000_create_areas', createAreas],
  ['20261125000100_create_api_keys', createApiKeys],
  ['20261125000200_create_snapshots', createSnapshots],
  ['20261125000300_create_audit_log', createAuditLog],
  ['20261125000400_create_area_geometries', createAreaGeometries],
  ['20261125000500_snapshots_bulk_load', snapshotsBulkLoad],
  ['20261125000600_create_model_runs', createModelRuns],
  ['20261125000700_create_interventions', createInterventions],
  ['20261125000800_create_alerts', createAlerts],
  ['20261202000000_model_runs_publication', modelRunsPublication],
  ['20261202000100_model_runs_viewer_inputs', modelRunsViewerInputs],
  ['20261202000200_api_keys_expiry', apiKeysExpiry],
  ['20261202000300_data_version', dataVersion],
  ['20261202000400_area_links', areaLinks],
  ['20261202000500_demo_marks', demoMarks],
]

export const migrationSource: Knex.MigrationSource<string> = {
  getMigrations: async () => migrations.map(([name]) => name),
  getMigrationName: (name) => name,
  getMigration: async (name) => {
    const found = migrations.find(([candidate]) => candidate === name)
    if (!found) throw new Error(`unknown migration ${name}`)
    return found[1]
  },
}

/** A fingerprint of the migration list, used to key migrated test templates. */
export const migrationNames = migrations.map(([name]) => name)

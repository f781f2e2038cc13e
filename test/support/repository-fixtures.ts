import type { FastifyInstance } from 'fastify'
import type { Knex } from 'knex'
import type { SnapshotPanel } from '../../services/db/snapshot-panel.js'
import { valueColumns } from '../../models/vocabulary/indicators.js'
import { csvOf, type SnapshotFixture } from './snapshot-fixtures.js'

/** Support for the repository tests (test/services/repositories/). */

export interface UploadSummary {
  batch_id: string
  rows: number
  inserted: number
  revised: number
  unchanged: number
}

/** Uploads rows through `POST /v1/snapshots` as CSV; throws unless 201. */
export async function uploadRows(
  app: FastifyInstance,
  admin: { authorization: string },
  rows: readonly SnapshotFixture[],
): Promise<UploadSummary> {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/snapshots',
    headers: { ...admin, 'content-type': 'text/csv' },
    payload: csvOf(rows),
  })
  if (response.statusCode !== 201) throw new Error(`upload failed: ${response.body}`)
  return response.json() as UploadSummary
}

/** The database server's clock now (the clock of `valid_from`, `now()` and leases). */
export async function databaseNow(knex: Knex): Promise<Date> {
  const result = await knex.raw('SELECT clock_timestamp() AS at')
  return new Date((result.rows as { at: Date | string }[])[0].at)
}

/** A panel as plain JSON-comparable data (NaN spelled out); the data version left out. */
export function plainPanel(panel: SnapshotPanel) {
  const spell = (value: number) => (Number.isNaN(value) ? 'NaN' : value)
  return {
    periods: [...panel.periods],
    areas: panel.areas.map((area) => ({ ...area })),
    present: [...panel.present],
    values: Object.fromEntries(
      valueColumns.map((column) => [column, [...panel.values[column]].map(spell)]),
    ),
  }
}

import type { FastifyInstance } from 'fastify'
import { importGeometries } from '../jobs/import-geometries.js'
import { importSnapshots } from '../jobs/import-snapshots.js'
import { jsonUploadRecords } from '../ingest/upload-records.js'
import { demoMunicipalities, generateDemoData } from './generate-demo.js'

export interface DemoSummary {
  loaded: boolean
  neighbourhoods: number
  snapshots: number
}

/**
 * Loads the demo data set through the same import path as user data (validation, staging,
 * revisions). Does nothing when the database already holds snapshots, unless forced.
 */
export async function loadDemoData(
  app: FastifyInstance,
  options: { force?: boolean } = {},
): Promise<DemoSummary> {
  const [{ n }] = await app.knex('snapshots').count<{ n: number }[]>({ n: '*' })
  if (Number(n) > 0 && !options.force) return { loaded: false, neighbourhoods: 0, snapshots: 0 }
  const demo = generateDemoData()
  const repositories = {
    areas: app.areasRepository,
    geometries: app.geometriesRepository,
    snapshots: app.snapshotsRepository,
  }
  // Names for municipalities and districts first, then boundaries, then the quarterly data.
  await app.knex.transaction(async (trx) => {
    await app.areasRepository.upsertAreas(
      new Map<string, string | null>([
        ...demoMunicipalities.map(
          (municipality) => [municipality.code, municipality.name] as [string, string],
        ),
        ...demo.districts.map((district) => [district.code, district.name] as [string, string]),
      ]),
      trx,
    )
  })
  await importGeometries(app.knex, repositories, {
    type: 'FeatureCollection',
    features: demo.neighbourhoods.map((area) => ({
      type: 'Feature',
      properties: { BU_CODE: area.code, BU_NAAM: area.name },
      geometry: area.geometry,
    })),
  })
  const summary = await importSnapshots(app.knex, repositories, jsonUploadRecords(demo.snapshots), {
    keyId: null,
    contentType: 'json',
    maxRows: Math.max(app.config.maxRows, demo.snapshots.length),
    checksum: () => 'demo',
  })
  return { loaded: true, neighbourhoods: demo.neighbourhoods.length, snapshots: summary.rows }
}

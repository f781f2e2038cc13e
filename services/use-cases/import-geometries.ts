import type { Knex } from 'knex'
import { AppError } from '../errors.js'
import { readGeometryFeatures } from '../ingest/geometry-features.js'
import type { AreasRepository } from '../repositories/areas-repository.js'
import type { GeometriesRepository } from '../repositories/geometries-repository.js'

export interface GeometryImportSummary {
  features: number
  inserted: number
  updated: number
}

/**
 * Stores boundaries from a GeoJSON FeatureCollection in one transaction: areas that do not exist
 * yet are created (with their ancestors) at the level their code gives, names are taken from the
 * file, and every geometry is inserted or replaced. Any bad feature rejects the whole file (422).
 */
export async function importGeometries(
  knex: Knex,
  repositories: { areas: AreasRepository; geometries: GeometriesRepository },
  body: unknown,
  codeProperty?: string,
): Promise<GeometryImportSummary> {
  const { features, errors } = readGeometryFeatures(body, codeProperty)
  if (errors.length > 0) {
    throw new AppError(
      422,
      'invalid_rows',
      `${errors.length} error(s) in the GeoJSON; nothing was stored`,
      {
        total: errors.length,
        errors: errors.slice(0, 1000),
      },
    )
  }
  return knex.transaction(async (trx) => {
    await repositories.areas.upsertAreas(
      new Map(features.map((feature) => [feature.area_code, feature.area_name])),
      trx,
    )
    const counts = await repositories.geometries.upsert(features, trx)
    return { features: features.length, ...counts }
  })
}

import type { Knex } from 'knex'
import { AppError } from '../errors.js'
import { readGeometryFeatures, type SkippedFeature } from '../ingest/geometry-features.js'
import type { AreasRepository } from '../repositories/areas-repository.js'
import type { GeometriesRepository } from '../repositories/geometries-repository.js'

export interface GeometryImportSummary {
  /** Features stored. */
  features: number
  inserted: number
  updated: number
  /** Features left out (GM0998 always; empty or collapsed ones with `skipInvalid`); only when any. */
  skipped?: SkippedFeature[]
  /** The coordinate system the file was reprojected from; only when it was. */
  reprojected_from?: 'EPSG:28992'
}

export interface GeometryImportOptions {
  /** Leave out features with an empty or collapsed geometry (listed) instead of rejecting. */
  skipInvalid?: boolean
}

/**
 * Stores boundaries from a GeoJSON FeatureCollection in one transaction: areas that do not exist
 * yet are created (with their ancestors) at the level their code gives, names are taken from the
 * file, and every geometry is inserted or replaced; RD New coordinates are stored reprojected to
 * WGS84. Any bad feature rejects the whole file (422); features that are not areas (GM0998, and
 * with `skipInvalid` empty or collapsed geometries) are left out and listed in the answer.
 */
export async function importGeometries(
  knex: Knex,
  repositories: { areas: AreasRepository; geometries: GeometriesRepository },
  body: unknown,
  codeProperty?: string,
  options: GeometryImportOptions = {},
): Promise<GeometryImportSummary> {
  const { features, skipped, errors, coordinateSystem } = readGeometryFeatures(body, {
    codeProperty,
    skipInvalid: options.skipInvalid,
  })
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
  const counts =
    features.length === 0
      ? { inserted: 0, updated: 0 }
      : await knex.transaction(async (trx) => {
          await repositories.areas.upsertAreas(
            new Map(features.map((feature) => [feature.area_code, feature.area_name])),
            trx,
          )
          return repositories.geometries.upsert(features, trx)
        })
  return {
    features: features.length,
    ...counts,
    ...(skipped.length > 0 ? { skipped } : {}),
    ...(coordinateSystem === 'rd_new' ? { reprojected_from: 'EPSG:28992' as const } : {}),
  }
}

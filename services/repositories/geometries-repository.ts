import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Knex } from 'knex'
import type { GeometryFeature } from '../ingest/geometry-features.js'
import type { AreaLevel } from '../domain/areas.js'

export interface GeometryRow {
  area_code: string
  area_name: string | null
  level: AreaLevel
  geometry: unknown
}

export function createGeometriesRepository(knex: Knex) {
  return {
    /** Stores (or replaces) the boundaries; the areas must exist. Returns how many were new. */
    async upsert(
      features: readonly GeometryFeature[],
      trx: Knex.Transaction,
    ): Promise<{ inserted: number; updated: number }> {
      const codes = features.map((feature) => feature.area_code)
      const existing = new Set(
        (await trx('area_geometries').whereIn('area_code', codes).pluck('area_code')) as string[],
      )
      for (let start = 0; start < features.length; start += 200) {
        await trx('area_geometries')
          .insert(
            features.slice(start, start + 200).map((feature) => ({
              area_code: feature.area_code,
              geometry: JSON.stringify(feature.geometry),
              updated_at: trx.fn.now(),
            })),
          )
          .onConflict('area_code')
          .merge(['geometry', 'updated_at'])
      }
      const updated = codes.filter((code) => existing.has(code)).length
      return { inserted: codes.length - updated, updated }
    },

    async list(
      filter: { municipality?: string; level?: AreaLevel },
      trx: Knex | Knex.Transaction = knex,
    ): Promise<GeometryRow[]> {
      const query = trx('area_geometries as g').join('areas as a', 'a.area_code', 'g.area_code')
      if (filter.municipality) query.where('a.municipality_code', filter.municipality)
      if (filter.level) query.where('a.level', filter.level)
      const rows = (await query
        .select('a.area_code', 'a.area_name', 'a.level', 'g.geometry')
        .orderBy('a.area_code')) as GeometryRow[]
      return rows.map((row) => ({
        ...row,
        geometry: typeof row.geometry === 'string' ? JSON.parse(row.geometry) : row.geometry,
      }))
    },
  }
}

export type GeometriesRepository = ReturnType<typeof createGeometriesRepository>

declare module 'fastify' {
  interface FastifyInstance {
    geometriesRepository: GeometriesRepository
  }
}

export default fp(
  async function geometriesRepository(fastify: FastifyInstance) {
    fastify.decorate('geometriesRepository', createGeometriesRepository(fastify.knex))
  },
  { name: 'geometries-repository', dependencies: ['db'] },
)

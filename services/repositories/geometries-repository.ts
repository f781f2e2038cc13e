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

    /**
     * The codes among these whose boundary is not the demo's (a user stored it, or replaced the
     * demo's): the demo never overwrites them.
     */
    async userOwnedCodes(
      codes: readonly string[],
      trx: Knex | Knex.Transaction = knex,
    ): Promise<Set<string>> {
      const rows = (await trx('area_geometries')
        .whereIn('area_code', codes as string[])
        .whereRaw('demo_written_at IS DISTINCT FROM updated_at')
        .pluck('area_code')) as string[]
      return new Set(rows)
    },

    /**
     * Marks the boundaries the demo just wrote as the demo's: they keep the `updated_at` it
     * wrote, which any later replacement changes.
     */
    async markDemo(codes: readonly string[], trx: Knex | Knex.Transaction = knex): Promise<void> {
      await trx('area_geometries')
        .whereIn('area_code', codes as string[])
        .update({ demo_written_at: trx.ref('updated_at') })
    },

    /** Deletes the boundaries the demo wrote that nobody replaced since. */
    async removeDemo(trx: Knex.Transaction): Promise<number> {
      const removed = await trx('area_geometries')
        .whereRaw('demo_written_at = updated_at')
        .delete()
        .returning('area_code')
      return (removed as unknown[]).length
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

import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Knex } from 'knex'
import {
  areaLevel,
  municipalityCode,
  parentCode,
  withAncestors,
  type AreaLevel,
} from '../domain/areas.js'

export interface AreaRow {
  area_code: string
  area_name: string | null
  level: AreaLevel
  parent_code: string | null
}

export interface AreaFilter {
  municipality?: string
  level?: AreaLevel
  parent?: string
  limit: number
  offset: number
}

const areaSelect = ['area_code', 'area_name', 'level', 'parent_code']

export function createAreasRepository(knex: Knex) {
  return {
    /**
     * Creates every given area and its ancestors (municipality, district) that does not
     * exist yet, and updates a name that changed. Parents go first for the foreign key.
     */
    async upsertAreas(
      names: ReadonlyMap<string, string | null>,
      trx: Knex.Transaction,
    ): Promise<void> {
      const all = new Map<string, string | null>()
      for (const [code, name] of names) {
        for (const ancestor of withAncestors(code)) if (!all.has(ancestor)) all.set(ancestor, null)
        all.set(code, name ?? all.get(code) ?? null)
      }
      const depth = { municipality: 0, district: 1, neighbourhood: 2 }
      const rows = [...all]
        .map(([code, name]) => ({
          area_code: code,
          area_name: name,
          level: areaLevel(code),
          parent_code: parentCode(code),
          municipality_code: municipalityCode(code),
        }))
        .sort((a, b) => depth[a.level] - depth[b.level] || (a.area_code < b.area_code ? -1 : 1))
      for (let start = 0; start < rows.length; start += 1000) {
        await trx('areas')
          .insert(rows.slice(start, start + 1000))
          .onConflict('area_code')
          .merge({
            area_name: trx.raw('COALESCE(excluded.area_name, areas.area_name)'),
            updated_at: trx.raw(
              'CASE WHEN excluded.area_name IS DISTINCT FROM areas.area_name AND excluded.area_name IS NOT NULL THEN now() ELSE areas.updated_at END',
            ),
          })
      }
    },

    /** Which of these codes are stored already (the demo marks only the areas it creates). */
    async existingCodes(
      codes: readonly string[],
      trx: Knex | Knex.Transaction = knex,
    ): Promise<Set<string>> {
      const found = new Set<string>()
      for (let start = 0; start < codes.length; start += 1000) {
        const rows = (await trx('areas')
          .whereIn('area_code', codes.slice(start, start + 1000) as string[])
          .pluck('area_code')) as string[]
        for (const code of rows) found.add(code)
      }
      return found
    },

    /** Marks areas as created by the demo (issue 16), so `aanwas demo --remove` may delete them. */
    async markDemo(codes: readonly string[], trx: Knex | Knex.Transaction = knex): Promise<void> {
      for (let start = 0; start < codes.length; start += 1000) {
        await trx('areas')
          .whereIn('area_code', codes.slice(start, start + 1000) as string[])
          .update({ demo: true })
      }
    },

    /**
     * Deletes the areas the demo created that nothing else uses any more: no snapshot revision,
     * no intervention, no link between divisions, no boundary a user stored, no child area left.
     * Children go first (neighbourhoods, then districts, then municipalities), so a district
     * whose neighbourhoods all went goes too. Their demo boundaries go with them (cascade).
     */
    async removeUnusedDemoAreas(trx: Knex.Transaction): Promise<number> {
      let removed = 0
      for (const level of ['neighbourhood', 'district', 'municipality'] as const) {
        const deleted = await trx('areas as a')
          .where({ 'a.demo': true, 'a.level': level })
          .whereNotExists((used) =>
            used.select(trx.raw('1')).from('snapshots as s').whereRaw('s.area_code = a.area_code'),
          )
          .whereNotExists((used) =>
            used
              .select(trx.raw('1'))
              .from('intervention_areas as i')
              .whereRaw('i.area_code = a.area_code'),
          )
          .whereNotExists((used) =>
            used
              .select(trx.raw('1'))
              .from('area_links as l')
              .whereRaw('l.from_code = a.area_code OR l.to_code = a.area_code'),
          )
          .whereNotExists((used) =>
            used
              .select(trx.raw('1'))
              .from('area_geometries as g')
              .whereRaw('g.area_code = a.area_code')
              .whereRaw('g.demo_written_at IS DISTINCT FROM g.updated_at'),
          )
          .whereNotExists((used) =>
            used.select(trx.raw('1')).from('areas as c').whereRaw('c.parent_code = a.area_code'),
          )
          .delete()
          .returning('a.area_code')
        removed += (deleted as unknown[]).length
      }
      return removed
    },

    async find(code: string, trx: Knex | Knex.Transaction = knex): Promise<AreaRow | undefined> {
      return (await trx('areas').select(areaSelect).where({ area_code: code }).first()) as
        AreaRow | undefined
    },

    /** Areas ordered by code; `total` counts every match before paging. */
    async list(
      filter: AreaFilter,
      trx: Knex | Knex.Transaction = knex,
    ): Promise<{ items: AreaRow[]; total: number }> {
      const query = trx('areas')
      if (filter.municipality) query.where({ municipality_code: filter.municipality })
      if (filter.level) query.where({ level: filter.level })
      if (filter.parent) query.where({ parent_code: filter.parent })
      const [{ total }] = await query.clone().count<{ total: number }[]>({ total: '*' })
      const items = (await query
        .select(areaSelect)
        .orderBy('area_code')
        .limit(filter.limit)
        .offset(filter.offset)) as AreaRow[]
      return { items, total: Number(total) }
    },
  }
}

export type AreasRepository = ReturnType<typeof createAreasRepository>

declare module 'fastify' {
  interface FastifyInstance {
    areasRepository: AreasRepository
  }
}

export default fp(
  async function areasRepository(fastify: FastifyInstance) {
    fastify.decorate('areasRepository', createAreasRepository(fastify.knex))
  },
  { name: 'areas-repository', dependencies: ['db'] },
)

import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Knex } from 'knex'
import type { AreaLevel } from '../../../domain/areas.js'

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

import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Knex } from 'knex'
import type { AreaLink } from '../../models/geography/crosswalk.js'

/** Where a link came from: an admin's upload, or derived from two divisions' geometries. */
export type AreaLinkSource = 'upload' | 'geometry_overlap'

/** A stored link as `GET /v1/area-links` lists it. */
export interface StoredAreaLink extends AreaLink {
  source: AreaLinkSource
  created_at: Date
}

const linkColumns = [
  'from_year',
  'from_code',
  'to_year',
  'to_code',
  'weight',
  'source',
  'created_at',
] as const

export function createAreaLinksRepository(knex: Knex) {
  return {
    /**
     * Stores links, replacing every earlier link of the (from_year, from_code) areas they give,
     * in the caller's transaction (an area's shares are one statement: a partial replacement
     * would leave weights that no longer sum to 1). Answers how many earlier links were replaced.
     */
    async replaceFor(
      links: readonly AreaLink[],
      source: AreaLinkSource,
      createdBy: string | null,
      trx: Knex.Transaction,
    ): Promise<{ stored: number; replaced: number }> {
      const areas = [...new Set(links.map((link) => `${link.from_year}|${link.from_code}`))].map(
        (key) => {
          const [year, code] = key.split('|')
          return [Number(year), code] as const
        },
      )
      let replaced = 0
      for (let start = 0; start < areas.length; start += 500) {
        // RETURNING: both engines answer rows (a plain delete's count differs between them)
        const deleted = await trx('area_links')
          .whereIn(
            ['from_year', 'from_code'],
            areas.slice(start, start + 500) as [number, string][],
          )
          .delete(['from_code'])
        replaced += deleted.length
      }
      for (let start = 0; start < links.length; start += 500) {
        await trx('area_links').insert(
          links.slice(start, start + 500).map((link) => ({
            from_year: link.from_year,
            from_code: link.from_code,
            to_year: link.to_year,
            to_code: link.to_code,
            weight: link.weight,
            source,
            created_by: createdBy,
          })),
        )
      }
      return { stored: links.length, replaced }
    },

    /**
     * Links that start or end at `code` (any when absent), in `year` when given, by from_year,
     * from_code, to_code; with the total for paging.
     */
    async list(
      filter: { code?: string; year?: number; limit: number; offset: number },
      trx: Knex | Knex.Transaction = knex,
    ): Promise<{ items: StoredAreaLink[]; total: number }> {
      const query = trx('area_links')
      if (filter.code) {
        const code = filter.code
        query.where((where) => where.where('from_code', code).orWhere('to_code', code))
      }
      if (filter.year !== undefined) {
        const year = filter.year
        query.where((where) => where.where('from_year', year).orWhere('to_year', year))
      }
      const [{ total }] = await query.clone().count<{ total: number | string }[]>({ total: '*' })
      const rows = (await query
        .select(linkColumns)
        .orderBy(['from_year', 'from_code', 'to_code'])
        .limit(filter.limit)
        .offset(filter.offset)) as StoredAreaLink[]
      return {
        items: rows.map((row) => ({ ...row, weight: Number(row.weight) })),
        total: Number(total),
      }
    },

    /** Every link (the crosswalk of bridged reads: a few thousand rows nationally). */
    async all(trx: Knex | Knex.Transaction = knex): Promise<AreaLink[]> {
      const rows = (await trx('area_links').select(
        'from_year',
        'from_code',
        'to_year',
        'to_code',
        'weight',
      )) as AreaLink[]
      return rows.map((row) => ({ ...row, weight: Number(row.weight) }))
    },
  }
}

export type AreaLinksRepository = ReturnType<typeof createAreaLinksRepository>

declare module 'fastify' {
  interface FastifyInstance {
    areaLinksRepository: AreaLinksRepository
  }
}

export default fp(
  async function areaLinksRepository(fastify: FastifyInstance) {
    fastify.decorate('areaLinksRepository', createAreaLinksRepository(fastify.knex))
  },
  { name: 'area-links-repository', dependencies: ['db'] },
)

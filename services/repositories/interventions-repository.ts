import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Knex } from 'knex'

/** A stored intervention row. */
export interface InterventionRow {
  id: string
  name: string
  description: string | null
  municipality: string
  created_by: string | null
  created_at: Date
  updated_at: Date
}

/** One treated neighbourhood of an intervention (canonical quarters). */
export interface InterventionAreaRow {
  area_code: string
  start_period: string
  end_period: string | null
}

export type InterventionRecord = InterventionRow & { areas: InterventionAreaRow[] }

/** A cached effects result: the exact result (JSON) and when it was computed. */
export interface CachedEffects {
  result: unknown
  computed_at: Date
}

const interventionSelect = [
  'id',
  'name',
  'description',
  'municipality',
  'created_by',
  'created_at',
  'updated_at',
]

async function withAreas(
  rows: InterventionRow[],
  trx: Knex | Knex.Transaction,
): Promise<InterventionRecord[]> {
  if (rows.length === 0) return []
  const areas = (await trx('intervention_areas')
    .select('intervention_id', 'area_code', 'start_period', 'end_period')
    .whereIn(
      'intervention_id',
      rows.map((row) => row.id),
    )
    .orderBy(['intervention_id', 'area_code'])) as (InterventionAreaRow & {
    intervention_id: string
  })[]
  const byIntervention = new Map<string, InterventionAreaRow[]>()
  for (const { intervention_id: id, ...area } of areas) {
    const list = byIntervention.get(id)
    if (list) list.push(area)
    else byIntervention.set(id, [area])
  }
  return rows.map((row) => ({ ...row, areas: byIntervention.get(row.id) ?? [] }))
}

/**
 * Interventions, their treated areas and the effects cache; also the read-only panel queries the
 * effect estimators need (current neighbourhood snapshots, the data version).
 */
export function createInterventionsRepository(knex: Knex) {
  return {
    async insert(
      intervention: Omit<InterventionRow, 'created_at' | 'updated_at'>,
      areas: readonly InterventionAreaRow[],
      trx: Knex.Transaction,
    ): Promise<void> {
      await trx('interventions').insert(intervention)
      await trx('intervention_areas').insert(
        areas.map((area) => ({ intervention_id: intervention.id, ...area })),
      )
    },

    async find(
      id: string,
      trx: Knex | Knex.Transaction = knex,
    ): Promise<InterventionRecord | undefined> {
      const row = (await trx('interventions').select(interventionSelect).where({ id }).first()) as
        InterventionRow | undefined
      if (!row) return undefined
      return (await withAreas([row], trx))[0]
    },

    /** Interventions newest first; `total` counts every match before paging. */
    async list(
      filter: { municipality?: string; limit: number; offset: number },
      trx: Knex | Knex.Transaction = knex,
    ): Promise<{ items: InterventionRecord[]; total: number }> {
      const query = trx('interventions')
      if (filter.municipality) query.where({ municipality: filter.municipality })
      const [{ total }] = await query.clone().count<{ total: number }[]>({ total: '*' })
      const rows = (await query
        .select(interventionSelect)
        .orderBy([
          { column: 'created_at', order: 'desc' },
          { column: 'id', order: 'asc' },
        ])
        .limit(filter.limit)
        .offset(filter.offset)) as InterventionRow[]
      return { items: await withAreas(rows, trx), total: Number(total) }
    },

    /** Updates name and description; `areas`, when given, replace the treated areas. */
    async update(
      id: string,
      changes: { name?: string; description?: string | null },
      areas: readonly InterventionAreaRow[] | undefined,
      trx: Knex.Transaction,
    ): Promise<boolean> {
      const updated = await trx('interventions')
        .where({ id })
        .update({ ...changes, updated_at: trx.fn.now() })
      if (updated === 0) return false
      if (areas) {
        await trx('intervention_areas').where({ intervention_id: id }).delete()
        await trx('intervention_areas').insert(
          areas.map((area) => ({ intervention_id: id, ...area })),
        )
      }
      return true
    },

    async remove(id: string, trx: Knex | Knex.Transaction = knex): Promise<boolean> {
      const removed = (await trx('interventions').where({ id }).delete().returning('id')) as {
        id: string
      }[]
      return removed.length > 0
    },

    /** Deletes the interventions these keys created (their areas and cached effects go along). */
    async removeCreatedBy(keyIds: readonly string[], trx: Knex.Transaction): Promise<number> {
      if (keyIds.length === 0) return 0
      const removed = await trx('interventions')
        .whereIn('created_by', keyIds as string[])
        .delete()
        .returning('id')
      return (removed as unknown[]).length
    },

    /** Every area code that is treated by some intervention (never-treated areas are the rest). */
    async treatedAreaCodes(trx: Knex | Knex.Transaction = knex): Promise<Set<string>> {
      const rows = (await trx('intervention_areas').distinct('area_code')) as {
        area_code: string
      }[]
      return new Set(rows.map((row) => row.area_code))
    },

    async cachedEffects(
      key: { interventionId: string; method: string; optionsKey: string; dataVersion: string },
      trx: Knex | Knex.Transaction = knex,
    ): Promise<CachedEffects | undefined> {
      return (await trx('intervention_effects_cache')
        .select('result', 'computed_at')
        .where({
          intervention_id: key.interventionId,
          method: key.method,
          options_key: key.optionsKey,
          data_version: key.dataVersion,
        })
        .first()) as CachedEffects | undefined
    },

    /** Stores a result, replacing the entry of an older data version for the same key. */
    async storeEffects(
      key: { interventionId: string; method: string; optionsKey: string; dataVersion: string },
      result: unknown,
      computedAt: Date,
      trx: Knex | Knex.Transaction = knex,
    ): Promise<void> {
      await trx('intervention_effects_cache')
        .insert({
          intervention_id: key.interventionId,
          method: key.method,
          options_key: key.optionsKey,
          data_version: key.dataVersion,
          result: JSON.stringify(result),
          computed_at: computedAt,
        })
        .onConflict(['intervention_id', 'method', 'options_key'])
        .merge(['data_version', 'result', 'computed_at'])
    },

    /**
     * Drops every cached effect: a change to any intervention changes which areas are never
     * treated (the controls of all the others).
     */
    async clearEffectsCache(trx: Knex | Knex.Transaction = knex): Promise<void> {
      await trx('intervention_effects_cache').delete()
    },

    async countCachedEffects(
      interventionId: string,
      trx: Knex | Knex.Transaction = knex,
    ): Promise<number> {
      const [{ total }] = await trx('intervention_effects_cache')
        .where({ intervention_id: interventionId })
        .count<{ total: number }[]>({ total: '*' })
      return Number(total)
    },
  }
}

export type InterventionsRepository = ReturnType<typeof createInterventionsRepository>

declare module 'fastify' {
  interface FastifyInstance {
    interventionsRepository: InterventionsRepository
  }
}

export default fp(
  async function interventionsRepository(fastify: FastifyInstance) {
    fastify.decorate('interventionsRepository', createInterventionsRepository(fastify.knex))
  },
  { name: 'interventions-repository', dependencies: ['db'] },
)

import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Knex } from 'knex'
import { shiftPeriod } from '../../models/periods/quarter.js'
import { snapshotValueColumns } from '../domain/snapshot-values.js'

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

/** The snapshot columns of the effects panel: the youth population and the four counts. */
const panelColumns = snapshotValueColumns

export type PanelColumn = (typeof panelColumns)[number]

/**
 * Current snapshots of neighbourhoods, wide, as the effect estimators read them: `periods` are
 * the consecutive quarters from the first to the last with a snapshot (empty when there is
 * none); `areas` holds one series per column for every neighbourhood with a snapshot, ascending
 * by code, one value per quarter of `periods`, NaN where the area has no snapshot or the value is
 * null.
 */
export interface NeighbourhoodPanel {
  periods: string[]
  areas: Map<string, Record<PanelColumn, Float64Array>>
}

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

/**
 * Parses the text of {@link createInterventionsRepository}'s `neighbourhoodPanel` query:
 * `records` records separated by `;`, each `area_code,period,` and the {@link panelColumns} as
 * integers, an empty field for null. One pass fills flat arrays; the wide panel is laid out once
 * every area and quarter is known.
 */
function parsePanelText(text: string, records: number): NeighbourhoodPanel {
  const columnCount = panelColumns.length
  const areaSlots = new Map<string, number>()
  const periodSlots = new Map<string, number>()
  const recordArea = new Int32Array(records)
  const recordPeriod = new Int32Array(records)
  const values = new Float64Array(records * columnCount)
  let position = 0
  const malformed = () =>
    new Error(`neighbourhoodPanel: malformed panel text at character ${position}`)
  for (let record = 0; record < records; record++) {
    let end = text.indexOf(',', position)
    const code = text.slice(position, end)
    let slot = areaSlots.get(code)
    if (slot === undefined) areaSlots.set(code, (slot = areaSlots.size))
    recordArea[record] = slot
    position = end + 1
    end = text.indexOf(',', position)
    const period = text.slice(position, end)
    slot = periodSlots.get(period)
    if (slot === undefined) periodSlots.set(period, (slot = periodSlots.size))
    recordPeriod[record] = slot
    position = end + 1
    for (let column = 0; column < columnCount; column++) {
      let value = 0
      let digits = 0
      let sign = 1
      for (; position < text.length; position++) {
        const char = text.charCodeAt(position)
        if (char === 44 || char === 59) break // ',' or ';' ends the field
        if (char === 45 && digits === 0) {
          sign = -1
        } else if (char >= 48 && char <= 57) {
          value = value * 10 + (char - 48)
          digits++
        } else throw malformed()
      }
      values[record * columnCount + column] = digits > 0 ? sign * value : Number.NaN
      position++
    }
  }
  if (records > 0 && position !== text.length + 1) throw malformed()

  const seenPeriods = [...periodSlots.keys()].sort()
  const periods: string[] = []
  if (seenPeriods.length > 0) {
    const last = seenPeriods[seenPeriods.length - 1]
    for (let period = seenPeriods[0]; period <= last; period = shiftPeriod(period, 1)) {
      periods.push(period)
    }
  }
  const indexOfPeriod = new Map(periods.map((period, index) => [period, index]))
  const periodIndex = Int32Array.from(periodSlots.keys(), (period) => indexOfPeriod.get(period)!)
  const periodCount = periods.length
  // areas ascending by code, each column one block of memory with a view per area
  const codes = [...areaSlots.keys()]
  const order = codes.map((_, slot) => slot).sort((a, b) => (codes[a] < codes[b] ? -1 : 1))
  const rankOfSlot = new Int32Array(codes.length)
  order.forEach((slot, rank) => (rankOfSlot[slot] = rank))
  const blocks = panelColumns.map(() =>
    new Float64Array(codes.length * periodCount).fill(Number.NaN),
  )
  for (let record = 0; record < records; record++) {
    const cell = rankOfSlot[recordArea[record]] * periodCount + periodIndex[recordPeriod[record]]
    for (let column = 0; column < columnCount; column++) {
      blocks[column][cell] = values[record * columnCount + column]
    }
  }
  const areas = new Map<string, Record<PanelColumn, Float64Array>>()
  order.forEach((slot, rank) => {
    const columns = {} as Record<PanelColumn, Float64Array>
    panelColumns.forEach((column, index) => {
      columns[column] = blocks[index].subarray(rank * periodCount, (rank + 1) * periodCount)
    })
    areas.set(codes[slot], columns)
  })
  return { periods, areas }
}

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

    /** Every area code that is treated by some intervention (never-treated areas are the rest). */
    async treatedAreaCodes(trx: Knex | Knex.Transaction = knex): Promise<Set<string>> {
      const rows = (await trx('intervention_areas').distinct('area_code')) as {
        area_code: string
      }[]
      return new Set(rows.map((row) => row.area_code))
    },

    /**
     * The data version the effects depend on: the highest snapshot id. Snapshots are
     * append-only (a revision adds a row), so any upload that changed data raises it.
     */
    async dataVersion(trx: Knex | Knex.Transaction = knex): Promise<string> {
      const row = (await trx('snapshots').max({ version: 'id' }).first()) as
        { version: string | number | null } | undefined
      return String(row?.version ?? 0)
    },

    /**
     * Current snapshots of every neighbourhood (codes `BU…`), optionally of one municipality and
     * within `from`…`to` (canonical quarters, inclusive), as a wide {@link NeighbourhoodPanel}.
     * The rows travel as one text value (see {@link parsePanelText}): at national scale (670,000
     * snapshots, 23 MB of text) a row per snapshot cost about a second of row parsing and
     * garbage collection. A text value holds up to 1 GB, some 30 million snapshots.
     */
    async neighbourhoodPanel(
      filter: { municipality?: string; from?: string; to?: string },
      trx: Knex | Knex.Transaction = knex,
    ): Promise<NeighbourhoodPanel> {
      const prefix = filter.municipality ? `BU${filter.municipality.slice(2)}%` : 'BU%'
      // concat, unlike concat_ws, keeps a null as an empty field, so every record has 7 fields
      const fields = ['area_code', 'period', ...panelColumns].join(", ',', ")
      const query = trx('snapshots')
        .select(
          trx.raw('count(*) as records'),
          trx.raw(`string_agg(concat(${fields}), ';') as panel`),
        )
        .whereNull('valid_to')
        .where('area_code', 'like', prefix)
      if (filter.from) query.where('period', '>=', filter.from)
      if (filter.to) query.where('period', '<=', filter.to)
      const [row] = (await query) as {
        records: number | string | bigint
        panel: string | null
      }[]
      return parsePanelText(row.panel ?? '', Number(row.records))
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

import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Knex } from 'knex'
import { copyIn, copyNumber, copyText } from '../db/copy-csv.js'
import type { DatabaseEngine } from '../db/open-database.js'

export interface AuditEntry {
  at: Date
  key_id: string | null
  method: string
  route: string
  area_code: string | null
  exact_read: boolean
  status_code: number
  rows: number | null
}

export interface AuditRow {
  id: number
  at: Date
  key_id: string | null
  method: string
  route: string
  area_code: string | null
  exact_read: boolean
}

function copyLine(entry: AuditEntry): string {
  return `${entry.at.toISOString()},${copyText(entry.key_id)},${copyText(entry.method)},${copyText(entry.route)},${copyText(entry.area_code)},${entry.exact_read},${entry.status_code},${copyNumber(entry.rows)}\n`
}

const auditColumnList = [
  'at',
  'key_id',
  'method',
  'route',
  'area_code',
  'exact_read',
  'status_code',
  'rows',
]
const auditColumns = auditColumnList.join(', ')

export function createAuditRepository(knex: Knex, engine: DatabaseEngine) {
  return {
    /**
     * Writes a batch of entries. On PostgreSQL with COPY: a busy read route audits thousands of
     * exact reads a second, and on a 2-core machine the database's share of that competes with
     * the service itself (COPY is its cheapest way in). PGlite has no COPY FROM STDIN stream: one
     * statement with the batch as a single JSON parameter.
     */
    async insertMany(entries: readonly AuditEntry[]): Promise<void> {
      if (entries.length === 0) return
      if (engine === 'postgres') {
        const { stream, release } = await copyIn(knex, 'audit_log', auditColumnList)
        try {
          await pipeline(Readable.from([entries.map(copyLine).join('')]), stream)
        } finally {
          await release()
        }
        return
      }
      for (let start = 0; start < entries.length; start += 10_000) {
        await knex.raw(
          `insert into audit_log (${auditColumns})
           select ${auditColumns}
           from json_to_recordset(?::json) as entry(at timestamptz, key_id uuid, method text,
             route text, area_code text, exact_read boolean, status_code integer, rows integer)`,
          [JSON.stringify(entries.slice(start, start + 10_000))],
        )
      }
    },

    /** Newest first; `from` inclusive, `to` exclusive. */
    async list(
      filter: { keyId?: string; from?: Date; to?: Date; limit: number; offset: number },
      trx: Knex | Knex.Transaction = knex,
    ): Promise<{ items: AuditRow[]; total: number }> {
      const query = trx('audit_log')
      if (filter.keyId) query.where({ key_id: filter.keyId })
      if (filter.from) query.where('at', '>=', filter.from)
      if (filter.to) query.where('at', '<', filter.to)
      const [{ total }] = await query.clone().count<{ total: number }[]>({ total: '*' })
      const items = (await query
        .select('id', 'at', 'key_id', 'method', 'route', 'area_code', 'exact_read')
        .orderBy('at', 'desc')
        .orderBy('id', 'desc')
        .limit(filter.limit)
        .offset(filter.offset)) as AuditRow[]
      return { items, total: Number(total) }
    },
  }
}

export type AuditRepository = ReturnType<typeof createAuditRepository>

/*
 * Why one file of about 590 lines (issue 15 asks a reason above 400): it is the one owner of every
 * query on `snapshots`, `upload_batches`, `data_version` and the upload's staging table — staging
 * on both engines (COPY on PostgreSQL, batched inserts on PGlite), the merge into revisions, the
 * data version, the panel reader, the history and sibling reads, and the demo's marks and their
 * removal. Split, the queries on one table would live apart again. At 600 lines the demo's
 * queries move to a repository of their own.
 */
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Knex } from 'knex'
import type { StoredSnapshot } from '../domain/records.js'
import { copyIn, copyNumber, copyText } from '../db/copy-csv.js'
import type { DatabaseEngine } from '../db/open-database.js'
import type { ValidSnapshotRow } from '../ingest/snapshot-validator.js'
import type { Readable } from 'node:stream'
import { StringDecoder } from 'node:string_decoder'
import { to as copyTo } from 'pg-copy-streams'
import {
  baseColumn,
  countColumns,
  valueColumns,
  valueSelectList,
} from '../../models/vocabulary/indicators.js'
import type { AreaLevel } from '../domain/areas.js'
import {
  PanelBuilder,
  decodePanelLines,
  newDecoderState,
  type PanelArea,
  type SnapshotPanel,
} from '../db/snapshot-panel.js'

export interface MergeCounts {
  inserted: number
  revised: number
  unchanged: number
}

/** Receives validated rows of one upload inside its transaction, before they are merged. */
export interface SnapshotStaging {
  add(row: ValidSnapshotRow): Promise<void>
  finish(): Promise<void>
  /** Stops a COPY in progress (rejected upload); the transaction rollback drops the table. */
  abort(): Promise<void>
}

/** The staging table's columns: the upload's row number, the area and quarter, the values. */
const stagingColumns = ['row_no', 'area_code', 'area_name', 'period', ...valueColumns]

const snapshotSelect = [
  'area_code',
  'period',
  ...valueColumns,
  'batch_id',
  'valid_from as recorded_at',
]

/**
 * CSV for COPY: an unquoted empty field is NULL, text is always quoted. No closure is made per
 * row (under tsx every function created in the hot loop costs a defineProperty, keepNames) and
 * the counts are a fixed loop over the vocabulary's columns: the line is one string built up.
 */
function copyLine(row: ValidSnapshotRow): string {
  let line = `${row.row},${row.area_code},${copyText(row.area_name)},${row.period},${row[baseColumn]}`
  for (let index = 0; index < countColumns.length; index += 1) {
    line += `,${copyNumber(row[countColumns[index]])}`
  }
  return `${line}\n`
}

/** The staging table's DDL: the base is required, a count may be NULL (as in `snapshots`). */
const stagingTableSql = `
    CREATE TEMP TABLE snapshot_staging (
      row_no integer NOT NULL,
      area_code varchar(10) NOT NULL,
      area_name text,
      period varchar(6) NOT NULL,
      ${baseColumn} integer NOT NULL,
      ${countColumns.map((column) => `${column} integer`).join(',\n      ')}
    ) ON COMMIT DROP`

async function createStagingTable(trx: Knex.Transaction): Promise<void> {
  await trx.raw(stagingTableSql)
}

/** PostgreSQL: stream rows with COPY through the transaction's own connection. */
async function copyStaging(trx: Knex.Transaction): Promise<SnapshotStaging> {
  await createStagingTable(trx)
  // The transaction's own connection: releasing it is a no-op, the transaction ends it.
  const { stream: copy } = await copyIn(trx, 'snapshot_staging', stagingColumns)
  const done = new Promise<void>((resolve, reject) => {
    copy.on('finish', resolve)
    copy.on('error', reject)
  })
  done.catch(() => undefined)
  let buffer = ''
  const flush = async () => {
    if (buffer.length === 0) return
    const ok = copy.write(buffer)
    buffer = ''
    // A COPY that failed (connection lost) never drains: its error surfaces through `done`.
    if (!ok && !copy.destroyed) {
      await new Promise<void>((resolve) => {
        const settle = () => {
          copy.off('drain', settle)
          copy.off('close', settle)
          resolve()
        }
        copy.once('drain', settle)
        copy.once('close', settle)
      })
    }
    if (copy.destroyed) throw copy.errored ?? new Error('the staging COPY ended early')
  }
  return {
    async add(row) {
      buffer += copyLine(row)
      if (buffer.length >= 1 << 16) await flush()
    },
    async finish() {
      await flush()
      copy.end()
      await done
      await trx.raw('ANALYZE snapshot_staging')
    },
    async abort() {
      buffer = ''
      copy.destroy(new Error('upload rejected'))
      await done.catch(() => undefined)
    },
  }
}

/** The embedded engine: batched multi-row inserts (PGlite has no COPY FROM STDIN stream). */
async function insertStaging(trx: Knex.Transaction): Promise<SnapshotStaging> {
  await createStagingTable(trx)
  let batch: Record<string, unknown>[] = []
  const flush = async () => {
    if (batch.length === 0) return
    const rows = batch
    batch = []
    await trx('snapshot_staging').insert(rows)
  }
  return {
    async add(row) {
      const staged: Record<string, unknown> = {
        row_no: row.row,
        area_code: row.area_code,
        area_name: row.area_name,
        period: row.period,
      }
      for (const column of valueColumns) staged[column] = row[column]
      batch.push(staged)
      if (batch.length >= 1000) await flush()
    },
    finish: flush,
    async abort() {
      batch = []
    },
  }
}

/** Which rows a panel holds: neighbourhoods (or other areas) of a scope, quarters, a time. */
export interface PanelFilter {
  /** the areas' level; default neighbourhood */
  level?: AreaLevel
  municipality?: string
  district?: string
  /** exactly these areas (any level) */
  areas?: readonly string[]
  /** inclusive canonical quarters */
  from?: string
  to?: string
  /** exactly these quarters */
  periods?: readonly string[]
  /** the rows valid at this time (a past state); current rows when absent */
  asOf?: Date | null
}

/** The area and validity conditions of a panel filter on `snapshots s` joined to `areas a`. */
function applyPanelFilter(query: Knex.QueryBuilder, filter: PanelFilter): Knex.QueryBuilder {
  if (filter.areas) query.whereIn('a.area_code', filter.areas as string[])
  else query.where('a.level', filter.level ?? 'neighbourhood')
  if (filter.municipality) query.where('a.municipality_code', filter.municipality)
  if (filter.district) query.where('a.parent_code', filter.district)
  return query
}

function applyRowFilter(query: Knex.QueryBuilder, filter: PanelFilter): Knex.QueryBuilder {
  if (filter.from) query.where('s.period', '>=', filter.from)
  if (filter.to) query.where('s.period', '<=', filter.to)
  if (filter.periods) query.whereIn('s.period', filter.periods as string[])
  if (filter.asOf) {
    const asOf = filter.asOf
    query
      .where('s.valid_from', '<=', asOf)
      .andWhere((valid) => valid.whereNull('s.valid_to').orWhere('s.valid_to', '>', asOf))
  } else {
    query.whereNull('s.valid_to')
  }
  return query
}

/**
 * One snapshot row as a line of COPY's text format, for the embedded engine, which has no COPY
 * TO STDOUT: area code, period, the value columns, tab-separated, `\N` for NULL.
 */
const panelLineSql = `concat_ws(E'\\t', s.area_code, s.period, ${valueColumns
  .map((column) => `coalesce(s.${column}::text, '\\N')`)
  .join(', ')})`

export function createSnapshotsRepository(knex: Knex, engine: DatabaseEngine) {
  /** The panel's lines: streamed by COPY on PostgreSQL, one aggregated text on the embedded engine. */
  async function readPanelLines(
    rows: Knex.QueryBuilder,
    builder: PanelBuilder,
    trx: Knex | Knex.Transaction,
  ): Promise<void> {
    const state = newDecoderState()
    if (engine === 'postgres' && 'commit' in trx) {
      // COPY writes the columns tab-separated with \N for NULL: the decoder's format
      const { sql, bindings } = rows
        .clone()
        .clearSelect()
        .select('s.area_code', 's.period', ...valueColumns.map((column) => `s.${column}`))
        .toSQL()
      // COPY takes no bindings: the filter's values are inlined by knex (codes and quarters)
      const inlined = trx.raw(sql, bindings as readonly Knex.Value[]).toQuery()
      const connection = (await trx.client.acquireConnection()) as {
        query: (stream: Readable) => Readable
      }
      try {
        const stream = connection.query(copyTo(`COPY (${inlined}) TO STDOUT`))
        const decoder = new StringDecoder('utf8')
        let unfinished = ''
        for await (const chunk of stream as AsyncIterable<Buffer>) {
          const text = unfinished + decoder.write(chunk)
          unfinished = text.slice(decodePanelLines(text, builder, state))
        }
        unfinished += decoder.end()
        if (unfinished.length > 0) decodePanelLines(`${unfinished}\n`, builder, state)
      } finally {
        await trx.client.releaseConnection(connection)
      }
      return
    }
    // the lines aggregated into one text value (no row object per snapshot)
    const [row] = (await rows
      .clone()
      .clearSelect()
      .select(trx.raw(`string_agg(${panelLineSql}, E'\\n') AS lines`))) as {
      lines: string | null
    }[]
    if (row?.lines) decodePanelLines(`${row.lines}\n`, builder, state)
  }

  return {
    /** Whether no snapshot has been stored yet (the demo loads only into an empty database). */
    async isEmpty(trx: Knex | Knex.Transaction = knex): Promise<boolean> {
      return (await trx('snapshots').first('id')) === undefined
    },

    /** Marks an upload batch as the demo's (issue 16): `aanwas demo --remove` finds it by this. */
    async markDemoBatch(batchId: string, trx: Knex | Knex.Transaction = knex): Promise<void> {
      await trx('upload_batches').where({ id: batchId }).update({ demo: true })
    },

    /** Whether a demo was loaded and removed again (then the demo does not load on its own). */
    async demoWasRemoved(trx: Knex | Knex.Transaction = knex): Promise<boolean> {
      return (
        (await trx('upload_batches')
          .where({ demo: true })
          .whereNotNull('demo_removed_at')
          .first('id')) !== undefined
      )
    },

    /**
     * The demo batches not removed yet, with the demo loader's key of each (the key that also
     * created the demo's intervention, alert rules and model run), and the municipalities their
     * rows lie in.
     */
    async demoBatches(
      trx: Knex | Knex.Transaction = knex,
    ): Promise<{ batchIds: string[]; keyIds: string[]; municipalities: string[] }> {
      const batches = (await trx('upload_batches')
        .where({ demo: true })
        .whereNull('demo_removed_at')
        .orderBy('created_at')
        .select('id', 'key_id')) as { id: string; key_id: string | null }[]
      const batchIds = batches.map((batch) => batch.id)
      const municipalities =
        batchIds.length === 0
          ? []
          : (
              (await trx('snapshots')
                .whereIn('batch_id', batchIds)
                .distinct(trx.raw(`'GM' || substr(area_code, 3, 4) AS code`))) as { code: string }[]
            ).map((row) => row.code)
      const keyIds = [...new Set(batches.flatMap((batch) => (batch.key_id ? [batch.key_id] : [])))]
      return { batchIds, keyIds, municipalities: municipalities.sort() }
    },

    /**
     * Removes every revision the demo batches stored and keeps the batches as removed. A user's
     * row stays as it is: one that revised a demo row is current already; one that a demo row
     * revised (a forced demo over user data) gets back the validity the demo took over, up to
     * the row that followed the demo's (or current again when the demo's row was the last).
     * Revisions meet exactly: an upload closes a row at the same `now()` its new row starts.
     */
    async removeDemoRows(
      batchIds: readonly string[],
      trx: Knex.Transaction,
    ): Promise<{ removed: number; restored: number }> {
      if (batchIds.length === 0) return { removed: 0, restored: 0 }
      const ids = batchIds as string[]
      const placeholders = ids.map(() => '?').join(', ')
      const demoRows = trx('snapshots').whereIn('batch_id', ids)
      // A user row closed by a demo row that was itself closed later takes over its end; repeated
      // until no such row is left (a chain of demo rows after one user row is one step each).
      for (;;) {
        const extended = await trx.raw(
          `WITH extended AS (
             UPDATE snapshots p SET valid_to = d.valid_to
             FROM snapshots d
             WHERE d.batch_id IN (${placeholders}) AND p.batch_id NOT IN (${placeholders})
               AND d.area_code = p.area_code AND d.period = p.period
               AND d.valid_from = p.valid_to AND d.valid_to IS NOT NULL
             RETURNING 1
           ) SELECT count(*)::int AS n FROM extended`,
          [...ids, ...ids],
        )
        if ((extended.rows[0].n as number) === 0) break
      }
      // Those closed by a current demo row become current once it is gone (the unique index on
      // current rows forbids reopening them first).
      const reopen = (await trx('snapshots as p')
        .join('snapshots as d', function joinDemo() {
          this.on('d.area_code', 'p.area_code')
            .andOn('d.period', 'p.period')
            .andOn('d.valid_from', 'p.valid_to')
        })
        .whereIn('d.batch_id', ids)
        .whereNull('d.valid_to')
        .whereNotIn('p.batch_id', ids)
        .pluck('p.id')) as Array<string | number>
      // counted by RETURNING: the embedded engine's driver answers a delete with no row count
      const removed = ((await demoRows.delete().returning('id')) as unknown[]).length
      for (let start = 0; start < reopen.length; start += 1000) {
        await trx('snapshots')
          .whereIn('id', reopen.slice(start, start + 1000))
          .update({ valid_to: null })
      }
      await trx('upload_batches').whereIn('id', ids).update({ demo_removed_at: trx.fn.now() })
      return { removed, restored: reopen.length }
    },

    /**
     * The version of the stored data: a counter every upload that changed data moves in its own
     * transaction (`mergeStaging`), so it moves at each such commit whatever order concurrent
     * uploads commit in. Answers cached under it are never served for other data.
     */
    /**
     * Moves the data version in the transaction of a change (an upload, new area links): its
     * row lock orders concurrent changes by commit, each moving it past the last.
     */
    async moveDataVersion(trx: Knex.Transaction): Promise<void> {
      await trx('data_version').where({ id: 1 }).increment('version', 1)
    },

    async dataVersion(trx: Knex | Knex.Transaction = knex): Promise<string> {
      const row = (await trx('data_version').where({ id: 1 }).first('version')) as
        { version: string | number } | undefined
      return String(row?.version ?? 0)
    },

    /**
     * The panel of `filter` (services/db/snapshot-panel.ts): the areas with their names and
     * parents, the consecutive quarters, one typed array per value column. Read in one
     * repeatable-read transaction (one snapshot of the database), so the rows and the data
     * version belong together.
     */
    async currentPanel(
      filter: PanelFilter = {},
      trx?: Knex | Knex.Transaction,
    ): Promise<SnapshotPanel> {
      const read = async (reader: Knex | Knex.Transaction) => {
        const areas = (await applyPanelFilter(reader('areas as a'), filter)
          .select('a.area_code', 'a.area_name', 'a.parent_code', 'a.municipality_code')
          .orderBy('a.area_code')) as PanelArea[]
        const builder = new PanelBuilder(areas)
        const rows = applyRowFilter(
          applyPanelFilter(
            reader('snapshots as s').join('areas as a', 'a.area_code', 's.area_code'),
            filter,
          ),
          filter,
        )
        await readPanelLines(rows, builder, reader)
        return builder.build(await this.dataVersion(reader))
      }
      if (trx) return read(trx)
      return knex.transaction((inner) => read(inner), {
        readOnly: true,
        isolationLevel: 'repeatable read',
      })
    },

    /** Opens the per-upload staging table (dropped at commit) on the transaction. */
    openStaging(trx: Knex.Transaction): Promise<SnapshotStaging> {
      return engine === 'postgres' ? copyStaging(trx) : insertStaging(trx)
    },

    /**
     * Serialises uploads touching the same municipalities: transaction-scoped advisory locks,
     * always taken in code order so two uploads cannot deadlock.
     */
    async lockMunicipalities(
      municipalities: Iterable<string>,
      trx: Knex.Transaction,
    ): Promise<void> {
      for (const code of [...new Set(municipalities)].sort()) {
        await trx.raw(`SELECT pg_advisory_xact_lock(hashtext(?))`, [`aanwas.upload.${code}`])
      }
    },

    async createBatch(
      batch: {
        id: string
        keyId: string | null
        contentType: string
        checksum: string
        rows: number
      },
      trx: Knex.Transaction,
    ): Promise<void> {
      await trx('upload_batches').insert({
        id: batch.id,
        key_id: batch.keyId,
        content_type: batch.contentType,
        checksum: batch.checksum,
        rows: batch.rows,
        inserted: 0,
        revised: 0,
        unchanged: 0,
      })
    },

    /**
     * Merges the staged rows into the store as revisions: a current row whose values differ
     * (NULL over a value included) is closed and replaced; an equal one is left alone.
     */
    async mergeStaging(batchId: string, trx: Knex.Transaction): Promise<MergeCounts> {
      const stagedValues = valueSelectList('s')
      const storedValues = valueSelectList('c')
      const closed = await trx.raw(`
        WITH closed AS (
          UPDATE snapshots c SET valid_to = now()
          FROM snapshot_staging s
          WHERE c.area_code = s.area_code AND c.period = s.period AND c.valid_to IS NULL
            AND ROW(${storedValues}) IS DISTINCT FROM ROW(${stagedValues})
          RETURNING 1
        ) SELECT count(*)::int AS n FROM closed`)
      const revised = closed.rows[0].n as number
      const added = await trx.raw(
        `
        WITH added AS (
          INSERT INTO snapshots (area_code, period, ${valueSelectList()}, batch_id, valid_from)
          SELECT s.area_code, s.period, ${stagedValues}, ?, now()
          FROM snapshot_staging s
          WHERE NOT EXISTS (
            SELECT 1 FROM snapshots c
            WHERE c.area_code = s.area_code AND c.period = s.period AND c.valid_to IS NULL
          )
          RETURNING 1
        ) SELECT count(*)::int AS n FROM added`,
        [batchId],
      )
      const written = added.rows[0].n as number
      if (written > 0) await this.moveDataVersion(trx)
      const staged = await trx.raw('SELECT count(*)::int AS n FROM snapshot_staging')
      const rows = staged.rows[0].n as number
      return { inserted: written - revised, revised, unchanged: rows - written }
    },

    async finishBatch(batchId: string, counts: MergeCounts, trx: Knex.Transaction): Promise<void> {
      await trx('upload_batches').where({ id: batchId }).update(counts)
    },

    /**
     * The rows of every neighbourhood under `parentCode` at the given periods (current, or as
     * valid at `asOf`): the table that secondary suppression works on.
     */
    async siblingsAt(
      parentCode: string,
      periods: readonly string[],
      asOf?: Date,
      trx: Knex | Knex.Transaction = knex,
    ): Promise<StoredSnapshot[]> {
      if (periods.length === 0) return []
      const query = trx('snapshots as s')
        .join('areas as a', 'a.area_code', 's.area_code')
        .where('a.parent_code', parentCode)
        .where('a.level', 'neighbourhood')
        .whereIn('s.period', periods as string[])
      if (asOf) {
        query
          .where('s.valid_from', '<=', asOf)
          .andWhere((valid) => valid.whereNull('s.valid_to').orWhere('s.valid_to', '>', asOf))
      } else {
        query.whereNull('s.valid_to')
      }
      return (await query.select(snapshotSelect.map((column) => `s.${column}`))) as StoredSnapshot[]
    },

    /**
     * The periods among `periods` at which a district or municipality has at least one
     * neighbourhood row (current, or valid at `asOf`): where its own totals are linked to them.
     */
    async periodsWithNeighbourhoods(
      area: { area_code: string; level: string },
      periods: readonly string[],
      asOf?: Date,
      trx: Knex | Knex.Transaction = knex,
    ): Promise<Set<string>> {
      if (periods.length === 0 || area.level === 'neighbourhood') return new Set()
      const query = trx('snapshots as s')
        .join('areas as a', 'a.area_code', 's.area_code')
        .where('a.level', 'neighbourhood')
        .where(area.level === 'district' ? 'a.parent_code' : 'a.municipality_code', area.area_code)
        .whereIn('s.period', periods as string[])
      if (asOf) {
        query
          .where('s.valid_from', '<=', asOf)
          .andWhere((valid) => valid.whereNull('s.valid_to').orWhere('s.valid_to', '>', asOf))
      } else {
        query.whereNull('s.valid_to')
      }
      const rows = (await query.distinct('s.period')) as { period: string }[]
      return new Set(rows.map((row) => row.period))
    },

    /**
     * An area's own snapshot history, one row per period: the current revision, or the one
     * valid at `asOf`. `from` and `to` are inclusive canonical quarters.
     */
    async history(
      areaCode: string,
      filter: { from?: string; to?: string; asOf?: Date; limit: number; offset: number },
      trx: Knex | Knex.Transaction = knex,
    ): Promise<{ items: StoredSnapshot[]; total: number }> {
      const query = trx('snapshots').where({ area_code: areaCode })
      if (filter.asOf) {
        query
          .where('valid_from', '<=', filter.asOf)
          .andWhere((valid) => valid.whereNull('valid_to').orWhere('valid_to', '>', filter.asOf!))
      } else {
        query.whereNull('valid_to')
      }
      if (filter.from) query.where('period', '>=', filter.from)
      if (filter.to) query.where('period', '<=', filter.to)
      const [{ total }] = await query.clone().count<{ total: number }[]>({ total: '*' })
      const items = (await query
        .select(snapshotSelect)
        .orderBy('period')
        .limit(filter.limit)
        .offset(filter.offset)) as StoredSnapshot[]
      return { items, total: Number(total) }
    },
  }
}

export type SnapshotsRepository = ReturnType<typeof createSnapshotsRepository>

declare module 'fastify' {
  interface FastifyInstance {
    snapshotsRepository: SnapshotsRepository
  }
}

export default fp(
  async function snapshotsRepository(fastify: FastifyInstance) {
    fastify.decorate(
      'snapshotsRepository',
      createSnapshotsRepository(fastify.knex, fastify.dbEngine),
    )
  },
  { name: 'snapshots-repository', dependencies: ['db'] },
)

export type { StoredSnapshot }

/*
 * Why one file of about 490 lines (issue 15 asks a reason above 400): it is the one owner of every
 * query on `model_runs` and `risk_scores` — the run queue (claim under a lease, reuse of an
 * identical queued run, interrupted runs), results and publication, the score write (binary
 * COPY through db/binary-copy.ts on PostgreSQL, batched inserts on PGlite), the score reads and
 * pruning. Split, the queries on one table would live apart again.
 */
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Knex } from 'knex'
import type { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { Readable } from 'node:stream'
import { from as copyFrom } from 'pg-copy-streams'
import type { DatabaseEngine } from '../db/open-database.js'
import { binaryCopyChunks, type BinaryCopyColumn } from '../db/binary-copy.js'
import { baseColumn } from '../../models/vocabulary/indicators.js'

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed'

export interface RunRequest {
  horizon_quarters: number
  from_period: string | null
  to_period: string | null
}

export interface ModelRunRow extends RunRequest {
  id: string
  status: RunStatus
  progress: number
  requested_by: string | null
  backend: string | null
  n_rows: number | null
  n_excluded: number | null
  iterations: number | null
  converged: boolean | null
  deviance: number | null
  null_deviance: number | null
  aic: number | null
  coefficients: unknown
  quality: unknown
  data_from: string | null
  data_to: string | null
  fit_ms: number | null
  error: { code: string; message: string } | null
  scores_kept: boolean
  created_at: Date
  started_at: Date | null
  finished_at: Date | null
  /** Decided when queued: an admin's run or an automatic recompute publishes on success. */
  publish_on_success: boolean
  /** Published runs are what `GET /v1/risk` serves; an analyst's run is a preview until then. */
  published: boolean
  published_at: Date | null
  published_by: string | null
  /** The coefficients' covariance (inverse Fisher information), for a viewer's risk intervals. */
  covariance: number[][] | null
  /** When the run read its input: the snapshots valid then are the table it was fitted on. */
  input_at: Date | null
}

/** One stored score: a neighbourhood-quarter of one run. */
export interface RiskScoreRow {
  run_id: string
  area_code: string
  municipality_code: string
  period: string
  target_period: string
  [baseColumn]: number
  risk: number
  risk_ci_low: number
  risk_ci_high: number
  expected: number | null
  observed: number | null
  standardized_ratio: number | null
  ratio_ci_low: number | null
  ratio_ci_high: number | null
  percentile: number
  rank: number
  percentile_national: number
  rank_national: number
}

/**
 * A run's scores as columns, one entry per score (`length` of them), as `insertScores` takes
 * them: the text columns as arrays of strings, the numeric ones as typed arrays, NaN for NULL.
 */
export type RiskScoreColumns = {
  run_id: string
  length: number
} & {
  readonly [Column in Exclude<keyof RiskScoreRow, 'run_id'>]: RiskScoreRow[Column] extends string
    ? readonly string[]
    : Float64Array | Int32Array
}

const scoreColumns: ReadonlyArray<keyof RiskScoreRow> = [
  'run_id',
  'area_code',
  'municipality_code',
  'period',
  'target_period',
  baseColumn,
  'risk',
  'risk_ci_low',
  'risk_ci_high',
  'expected',
  'observed',
  'standardized_ratio',
  'ratio_ci_low',
  'ratio_ci_high',
  'percentile',
  'rank',
  'percentile_national',
  'rank_national',
]

/** A stored score as GET /v1/risk lists it: with its area's name and parent (for districts). */
export type ListedScore = Omit<RiskScoreRow, 'run_id' | 'municipality_code'> & {
  area_name: string | null
  parent_code: string | null
}

/** The select list of {@link ListedScore}, in the API's field order (area name after the code). */
const listedColumns: string[] = scoreColumns
  .filter((column) => column !== 'run_id' && column !== 'municipality_code')
  .flatMap((column) =>
    column === 'area_code' ? ['s.area_code', 'a.area_name', 'a.parent_code'] : [`s.${column}`],
  )

/**
 * How `insertScores` sends each column in PostgreSQL's binary COPY format: the types of the
 * `risk_scores` migration (a uuid as 16 bytes, text as UTF-8, int4 and float8 big-endian).
 */
const scoreColumnTypes: Record<keyof RiskScoreRow, 'uuid' | 'text' | 'int4' | 'float8'> = {
  run_id: 'uuid',
  area_code: 'text',
  municipality_code: 'text',
  period: 'text',
  target_period: 'text',
  [baseColumn]: 'int4',
  risk: 'float8',
  risk_ci_low: 'float8',
  risk_ci_high: 'float8',
  expected: 'float8',
  observed: 'int4',
  standardized_ratio: 'float8',
  ratio_ci_low: 'float8',
  ratio_ci_high: 'float8',
  percentile: 'float8',
  rank: 'int4',
  percentile_national: 'float8',
  rank_national: 'int4',
}

/** The scores as the binary COPY encoder's columns, in `scoreColumns` order. */
function copyColumnsOf(scores: RiskScoreColumns): BinaryCopyColumn[] {
  return scoreColumns.map((column): BinaryCopyColumn => {
    if (column === 'run_id') return { type: 'uuid', value: scores.run_id }
    const type = scoreColumnTypes[column]
    return type === 'text'
      ? { type, values: scores[column] as readonly string[] }
      : { type: type as 'int4' | 'float8', values: scores[column] as Float64Array | Int32Array }
  })
}

/** Runs whose scores are kept per horizon besides the latest succeeded one (DESIGN.md §3). */
export const keptRunsPerHorizon = 10

function parseJson(value: unknown): unknown {
  return typeof value === 'string' ? JSON.parse(value) : value
}

function toRun(row: Record<string, unknown>): ModelRunRow {
  return {
    ...(row as unknown as ModelRunRow),
    coefficients: parseJson(row.coefficients),
    quality: parseJson(row.quality),
    covariance: (parseJson(row.covariance) ?? null) as number[][] | null,
    error: parseJson(row.error) as ModelRunRow['error'],
  }
}

export function createRiskRepository(knex: Knex, engine: DatabaseEngine) {
  return {
    /** A queued run asking exactly this, to be reused instead of queueing a twin. */
    async findQueued(
      request: RunRequest,
      trx: Knex | Knex.Transaction = knex,
    ): Promise<ModelRunRow | undefined> {
      const row = await trx('model_runs')
        .where({ status: 'queued', horizon_quarters: request.horizon_quarters })
        .where((query) =>
          request.from_period
            ? query.where('from_period', request.from_period)
            : query.whereNull('from_period'),
        )
        .where((query) =>
          request.to_period
            ? query.where('to_period', request.to_period)
            : query.whereNull('to_period'),
        )
        .orderBy('created_at')
        .first()
      return row ? toRun(row) : undefined
    },

    async insertQueued(
      run: RunRequest & { id: string; requested_by: string | null; publish_on_success: boolean },
      trx: Knex | Knex.Transaction = knex,
    ): Promise<void> {
      await trx('model_runs').insert({ ...run, status: 'queued', progress: 0 })
    },

    /** A queued run asked for again by someone whose runs publish: it will publish too. */
    async publishOnSuccess(id: string, trx: Knex | Knex.Transaction = knex): Promise<void> {
      await trx('model_runs').where({ id, status: 'queued' }).update({ publish_on_success: true })
    },

    /**
     * Publishes a succeeded run (an admin's decision): from now on it is what `GET /v1/risk`
     * serves for its horizon, until a later one is published. False when it is not succeeded.
     */
    async publish(
      id: string,
      keyId: string | null,
      trx: Knex | Knex.Transaction = knex,
    ): Promise<boolean> {
      const changed = await trx('model_runs')
        .where({ id, status: 'succeeded' })
        .update({ published: true, published_at: trx.fn.now(), published_by: keyId })
      return changed > 0
    },

    async find(id: string, trx: Knex | Knex.Transaction = knex): Promise<ModelRunRow | undefined> {
      const row = await trx('model_runs').where({ id }).first()
      return row ? toRun(row) : undefined
    },

    async list(
      filter: { status?: RunStatus; horizon?: number; limit: number; offset: number },
      trx: Knex | Knex.Transaction = knex,
    ): Promise<{ items: ModelRunRow[]; total: number }> {
      const query = trx('model_runs')
      if (filter.status) query.where({ status: filter.status })
      if (filter.horizon !== undefined) query.where({ horizon_quarters: filter.horizon })
      const [{ total }] = await query.clone().count<{ total: number }[]>({ total: '*' })
      const rows = await query
        .select('*')
        .orderBy('created_at', 'desc')
        .limit(filter.limit)
        .offset(filter.offset)
      return { items: rows.map(toRun), total: Number(total) }
    },

    /** Takes the oldest queued run and marks it running (skipping rows another instance holds). */
    async claimNext(
      backend: string,
      trx: Knex | Knex.Transaction = knex,
    ): Promise<ModelRunRow | undefined> {
      const result = await trx.raw(
        `UPDATE model_runs SET status = 'running', started_at = now(), progress = 0, backend = ?
         WHERE id = (SELECT id FROM model_runs WHERE status = 'queued' ORDER BY created_at, id LIMIT 1 FOR UPDATE SKIP LOCKED)
         RETURNING *`,
        [backend],
      )
      const row = result.rows[0] as Record<string, unknown> | undefined
      return row ? toRun(row) : undefined
    },

    async setProgress(
      id: string,
      progress: number,
      trx: Knex | Knex.Transaction = knex,
    ): Promise<void> {
      await trx('model_runs').where({ id }).update({ progress })
    },

    async fail(
      id: string,
      error: { code: string; message: string },
      trx: Knex | Knex.Transaction = knex,
    ): Promise<void> {
      await trx('model_runs')
        .where({ id })
        .update({ status: 'failed', error: JSON.stringify(error), finished_at: trx.fn.now() })
    },

    async succeed(
      id: string,
      result: Partial<ModelRunRow>,
      trx: Knex | Knex.Transaction = knex,
    ): Promise<void> {
      await trx('model_runs')
        .where({ id })
        .update({
          ...result,
          coefficients: JSON.stringify(result.coefficients),
          quality: JSON.stringify(result.quality),
          covariance: JSON.stringify(result.covariance ?? null),
          status: 'succeeded',
          progress: 1,
          scores_kept: true,
          finished_at: trx.fn.now(),
          published: trx.raw('publish_on_success'),
          published_at: trx.raw('CASE WHEN publish_on_success THEN now() END'),
        })
    },

    /** Runs left `running` by a process that died: marked failed (the caller holds the run lock). */
    async failInterrupted(trx: Knex | Knex.Transaction = knex): Promise<number> {
      return trx('model_runs')
        .where({ status: 'running' })
        .update({
          status: 'failed',
          finished_at: trx.fn.now(),
          error: JSON.stringify({
            code: 'interrupted',
            message: 'the service stopped while this run was in progress',
          }),
        })
    },

    /** The database server's current time (the clock of the snapshots' validity). */
    async databaseTime(trx: Knex | Knex.Transaction = knex): Promise<Date> {
      const result = await trx.raw('SELECT clock_timestamp() AS at')
      return new Date((result.rows as { at: Date | string }[])[0].at)
    },

    /**
     * Writes a run's scores (columns, NaN for NULL): a binary COPY streamed from the columns on
     * PostgreSQL (`binaryCopyChunks`), batched inserts on the embedded engine.
     */
    async insertScores(scores: RiskScoreColumns, trx: Knex.Transaction): Promise<void> {
      if (scores.length === 0) return
      if (engine === 'postgres') {
        const connection = (await trx.client.acquireConnection()) as {
          query: (stream: Writable) => Writable
        }
        const copy = connection.query(
          copyFrom(`COPY risk_scores (${scoreColumns.join(', ')}) FROM STDIN WITH (FORMAT binary)`),
        )
        await pipeline(Readable.from(binaryCopyChunks(copyColumnsOf(scores), scores.length)), copy)
        return
      }
      for (let start = 0; start < scores.length; start += 500) {
        const batch: Record<string, string | number | null>[] = []
        for (let index = start; index < Math.min(start + 500, scores.length); index += 1) {
          const row: Record<string, string | number | null> = {}
          for (const column of scoreColumns) {
            const value = column === 'run_id' ? scores.run_id : scores[column][index]
            row[column] = typeof value === 'number' && Number.isNaN(value) ? null : value
          }
          batch.push(row)
        }
        await trx('risk_scores').insert(batch)
      }
    },

    /** Deletes the runs these keys asked for, with their scores. */
    async removeRunsRequestedBy(keyIds: readonly string[], trx: Knex.Transaction): Promise<number> {
      if (keyIds.length === 0) return 0
      const runs = trx('model_runs').whereIn('requested_by', keyIds as string[])
      await trx('risk_scores').whereIn('run_id', runs.clone().select('id')).delete()
      return ((await runs.delete().returning('id')) as unknown[]).length
    },

    /**
     * Drops the scores of runs of this horizon older than the last `keptRunsPerHorizon`, never
     * those of the latest succeeded run; the runs themselves stay.
     */
    async pruneScores(horizon: number, trx: Knex | Knex.Transaction = knex): Promise<void> {
      const keep = trx('model_runs')
        .select('id')
        .where({ horizon_quarters: horizon })
        .orderBy('created_at', 'desc')
        .limit(keptRunsPerHorizon)
      const latest = trx('model_runs')
        .select('id')
        .where({ horizon_quarters: horizon, status: 'succeeded' })
        .orderBy('finished_at', 'desc')
        .limit(1)
      const latestPublished = trx('model_runs')
        .select('id')
        .where({ horizon_quarters: horizon, status: 'succeeded', published: true })
        .orderBy('published_at', 'desc')
        .limit(1)
      const stale = trx('model_runs')
        .select('id')
        .where({ horizon_quarters: horizon, scores_kept: true })
        .whereNotIn('id', keep)
        .whereNotIn('id', latest)
        .whereNotIn('id', latestPublished)
      const ids = (await stale).map((row: { id: string }) => row.id)
      if (ids.length === 0) return
      await trx('risk_scores').whereIn('run_id', ids).delete()
      await trx('model_runs').whereIn('id', ids).update({ scores_kept: false })
    },

    /** The run `GET /v1/risk` serves for a horizon: the one published last. */
    async latestPublished(
      horizon: number,
      trx: Knex | Knex.Transaction = knex,
    ): Promise<ModelRunRow | undefined> {
      const row = await trx('model_runs')
        .where({ horizon_quarters: horizon, status: 'succeeded', published: true })
        .orderBy('published_at', 'desc')
        .orderBy('finished_at', 'desc')
        .first()
      return row ? toRun(row) : undefined
    },

    /**
     * A run's risk per area and predictor quarter for the given areas (a neighbourhood, or a
     * district's or municipality's members), read by municipality through the run's index.
     */
    async riskOf(
      runId: string,
      areaCodes: readonly string[],
      trx: Knex | Knex.Transaction = knex,
    ): Promise<Map<string, Map<string, number>>> {
      const risk = new Map<string, Map<string, number>>()
      if (areaCodes.length === 0) return risk
      const municipalities = [...new Set(areaCodes.map((code) => `GM${code.slice(2, 6)}`))]
      const rows = (await trx('risk_scores')
        .where({ run_id: runId })
        .whereIn('municipality_code', municipalities)
        .whereIn('area_code', areaCodes as string[])
        .select('area_code', 'period', 'risk')) as {
        area_code: string
        period: string
        risk: number
      }[]
      for (const row of rows) {
        let byPeriod = risk.get(row.area_code)
        if (!byPeriod) risk.set(row.area_code, (byPeriod = new Map()))
        byPeriod.set(row.period, Number(row.risk))
      }
      return risk
    },

    /** The latest predictor quarter a run scored (within a municipality when given). */
    async latestScoredPeriod(
      runId: string,
      municipality?: string,
      trx: Knex | Knex.Transaction = knex,
    ): Promise<string | undefined> {
      const query = trx('risk_scores').where({ run_id: runId })
      if (municipality) query.where({ municipality_code: municipality })
      const row = (await query.max({ period: 'period' }).first()) as
        { period: string | null } | undefined
      return row?.period ?? undefined
    },

    /** A run's scores at one period, with area names and districts, by risk descending. */
    /**
     * A run's scores at a predictor quarter as GET /v1/risk lists them, by risk descending
     * (ties by area code): each with its area's name and parent, without the run and
     * municipality columns, in the fields' order of the API's risk item.
     */
    async scoresAt(
      runId: string,
      period: string,
      municipality: string | undefined,
      trx: Knex | Knex.Transaction = knex,
    ): Promise<ListedScore[]> {
      const query = trx('risk_scores as s')
        .leftJoin('areas as a', 'a.area_code', 's.area_code')
        .where({ 's.run_id': runId, 's.period': period })
      if (municipality) query.where('s.municipality_code', municipality)
      return (await query
        .select(listedColumns)
        .orderBy('s.risk', 'desc')
        .orderBy('s.area_code')) as ListedScore[]
    },
  }
}

export type RiskRepository = ReturnType<typeof createRiskRepository>

declare module 'fastify' {
  interface FastifyInstance {
    riskRepository: RiskRepository
  }
}

export default fp(
  async function riskRepository(fastify: FastifyInstance) {
    fastify.decorate('riskRepository', createRiskRepository(fastify.knex, fastify.dbEngine))
  },
  { name: 'risk-repository', dependencies: ['db'] },
)

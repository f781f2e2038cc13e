import type { FastifyPluginAsyncTypebox, Static } from '@fastify/type-provider-typebox'
import { listScope } from '../../scope.js'
import { exactRisk, viewerRisk, type RiskRow } from '../../../domain/risk-disclosure.js'
import { AppError, badRequest, notFound } from '../../../errors.js'
import type { Caller } from '../../../hooks/auth.js'
import { viewerRun } from '../../../domain/risk-disclosure.js'
import {
  publishedModel,
  viewerRiskTable,
  type ViewerRiskScore,
} from '../../../domain/viewer-risk.js'
import { shiftPeriod } from '../../../../models/periods/quarter.js'
import { baseColumn } from '../../../../models/vocabulary/indicators.js'
import { riskModelRows } from '../../../use-cases/run-risk-model.js'
import { publishRun } from '../../../use-cases/publish-run.js'
import { ErrorSchema, errorResponses } from '../../../schemas/common.js'
import type { ModelRunRow } from '../../../repositories/risk-repository.js'
import { LruCache } from '../../../cache/lru-cache.js'
import {
  RiskListSchema,
  RiskQuerySchema,
  RunAcceptedSchema,
  RunCreateSchema,
  RunListQuerySchema,
  RunListSchema,
  RunParamsSchema,
  RunSchema,
  type Run,
  type RiskItem,
} from '../../../schemas/risk.js'
import { periodParameter } from '../../parameters.js'
import { seesExactValues } from '../../../hooks/auth.js'

const iso = (value: Date | null) => (value ? new Date(value).toISOString() : null)

function runResource(run: ModelRunRow): Run {
  return {
    id: run.id,
    status: run.status,
    progress: run.progress,
    backend: run.backend,
    horizon_quarters: run.horizon_quarters,
    from: run.from_period,
    to: run.to_period,
    n_rows: run.n_rows,
    n_excluded: run.n_excluded,
    iterations: run.iterations,
    converged: run.converged,
    deviance: run.deviance,
    null_deviance: run.null_deviance,
    aic: run.aic,
    coefficients: (run.coefficients as Run['coefficients']) ?? null,
    quality: (run.quality as Run['quality']) ?? null,
    data_from: run.data_from,
    data_to: run.data_to,
    fit_ms: run.fit_ms,
    scores_kept: run.scores_kept,
    published: run.published,
    published_at: iso(run.published_at),
    created_at: new Date(run.created_at).toISOString(),
    started_at: iso(run.started_at),
    finished_at: iso(run.finished_at),
    ...(run.error ? { error: run.error } : {}),
  }
}

/** The national risk model: runs and per-neighbourhood risk (DESIGN.md §3). */
const riskRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { riskRepository, modelRunner, config } = fastify
  /** A run as this caller may see it: exact for analysts and admins, published figures else. */
  const runFor = (caller: Caller | null, run: ModelRunRow): Run =>
    seesExactValues(caller) ? runResource(run) : viewerRun(runResource(run), config)
  // A viewer's national risk table of a (run, predictor quarter): computed once from the rounded
  // table valid when the run read its input (services/domain/viewer-risk.ts).
  const viewerTables = new LruCache<Promise<Map<string, ViewerRiskScore>>>(32)
  const viewerTable = (run: ModelRunRow, period: string) => {
    const key = `${run.id}|${period}`
    let table = viewerTables.get(key)
    if (!table) {
      table = (async () => {
        const model = publishedModel(run)
        if (!model) return new Map<string, ViewerRiskScore>()
        const periods = [period, shiftPeriod(period, run.horizon_quarters)]
        const panel = await fastify.snapshotsRepository.currentPanel({
          periods,
          asOf: run.input_at,
        })
        return viewerRiskTable(model, riskModelRows(panel), period, run.horizon_quarters, config)
      })()
      table.catch(() => viewerTables.delete(key))
      viewerTables.set(key, table)
    }
    return table
  }
  // A run's scores never change, so the disclosed table of a (run, period, municipality, audience)
  // is computed once; a new run has a new id and so new entries.
  const riskTables = new LruCache<{ period: string; items: RiskItem[] }>(64)
  const riskPages = new LruCache<{ body: Buffer; rows: number }>(256)
  const latestRun = (horizon: number) => fastify.currentData.publishedRun(horizon)

  fastify.post(
    '/risk-model/runs',
    {
      preHandler: fastify.requireRole('analyst', 'admin'),
      schema: {
        tags: ['risk'],
        summary: 'Recompute the national risk model; an identical queued run is reused',
        body: RunCreateSchema,
        response: { 202: RunAcceptedSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const from = periodParameter('from', request.body.from) ?? null
      const to = periodParameter('to', request.body.to) ?? null
      if (from && to && from > to) throw badRequest(`from (${from}) is after to (${to})`)
      // An admin's run publishes when it succeeds; an analyst's is a preview until an admin
      // publishes it (POST /v1/risk-model/runs/:id/publish).
      const { runId } = await modelRunner.queue(
        { horizon_quarters: request.body.horizon_quarters ?? 0, from_period: from, to_period: to },
        request.caller?.keyId ?? null,
        { publish: request.caller?.role === 'admin' },
      )
      return reply.code(202).send({ run_id: runId })
    },
  )

  fastify.post(
    '/risk-model/runs/:id/publish',
    {
      preHandler: fastify.requireRole('admin'),
      schema: {
        tags: ['risk'],
        summary:
          'Publish a succeeded run (admin): from now on GET /v1/risk serves it for its horizon',
        params: RunParamsSchema,
        response: { 200: RunSchema, ...errorResponses, 409: ErrorSchema },
      },
    },
    async (request) =>
      runResource(
        await publishRun(
          { riskRepository, dataEvents: fastify.dataEvents },
          request.params.id,
          request.caller?.keyId ?? null,
        ),
      ),
  )

  fastify.get(
    '/risk-model/runs',
    {
      schema: {
        tags: ['risk'],
        summary: 'Model runs, newest first',
        querystring: RunListQuerySchema,
        response: { 200: RunListSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { status, horizon_quarters, limit, offset } = request.query
      const { items, total } = await riskRepository.list({
        status,
        horizon: horizon_quarters,
        limit,
        offset,
      })
      return { items: items.map((run) => runFor(request.caller, run)), total }
    },
  )

  fastify.get(
    '/risk-model/runs/:id',
    {
      schema: {
        tags: ['risk'],
        summary: 'One model run: status, progress, backend, coefficients and model quality',
        params: RunParamsSchema,
        response: { 200: RunSchema, ...errorResponses },
      },
    },
    async (request) => {
      const run = await riskRepository.find(request.params.id)
      if (!run) throw notFound(`no model run ${request.params.id}`)
      return runFor(request.caller, run)
    },
  )

  fastify.get(
    '/risk',
    {
      schema: {
        tags: ['risk'],
        summary: 'Risk per neighbourhood from the latest successful run, by risk descending',
        querystring: RiskQuerySchema,
        response: { 200: RiskListSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { limit, offset } = request.query
      const horizon = request.query.horizon_quarters ?? 0
      const municipality = listScope(request.caller, request.query.municipality)
      let run: ModelRunRow | undefined
      if (request.query.run_id !== undefined) {
        run = await riskRepository.find(request.query.run_id)
        if (!run || run.status !== 'succeeded' || !run.scores_kept) {
          throw notFound(`no succeeded model run ${request.query.run_id} with its scores kept`)
        }
        if (
          request.query.horizon_quarters !== undefined &&
          request.query.horizon_quarters !== run.horizon_quarters
        ) {
          throw badRequest(
            `run ${run.id} has horizon_quarters ${run.horizon_quarters}, not ${request.query.horizon_quarters}`,
          )
        }
      } else {
        run = await latestRun(horizon)
      }
      if (!run) {
        throw new AppError(
          404,
          'no_model_run',
          `no published model run with horizon_quarters ${horizon} yet: an admin starts one with POST /v1/risk-model/runs (or publishes an analyst's run)`,
        )
      }
      const viewer = !seesExactValues(request.caller)
      const askedPeriod = periodParameter('period', request.query.period)
      const cacheKey = `${run.id}|${askedPeriod ?? 'latest'}|${municipality ?? '*'}|${viewer ? 'viewer' : 'exact'}`
      // The page's JSON is kept as UTF-8 bytes beside its table: a busy risk page answers without
      // serialising, measuring or encoding it again (encoding a 20 kB string on every write took
      // as long as the rest of the request). Items already have exactly the schema's fields, so
      // the bytes equal the serializer's output.
      const pageKey = `${cacheKey}|${offset}|${limit}`
      let page = riskPages.get(pageKey)
      if (page === undefined) {
        let table = riskTables.get(cacheKey)
        if (!table) {
          const period =
            askedPeriod ?? (await riskRepository.latestScoredPeriod(run.id, municipality))
          const rows: RiskRow[] = period
            ? (await riskRepository.scoresAt(run.id, period, municipality)).map((score) => ({
                area_code: score.area_code,
                area_name: score.area_name,
                parent_code: score.parent_code,
                period: score.period,
                target_period: score.target_period,
                [baseColumn]: score[baseColumn],
                risk: score.risk,
                risk_ci_low: score.risk_ci_low,
                risk_ci_high: score.risk_ci_high,
                expected: score.expected,
                observed: score.observed,
                standardized_ratio: score.standardized_ratio,
                ratio_ci_low: score.ratio_ci_low,
                ratio_ci_high: score.ratio_ci_high,
                percentile: score.percentile,
                rank: score.rank,
                percentile_national: score.percentile_national,
                rank_national: score.rank_national,
              }))
            : []
          table = {
            period: period ?? '',
            items: viewer
              ? viewerRisk(rows, period ? await viewerTable(run, period) : new Map(), config)
              : exactRisk(rows, config),
          }
          riskTables.set(cacheKey, table)
        }
        const { items, period } = table
        const pageItems = items.slice(offset, offset + limit)
        page = {
          rows: pageItems.length,
          body: Buffer.from(
            JSON.stringify({
              run_id: run.id,
              backend: run.backend,
              horizon_quarters: run.horizon_quarters,
              period,
              items: pageItems,
              total: items.length,
            } satisfies Static<typeof RiskListSchema>),
          ),
        }
        riskPages.set(pageKey, page)
      }
      if (!viewer) request.audit = { exactRead: true, areaCode: null, rows: page.rows }
      return reply
        .type('application/json; charset=utf-8')
        .send(page.body as unknown as Static<typeof RiskListSchema>)
    },
  )
}

export default riskRoutes

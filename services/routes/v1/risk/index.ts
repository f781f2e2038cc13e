import type { FastifyPluginAsyncTypebox, Static } from '@fastify/type-provider-typebox'
import { listScope } from '../../scope.js'
import { viewerRun } from '../../../domain/risk-disclosure.js'
import { badRequest, notFound } from '../../../errors.js'
import type { Caller } from '../../../hooks/auth.js'
import { createRiskListing } from '../../../use-cases/risk-listing.js'
import { publishRun } from '../../../use-cases/publish-run.js'
import { ErrorSchema, errorResponses } from '../../../schemas/common.js'
import type { ModelRunRow } from '../../../repositories/risk-repository.js'
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
  const listRisk = createRiskListing({
    riskRepository,
    snapshotsRepository: fastify.snapshotsRepository,
    publishedRun: (horizon) => fastify.currentData.publishedRun(horizon),
    thresholds: config,
  })

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
      const viewer = !seesExactValues(request.caller)
      const page = await listRisk({
        runId: request.query.run_id,
        horizon: request.query.horizon_quarters,
        period: periodParameter('period', request.query.period),
        municipality: listScope(request.caller, request.query.municipality),
        viewer,
        offset: request.query.offset,
        limit: request.query.limit,
      })
      if (!viewer) request.audit = { exactRead: true, areaCode: null, rows: page.rows }
      // the page is kept as the bytes of its JSON (use-cases/risk-listing.ts)
      return reply
        .type('application/json; charset=utf-8')
        .send(page.body as unknown as Static<typeof RiskListSchema>)
    },
  )
}

export default riskRoutes

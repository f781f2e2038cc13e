import type { FastifyError, FastifyInstance } from 'fastify'
import underPressure from '@fastify/under-pressure'
import { AppError, databaseUnreachable, serviceUnavailable } from './errors.js'
import { isDatabaseUnavailable } from './db/database-errors.js'
import config, { type ConfigPluginOptions } from './plugins/config.js'
import db from './plugins/db.js'
import helmet from './plugins/helmet.js'
import rateLimiting from './plugins/rate-limit.js'
import canonicalPath from './hooks/canonical-path.js'
import numericParameters from './hooks/numeric-parameters.js'
import swagger from './plugins/swagger.js'
import tensorflow from './plugins/tensorflow.js'
import metrics from './plugins/metrics.js'
import dashboardFiles from './plugins/static.js'
import keysRepository from './repositories/keys-repository.js'
import auth from './hooks/auth.js'
import audit from './hooks/audit.js'
import csvExport from './hooks/list-csv-export.js'
import readDeadline from './hooks/read-deadline.js'
import areasRepository from './repositories/areas-repository.js'
import snapshotsRepository from './repositories/snapshots-repository.js'
import geometriesRepository from './repositories/geometries-repository.js'
import areaLinksRepository from './repositories/area-links-repository.js'
import interventionsRepository from './repositories/interventions-repository.js'
import riskRepository from './repositories/risk-repository.js'
import dataEvents from './workers/data-events.js'
import currentData from './cache/current-data.js'
import modelRunner from './workers/model-runner.js'
import alertsRepository from './repositories/alerts-repository.js'
import webhooksRepository from './repositories/webhooks-repository.js'
import outboxWorker from './workers/outbox-worker.js'
import alertEvaluator from './workers/alert-evaluator.js'
import healthRoutes from './routes/health.js'
import areaRoutes from './routes/v1/areas/index.js'
import snapshotRoutes from './routes/v1/snapshots/index.js'
import keyRoutes from './routes/v1/keys/index.js'
import auditRoutes from './routes/v1/audit/index.js'
import geometryRoutes from './routes/v1/geometries/index.js'
import areaLinkRoutes from './routes/v1/area-links/index.js'
import interventionRoutes from './routes/v1/interventions/index.js'
import riskRoutes from './routes/v1/risk/index.js'
import alertRoutes from './routes/v1/alerts/index.js'
import webhookRoutes from './routes/v1/webhooks/index.js'
import trendRoutes from './routes/v1/trends/index.js'

export type AppOptions = ConfigPluginOptions

/** Under-pressure's health check: logs when the database goes away and when it is back. */
function databaseReachable(fastify: FastifyInstance): () => Promise<boolean> {
  let reachable = true
  return async () => {
    try {
      await fastify.pingDatabase()
      if (!reachable) fastify.log.info('database reachable again')
      reachable = true
    } catch (error) {
      if (reachable) fastify.log.warn({ err: error }, 'database unreachable: answering 503')
      reachable = false
    }
    return reachable
  }
}

/** Maps Fastify's own 4xx errors onto our codes. */
const codeByStatus: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'invalid_rows',
  429: 'rate_limited',
  503: 'service_unavailable',
}

/**
 * The application factory: external plugins, then app plugins, then routes, with one error
 * handler and one 404 handler. It never listens (services/server.ts and tests do that).
 */
export default async function app(fastify: FastifyInstance, options: AppOptions): Promise<void> {
  await fastify.register(config, options)
  await fastify.register(db)
  await fastify.register(helmet)
  await fastify.register(canonicalPath)
  await fastify.register(numericParameters)
  await fastify.register(rateLimiting)
  await fastify.register(underPressure, {
    // Sustained overload answers 503: the mean event-loop delay over a 10 s window above 1 s. The
    // window is long on purpose: a model fit holds the loop for a few seconds by design, and
    // under-pressure reads a window without a single sample (a block as long as the window) as
    // an infinite delay, so a 1 s window turned every fit into a second of 503s.
    sampleInterval: 10_000,
    maxEventLoopDelay: 1_000,
    // PostgreSQL's reachability, probed every second on a connection of its own: while it is
    // away every keyed route answers 503 at once instead of queueing for a pool connection, and
    // the first good probe opens them again (no restart). The embedded engine runs in this
    // process and a probe could only queue behind a long write, so it has none.
    ...(fastify.dbEngine === 'postgres'
      ? { healthCheck: databaseReachable(fastify), healthCheckInterval: 1000 }
      : {}),
    exposeStatusRoute: false,
    pressureHandler: (request, _reply, type) => {
      if (type !== 'healthCheck')
        throw serviceUnavailable('the service is overloaded; retry shortly')
      // Liveness, readiness (which reports the outage itself), metrics and the dashboard's files
      // stay up: a load balancer must not restart a process that is only waiting.
      if (request.routeOptions.config?.public) return
      throw serviceUnavailable(databaseUnreachable)
    },
  })
  await fastify.register(swagger)
  await fastify.register(tensorflow)
  await fastify.register(metrics)

  // Handlers before any route plugin, so every encapsulated context inherits them.
  fastify.setErrorHandler((error: FastifyError | AppError, request, reply) => {
    if (!(error instanceof AppError) && isDatabaseUnavailable(error)) {
      request.log.warn(
        { err: error, method: request.method, url: request.url },
        'database unavailable',
      )
      error = serviceUnavailable(databaseUnreachable)
    }
    if (error instanceof AppError) {
      // A 503 is the service protecting itself (overload, database away): one warning each,
      // not an error, so an outage does not bury the log in errors.
      if (error.statusCode === 503) request.log.warn({ url: request.url }, error.message)
      else if (error.statusCode >= 500) request.log.error({ err: error }, error.message)
      if (error.headers) reply.headers(error.headers)
      return reply.code(error.statusCode).send({
        error: {
          code: error.code,
          message: error.message,
          ...(error.details === undefined ? {} : { details: error.details }),
        },
      })
    }
    const fastifyError = error as FastifyError
    if (fastifyError.validation) {
      return reply.code(400).send({
        error: {
          code: 'bad_request',
          message: `invalid request: ${fastifyError.message}`,
          details: fastifyError.validation.map((finding) => ({
            in: fastifyError.validationContext,
            path: finding.instancePath,
            message: finding.message,
          })),
        },
      })
    }
    const status = fastifyError.statusCode ?? 500
    if (status >= 400 && status < 500) {
      return reply.code(status).send({
        error: { code: codeByStatus[status] ?? 'bad_request', message: fastifyError.message },
      })
    }
    request.log.error(
      { err: error, method: request.method, url: request.url, params: request.params },
      'unhandled error',
    )
    return reply
      .code(500)
      .send({ error: { code: 'internal_error', message: 'an unexpected error occurred' } })
  })

  // Every API route is in the OpenAPI document (which hides untagged routes): the access matrix,
  // the audit-completeness test and the fuzz read the routes from it, so an undocumented route
  // would escape all three. Refused at start, naming the route.
  fastify.addHook('onRoute', (route) => {
    if (route.url.startsWith('/v1') && !route.schema?.tags?.length) {
      throw new Error(
        `${route.method} ${route.url} has no OpenAPI tags: every /v1 route is documented`,
      )
    }
  })

  fastify.setNotFoundHandler(
    // URL probing gets a tenth of the ordinary budget per address (at least 60 a minute).
    {
      preHandler: fastify.rateLimit({
        max: Math.max(60, Math.floor(fastify.config.rateLimit / 10)),
        timeWindow: '1 minute',
      }),
    },
    (request, reply) => {
      reply.code(404).send({
        error: {
          code: 'not_found',
          message: `no route ${request.method} ${request.url.split('?')[0]}`,
        },
      })
    },
  )

  await fastify.register(keysRepository)
  await fastify.register(auth)
  await fastify.register(audit)
  await fastify.register(csvExport)
  await fastify.register(readDeadline)
  await fastify.register(areasRepository)
  await fastify.register(snapshotsRepository)
  await fastify.register(geometriesRepository)
  await fastify.register(areaLinksRepository)
  await fastify.register(interventionsRepository)
  await fastify.register(riskRepository)
  await fastify.register(dataEvents)
  await fastify.register(modelRunner)
  await fastify.register(currentData)
  await fastify.register(alertsRepository)
  await fastify.register(webhooksRepository)
  await fastify.register(outboxWorker)
  await fastify.register(alertEvaluator)

  await fastify.register(dashboardFiles)
  await fastify.register(healthRoutes)
  await fastify.register(areaRoutes, { prefix: '/v1' })
  await fastify.register(snapshotRoutes, { prefix: '/v1' })
  await fastify.register(keyRoutes, { prefix: '/v1' })
  await fastify.register(auditRoutes, { prefix: '/v1' })
  await fastify.register(geometryRoutes, { prefix: '/v1' })
  await fastify.register(areaLinkRoutes, { prefix: '/v1' })
  await fastify.register(interventionRoutes, { prefix: '/v1' })
  await fastify.register(riskRoutes, { prefix: '/v1' })
  await fastify.register(alertRoutes, { prefix: '/v1' })
  await fastify.register(webhookRoutes, { prefix: '/v1' })
  await fastify.register(trendRoutes, { prefix: '/v1' })
}

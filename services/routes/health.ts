import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@fastify/type-provider-typebox'
import { createRequire } from 'node:module'
import type { FastifyBaseLogger } from 'fastify'
import { ErrorSchema } from '../schemas/common.js'
import { serviceUnavailable } from '../errors.js'

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string }

/**
 * How long a query may have waited for a pool connection before the service says it is not
 * ready. Long enough that a pool busy for a moment (a burst of reads, a short write) does not
 * make readiness flap; short against the 10 s after which such a query fails.
 */
export const poolWaitLimitMs = 1000

/** Liveness and readiness; no key needed. */
const healthRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  /** 503 when every connection is in use and a query has waited past `poolWaitLimitMs`. */
  function assertPoolNotExhausted(log: FastifyBaseLogger): void {
    const pool = fastify.databasePool()
    if (pool.longestWaitMs <= poolWaitLimitMs) return
    log.warn({ pool }, 'readiness check: every database connection is in use')
    throw serviceUnavailable(
      `every database connection is in use: ${pool.waiting} request(s) waiting, the longest for ${pool.longestWaitMs} ms`,
    )
  }

  fastify.get(
    '/health',
    {
      config: { public: true },
      schema: {
        tags: ['health'],
        security: [],
        response: {
          200: Type.Object({
            status: Type.Literal('ok'),
            version: Type.String(),
            database: Type.Union([Type.Literal('postgres'), Type.Literal('pglite')]),
            backend: Type.String({ description: 'TensorFlow.js backend of the risk model' }),
          }),
        },
      },
    },
    async () => ({
      status: 'ok' as const,
      version,
      database: fastify.dbEngine,
      backend: fastify.tfBackend.backend,
    }),
  )

  fastify.get(
    '/health/ready',
    {
      config: { public: true },
      schema: {
        tags: ['health'],
        security: [],
        response: { 200: Type.Object({ status: Type.Literal('ready') }), 503: ErrorSchema },
      },
    },
    async (request) => {
      // A database that answers is not enough: on PostgreSQL the ping has a connection of its
      // own, so it said ready while every pool connection was held and keyed routes waited
      // for one until they failed (issue 14).
      assertPoolNotExhausted(request.log)
      try {
        await fastify.pingDatabase()
        return { status: 'ready' as const }
      } catch (error) {
        // The embedded engine's ping queues in the pool of one: say which it was.
        assertPoolNotExhausted(request.log)
        request.log.warn({ err: error }, 'readiness check: database unreachable')
        throw serviceUnavailable('the database cannot be reached')
      }
    },
  )
}

export default healthRoutes

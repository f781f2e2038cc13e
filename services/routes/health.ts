import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@fastify/type-provider-typebox'
import { createRequire } from 'node:module'
import { ErrorSchema } from '../schemas/common.js'
import { serviceUnavailable } from '../errors.js'

const { version } = createRequire(import.meta.url)('../../package.json') as { version: string }

/** Liveness and readiness; no key needed. */
const healthRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
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
      try {
        await fastify.pingDatabase()
        return { status: 'ready' as const }
      } catch (error) {
        request.log.warn({ err: error }, 'readiness check: database unreachable')
        throw serviceUnavailable('the database cannot be reached')
      }
    },
  )
}

export default healthRoutes

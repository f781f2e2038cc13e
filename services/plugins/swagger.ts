import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { errorCodes } from '../errors.js'

/** OpenAPI at /docs; only tagged routes are documented. */
export default fp(
  async function openApi(fastify: FastifyInstance) {
    await fastify.register(swagger, {
      openapi: {
        info: {
          title: 'Aanwas API',
          description:
            'Jonge aanwas: youth influx into drug crime per neighbourhood and quarter. ' +
            `Errors are {error: {code, message, details?}} with code one of: ${errorCodes.join(', ')}.`,
          version: '1',
        },
        components: {
          securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } },
        },
        security: [{ apiKey: [] }],
      },
      hideUntagged: true,
    })
    // The document and its viewer are public (DESIGN.md §3): their routes say so in their
    // config, as every route that needs no key must (services/plugins/app/auth.ts).
    await fastify.register(async function publicDocs(scope) {
      scope.addHook('onRoute', (route) => {
        route.config = { ...(route.config as object), public: true }
      })
      await scope.register(swaggerUi, { routePrefix: '/docs' })
    })
  },
  { name: 'swagger' },
)

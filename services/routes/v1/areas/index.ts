import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { assertAreaInScope, listScope } from '../../scope.js'
import { notFound } from '../../../errors.js'
import {
  AreaListQuerySchema,
  AreaListSchema,
  AreaParamsSchema,
  AreaSchema,
} from '../../../schemas/areas.js'
import { errorResponses } from '../../../schemas/common.js'

const areaRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { areasRepository } = fastify

  fastify.get(
    '/areas',
    {
      schema: {
        tags: ['areas'],
        summary:
          'Areas (municipalities, districts, neighbourhoods) with codes, names, level and parent',
        querystring: AreaListQuerySchema,
        response: { 200: AreaListSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { municipality, level, parent, limit, offset } = request.query
      if (parent) assertAreaInScope(request.caller, parent)
      return areasRepository.list({
        municipality: listScope(request.caller, municipality),
        level,
        parent,
        limit,
        offset,
      })
    },
  )

  fastify.get(
    '/areas/:code',
    {
      schema: {
        tags: ['areas'],
        summary: 'One area',
        params: AreaParamsSchema,
        response: { 200: AreaSchema, ...errorResponses },
      },
    },
    async (request) => {
      assertAreaInScope(request.caller, request.params.code)
      const area = await areasRepository.find(request.params.code)
      if (!area) throw notFound(`no area ${request.params.code}`)
      return area
    },
  )
}

export default areaRoutes

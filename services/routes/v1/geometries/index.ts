import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@fastify/type-provider-typebox'
import { listScope } from '../../scope.js'
import { importGeometries } from '../../../use-cases/import-geometries.js'
import { ErrorSchema, errorResponses } from '../../../schemas/common.js'
import { UploadRejectionSchema } from '../../../schemas/snapshots.js'
import {
  FeatureCollectionSchema,
  GeometryImportSummarySchema,
  GeometryQuerySchema,
  GeometryUploadQuerySchema,
} from '../../../schemas/geometries.js'

const geometryRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { areasRepository, geometriesRepository, config } = fastify

  fastify.post(
    '/geometries',
    {
      bodyLimit: config.bodyLimitBytes,
      preHandler: fastify.requireRole('admin'),
      validatorCompiler: () => () => true,
      schema: {
        tags: ['geometries'],
        summary: 'Upload area boundaries as a GeoJSON FeatureCollection (admin)',
        description:
          'The code is read from ?code_property=, else the first present of BU_CODE, WK_CODE, GM_CODE, statcode, gemeentecode ' +
          '(a 4-digit number becomes GM + it). Unknown codes create the area at the level the code gives.',
        querystring: GeometryUploadQuerySchema,
        body: Type.Unknown(),
        response: {
          201: GeometryImportSummarySchema,
          413: ErrorSchema,
          422: UploadRejectionSchema,
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const query = request.query as { code_property?: string }
      const summary = await importGeometries(
        fastify.knex,
        { areas: areasRepository, geometries: geometriesRepository },
        request.body,
        query.code_property,
      )
      return reply.code(201).send(summary)
    },
  )

  fastify.get(
    '/geometries',
    {
      schema: {
        tags: ['geometries'],
        summary: 'Boundaries as a GeoJSON FeatureCollection with area_code, area_name and level',
        querystring: GeometryQuerySchema,
        response: { 200: FeatureCollectionSchema, ...errorResponses },
      },
    },
    async (request) => {
      const rows = await geometriesRepository.list({
        municipality: listScope(request.caller, request.query.municipality),
        level: request.query.level,
      })
      return {
        type: 'FeatureCollection' as const,
        features: rows.map((row) => ({
          type: 'Feature' as const,
          geometry: row.geometry,
          properties: { area_code: row.area_code, area_name: row.area_name, level: row.level },
        })),
      }
    },
  )
}

export default geometryRoutes

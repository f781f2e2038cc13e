import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@fastify/type-provider-typebox'
import { listScope } from '../../scope.js'
import { geometryUploadParameters } from './upload-parameters.js'
import { importGeometries } from '../../../use-cases/import-geometries.js'
import { codeProperties } from '../../../ingest/geometry-features.js'
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
          'The code is read from ?code_property=, else from the first present of ' +
          `${codeProperties.join(', ')} (names matched ignoring case; the feature's own code, then ` +
          "the most specific level, since CBS and PDOK files also carry their parents' codes; a " +
          '4-digit number becomes GM + it). Unknown codes create the area at the level the code ' +
          'gives. Coordinates in WGS84 longitude/latitude are stored as given; RD New ' +
          '(EPSG:28992), declared in a "crs" member or recognised by its range, is reprojected to ' +
          'WGS84 (reprojected_from). GM0998 (Buitenland, abroad) is always left out and listed ' +
          'under skipped. A feature with an empty or collapsed geometry (a Point or line left by ' +
          'simplification) rejects the file unless skip_invalid=true, which leaves it out and lists ' +
          'it under skipped.',
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
      // The route's validator is off (the body is read by hand), so the query is read here.
      const query = geometryUploadParameters(request.query)
      const summary = await importGeometries(
        fastify.knex,
        { areas: areasRepository, geometries: geometriesRepository },
        request.body,
        query.codeProperty,
        { skipInvalid: query.skipInvalid },
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

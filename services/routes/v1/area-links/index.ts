import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@fastify/type-provider-typebox'
import { AppError } from '../../../errors.js'
import { uploadAreaLinks } from '../../../use-cases/upload-area-links.js'
import { ErrorSchema, errorResponses } from '../../../schemas/common.js'
import { UploadRejectionSchema } from '../../../schemas/snapshots.js'
import {
  AreaLinkListQuerySchema,
  AreaLinkListSchema,
  AreaLinkUploadRowSchema,
  AreaLinksSummarySchema,
} from '../../../schemas/area-links.js'

/** Links between CBS divisions (issue 16): uploaded by an admin, read by every key. */
const areaLinkRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { areaLinksRepository, config } = fastify

  // a link table is small (one row per changed area): read whole, within the body limit, and
  // decoded by the snapshot upload's CSV reader
  fastify.addContentTypeParser(
    ['text/csv', 'application/csv'],
    { parseAs: 'buffer' },
    (_request, body, done) => done(null, body),
  )

  fastify.post(
    '/area-links',
    {
      bodyLimit: config.bodyLimitBytes,
      preHandler: fastify.requireRole('admin'),
      // the rows are validated by hand, as CSV is: every error of every row comes back
      validatorCompiler: () => () => true,
      schema: {
        tags: ['geography'],
        summary: 'Upload links between CBS divisions (admin); all rows or none',
        description:
          'Rows from_year, from_code, to_year, to_code, weight (text/csv with , or ;, or a JSON ' +
          "array): the share of from_code's counts (division of from_year) that belongs to " +
          'to_code (division of to_year). The weights of one (from_year, from_code) sum to 1 ± ' +
          '0.01 and land in one to_year; to_year is after from_year; both codes are of one level. ' +
          'An upload replaces every earlier link of the areas it gives.',
        body: Type.Array(AreaLinkUploadRowSchema),
        response: {
          201: AreaLinksSummarySchema,
          413: ErrorSchema,
          415: ErrorSchema,
          422: UploadRejectionSchema,
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const contentType = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase()
      const csv = contentType === 'text/csv' || contentType === 'application/csv'
      if (!csv && contentType !== 'application/json') {
        throw new AppError(
          415,
          'unsupported_media_type',
          'send area links as text/csv or application/json',
        )
      }
      const summary = await uploadAreaLinks(
        {
          knex: fastify.knex,
          areaLinksRepository,
          snapshotsRepository: fastify.snapshotsRepository,
          dataEvents: fastify.dataEvents,
        },
        csv
          ? { format: 'csv', bytes: request.body as unknown as Buffer }
          : { format: 'json', body: request.body },
        { keyId: request.caller?.keyId ?? null },
      )
      return reply.code(201).send(summary)
    },
  )

  fastify.get(
    '/area-links',
    {
      schema: {
        tags: ['geography'],
        summary: 'Links between CBS divisions, from or to an area (?code=) or a division (?year=)',
        querystring: AreaLinkListQuerySchema,
        response: { 200: AreaLinkListSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { code, year, limit, offset } = request.query
      const { items, total } = await areaLinksRepository.list({ code, year, limit, offset })
      return {
        items: items.map((link) => ({
          ...link,
          created_at: new Date(link.created_at).toISOString(),
        })),
        total,
      }
    },
  )
}

export default areaLinkRoutes

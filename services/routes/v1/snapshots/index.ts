import type { Readable } from 'node:stream'
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox'
import { Type } from '@fastify/type-provider-typebox'
import { assertAreaInScope } from '../../scope.js'
import { exactSnapshots, viewerSnapshots } from '../../../domain/snapshot-disclosure.js'
import { AppError, badRequest, notFound } from '../../../errors.js'
import { uploadSnapshots } from '../../../use-cases/upload-snapshots.js'
import { AreaParamsSchema } from '../../../schemas/areas.js'
import { ErrorSchema, errorResponses } from '../../../schemas/common.js'
import {
  SnapshotHistoryQuerySchema,
  SnapshotListSchema,
  SnapshotUploadQuerySchema,
  SnapshotUploadRowSchema,
  UploadRejectionSchema,
  UploadSummarySchema,
} from '../../../schemas/snapshots.js'
import { periodParameter, timeParameter } from '../../parameters.js'
import { valueColumns } from '../../../../models/vocabulary/indicators.js'
import { seesExactValues } from '../../../hooks/auth.js'
import { columnProfiles, describeProfile } from '../../../ingest/column-profiles.js'
import { snapshotUploadParameters } from './upload-parameters.js'

const snapshotRoutes: FastifyPluginAsyncTypebox = async (fastify) => {
  const { snapshotsRepository, areasRepository, config } = fastify

  // CSV arrives as a stream and is parsed while it is read (csv-parse), never buffered whole.
  fastify.addContentTypeParser(['text/csv', 'application/csv'], (_request, payload, done) =>
    done(null, payload),
  )

  fastify.post(
    '/snapshots',
    {
      bodyLimit: config.bodyLimitBytes,
      preHandler: fastify.requireRole('analyst', 'admin'),
      // The body is validated by hand, as CSV is: Fastify must neither coerce nor strip here.
      validatorCompiler: () => () => true,
      schema: {
        tags: ['snapshots'],
        summary: 'Upload quarterly snapshots (text/csv or a JSON array); all rows or none',
        description:
          'Columns (case-insensitive; CSV separated by , or ;): area_code, area_name (optional), period, ' +
          `${valueColumns.join(', ')}. ` +
          'Empty cells and the CBS markers . x -99995 -99997 -99999999 are stored as NULL. ' +
          'Whole numbers only: thousands separators (1.640, 1,640) are refused. Periods are ' +
          'quarters; StatLine years (2024JJ00) and months (2024MM07) are refused. ' +
          Object.entries(columnProfiles)
            .map(
              ([name, entries]) =>
                `Profile ${name} (?columns=${name}): ${describeProfile(entries)}.`,
            )
            .join(' '),
        querystring: SnapshotUploadQuerySchema,
        body: Type.Array(SnapshotUploadRowSchema),
        response: {
          201: UploadSummarySchema,
          // a CSV body that stops arriving for AANWAS_UPLOAD_IDLE_MS
          408: ErrorSchema,
          413: ErrorSchema,
          415: ErrorSchema,
          422: UploadRejectionSchema,
          ...errorResponses,
          403: Type.Union([UploadRejectionSchema, ErrorSchema]),
        },
      },
    },
    async (request, reply) => {
      const contentType = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase()
      const caller = request.caller!
      const csv = contentType === 'text/csv' || contentType === 'application/csv'
      if (!csv && contentType !== 'application/json') {
        throw new AppError(415, 'unsupported_media_type', 'send text/csv or application/json')
      }
      let summary
      try {
        const { columns, charset } = snapshotUploadParameters(request.query)
        if (!csv && charset !== 'utf-8') {
          throw badRequest(`charset ${charset} applies to CSV uploads; a JSON body is always UTF-8`)
        }
        summary = await uploadSnapshots(
          {
            knex: fastify.knex,
            snapshotsRepository,
            areasRepository,
            dataEvents: fastify.dataEvents,
            limits: {
              bodyLimitBytes: config.bodyLimitBytes,
              maxRows: config.maxRows,
              idleMs: config.uploadIdleMs,
            },
          },
          csv
            ? { format: 'csv', stream: request.body as unknown as Readable, columns, charset }
            : { format: 'json', body: request.body, columns },
          { keyId: caller.keyId, scope: caller.municipality ?? undefined },
        )
      } catch (error) {
        // A rejection can come before the whole body did (a fatal parse error, an idle body,
        // too many bytes): the rest is not read, so the connection cannot carry another
        // request. Node closes it once the answer is sent, as Fastify does for its own body
        // errors.
        if (!request.raw.complete) reply.header('connection', 'close')
        throw error
      }
      request.log.info({ batch: summary }, 'snapshots uploaded')
      return reply.code(201).send(summary)
    },
  )

  fastify.get(
    '/areas/:code/snapshots',
    {
      schema: {
        tags: ['snapshots'],
        summary: "An area's own snapshot history: current values, or as known at as_of",
        params: AreaParamsSchema,
        querystring: SnapshotHistoryQuerySchema,
        response: { 200: SnapshotListSchema, ...errorResponses },
      },
    },
    async (request) => {
      const { code } = request.params
      assertAreaInScope(request.caller, code)
      const from = periodParameter('from', request.query.from)
      const to = periodParameter('to', request.query.to)
      const asOf = timeParameter('as_of', request.query.as_of)
      const area = await areasRepository.find(code)
      if (!area) throw notFound(`no area ${code}`)
      const { items, total } = await snapshotsRepository.history(code, {
        from,
        to,
        asOf,
        limit: request.query.limit,
        offset: request.query.offset,
      })
      if (!seesExactValues(request.caller)) {
        const periods = items.map((row) => row.period)
        if (area.level === 'neighbourhood') {
          const table = area.parent_code
            ? await snapshotsRepository.siblingsAt(area.parent_code, periods, asOf)
            : items
          return { items: viewerSnapshots(code, items, table, config), total }
        }
        // A district's or municipality's own total beside its neighbourhoods' rows is linked to
        // them (total − the others); viewers see such quarters' counts withheld and the sum of
        // the neighbourhoods' rounded values on the trend route instead.
        const linked = await snapshotsRepository.periodsWithNeighbourhoods(area, periods, asOf)
        return { items: viewerSnapshots(code, items, items, config, linked), total }
      }
      request.audit = { exactRead: true, areaCode: code, rows: items.length }
      return { items: exactSnapshots(items, config), total }
    },
  )
}

export default snapshotRoutes

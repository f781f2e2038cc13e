import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { itemsToCsv, listCsvColumns, type SchemaNode } from './csv-table.js'

/** `?format=csv`, or `Accept: text/csv` without a format. */
function wantsCsv(request: FastifyRequest): boolean {
  const format = (request.query as { format?: unknown } | undefined)?.format
  if (format !== undefined) return format === 'csv'
  return request.headers.accept?.includes('text/csv') ?? false
}

/** `aanwas-areas-BU05180101-snapshots.csv` for `/v1/areas/BU05180101/snapshots`. */
function fileName(request: FastifyRequest): string {
  const path = request.url.split('?')[0].replace(/^\/v1\//, '')
  return `aanwas-${path.replace(/[^A-Za-z0-9]+/g, '-').replace(/^-|-$/g, '')}.csv`
}

/**
 * CSV exports of every list route (the `{items, total}` answers): `?format=csv` or
 * `Accept: text/csv` sends the same items, after the same scope and disclosure rules and with
 * the same audit entry, as CSV with formula cells escaped; `total` goes in `X-Total-Count`.
 * The conversion runs on the serialised answer, so a route needs nothing for it but the
 * `format` parameter every list takes (services/schemas/common.ts).
 */
export default fp(
  async function csvExport(fastify: FastifyInstance) {
    const columnsByRoute = new Map<string, string[] | undefined>()
    fastify.addHook('onSend', (request, reply, payload, done) => {
      // Cheapest test first: Fastify builds a new routeOptions object on every access.
      if (reply.statusCode !== 200 || !wantsCsv(request) || !request.routeOptions.url) {
        return done(null, payload)
      }
      const route = `${request.method} ${request.routeOptions.url}`
      if (!columnsByRoute.has(route)) {
        const responses = request.routeOptions.schema?.response as
          Record<string, SchemaNode> | undefined
        columnsByRoute.set(route, listCsvColumns(responses?.['200'] ?? responses?.[200]))
      }
      const columns = columnsByRoute.get(route)
      if (!columns || (typeof payload !== 'string' && !Buffer.isBuffer(payload))) {
        return done(null, payload)
      }
      const body = JSON.parse(payload.toString()) as { items: unknown[]; total: number }
      reply.header('content-type', 'text/csv; charset=utf-8')
      reply.header('content-disposition', `attachment; filename="${fileName(request)}"`)
      reply.header('x-total-count', String(body.total))
      done(null, itemsToCsv(body.items, columns))
    })
  },
  { name: 'list-csv-export' },
)

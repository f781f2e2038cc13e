import type { FastifyInstance, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { needsKey } from './auth.js'
import {
  createAuditRepository,
  type AuditEntry,
  type AuditRepository,
} from '../repositories/audit-repository.js'

declare module 'fastify' {
  interface FastifyInstance {
    auditRepository: AuditRepository
    /** Writes buffered audit entries now (before answering an audit query, and at shutdown). */
    flushAudit(): Promise<void>
  }
  interface FastifyRequest {
    /** Set by routes that answered with exact (undisclosed) counts or rates. */
    audit: { exactRead: boolean; areaCode: string | null; rows: number | null }
  }
}

const flushIntervalMs = 1000

const notRead: FastifyRequest['audit'] = { exactRead: false, areaCode: null, rows: null }

/**
 * The audit log (DESIGN.md §5): every write and every read of exact values, with key id, route
 * and time. Entries are buffered and written in batches at least every second, and flushed on
 * shutdown, so recording never slows a read.
 */
export default fp(
  async function audit(fastify: FastifyInstance) {
    const repository = createAuditRepository(fastify.knex, fastify.dbEngine)
    fastify.decorate('auditRepository', repository)
    let buffer: AuditEntry[] = []
    let flushing: Promise<void> = Promise.resolve()

    const flush = () => {
      flushing = flushing.then(async () => {
        if (buffer.length === 0) return
        const entries = buffer
        buffer = []
        try {
          await repository.insertMany(entries)
        } catch (error) {
          // Keep them for the next attempt (database briefly away); bounded so memory stays flat.
          buffer = [...entries, ...buffer].slice(-100_000)
          fastify.log.warn(
            { err: error, entries: entries.length },
            'audit log write failed; will retry',
          )
        }
      })
      return flushing
    }
    fastify.decorate('flushAudit', flush)

    const timer = setInterval(() => void flush(), flushIntervalMs)
    timer.unref()

    fastify.decorateRequest('audit', null as unknown as FastifyRequest['audit'])
    // Callback-style hooks: no promise per request on the read path.
    fastify.addHook('onRequest', (request, _reply, done) => {
      request.audit = { exactRead: false, areaCode: null, rows: null }
      done()
    })
    fastify.addHook('onResponse', (request, reply, done) => {
      record(request, reply.statusCode)
      done()
    })
    const record = (request: FastifyRequest, statusCode: number) => {
      // Keyed routes only, judged on the matched route (never on the URL string).
      if (!needsKey(request)) return
      // A request refused before the audit's own onRequest hook ran (overload, database away)
      // has no audit state: it read nothing.
      const state = request.audit ?? notRead
      const write =
        request.method !== 'GET' && request.method !== 'HEAD' && request.method !== 'OPTIONS'
      if (!write && !state.exactRead) return
      if (statusCode === 401) return
      buffer.push({
        at: new Date(),
        key_id: request.caller?.keyId ?? null,
        method: request.method,
        route: request.routeOptions.url ?? request.url.split('?')[0],
        area_code: state.areaCode,
        exact_read: !write && state.exactRead,
        status_code: statusCode,
        rows: state.rows,
      })
    }

    // Runs before the database plugin's own onClose (hooks close in reverse registration order).
    fastify.addHook('onClose', async () => {
      clearInterval(timer)
      await flush()
    })
  },
  { name: 'audit', dependencies: ['db', 'auth'] },
)

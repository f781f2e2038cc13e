import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import fp from 'fastify-plugin'
import { serviceUnavailable } from '../errors.js'
import { needsKey } from './auth.js'

/** How often the open reads are checked against their deadline. */
const sweepIntervalMs = 250

/**
 * Every `/v1` read answers within AANWAS_READ_TIMEOUT_MS (default 30 s), else 503
 * `service_unavailable` with Retry-After. A query on a pooled connection whose server went
 * silent (a network partition drops packets; nothing refuses, nothing resets) would otherwise
 * wait for TCP keepalive, many minutes, while the probe already refuses new requests. Reads only:
 * a write that outlives a deadline may still commit, so answering "retry" could apply it twice;
 * a write waits for its transaction. One timer sweeps all open reads, so a read costs two Map
 * operations, not a timer of its own.
 */
export default fp(
  async function readDeadline(fastify: FastifyInstance) {
    const timeoutMs = fastify.config.readTimeoutMs
    const open = new Map<FastifyRequest, { reply: FastifyReply; startedAt: number }>()

    fastify.addHook('onRequest', (request, reply, done) => {
      if ((request.method === 'GET' || request.method === 'HEAD') && needsKey(request)) {
        open.set(request, { reply, startedAt: Date.now() })
      }
      done()
    })
    const close = (request: FastifyRequest, _reply: FastifyReply, done: () => void) => {
      open.delete(request)
      done()
    }
    fastify.addHook('onResponse', close)
    fastify.addHook('onRequestAbort', (request, done) => {
      open.delete(request)
      done()
    })

    const sweep = setInterval(() => {
      const now = Date.now()
      for (const [request, { reply, startedAt }] of open) {
        if (now - startedAt < timeoutMs) continue
        open.delete(request)
        if (reply.sent) continue
        // An Error goes through the one error handler: the error shape, Retry-After, the log.
        reply.send(
          serviceUnavailable(
            `no answer within ${timeoutMs} ms (the database may be unreachable); retry shortly`,
          ),
        )
      }
    }, sweepIntervalMs)
    sweep.unref()
    fastify.addHook('onClose', async () => clearInterval(sweep))
  },
  { name: 'read-deadline', dependencies: ['config'] },
)

import type { IncomingMessage, ServerResponse } from 'node:http'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import helmet, { type HelmetOptions } from 'helmet'

/** The dashboard loads only what the service itself serves. */
export const helmetOptions: HelmetOptions = {
  contentSecurityPolicy: {
    directives: {
      defaultSrc: ["'self'"],
      imgSrc: ["'self'", 'data:'],
      styleSrc: ["'self'", "'unsafe-inline'"],
      scriptSrc: ["'self'"],
      connectSrc: ["'self'"],
    },
  },
}

/**
 * The security headers helmet's middleware sets for these options, read once by running it
 * against a recording response. None of our directives depends on the request (no nonces, no
 * functions), so the headers are the same for every answer.
 */
export function helmetHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {}
  const recorder = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers[name.toLowerCase()] = Array.isArray(value) ? value.join(', ') : String(value)
    },
    removeHeader(name: string) {
      delete headers[name.toLowerCase()]
    },
  }
  let failure: unknown
  helmet(options)(
    {} as IncomingMessage,
    recorder as unknown as ServerResponse,
    (error?: unknown) => {
      failure = error
    },
  )
  if (failure) throw failure
  return headers
}

/**
 * Security headers on every answer, from the `helmet` package (the engine of @fastify/helmet).
 * @fastify/helmet builds helmet's middleware anew on every request, parsing the CSP directives
 * each time: a fifth of a cached `/v1/risk` answer went there (profiled under autocannon). We
 * run helmet once at start and set the headers it produced.
 */
export default fp(
  async function securityHeaders(fastify: FastifyInstance) {
    const headers = helmetHeaders(helmetOptions)
    fastify.addHook('onRequest', (_request, reply, done) => {
      reply.headers(headers)
      done()
    })
  },
  { name: 'helmet' },
)

import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { notFound } from '../errors.js'

/**
 * Why a request path is not in canonical form, or null when it is. The API and the dashboard
 * never need percent-encoding, empty segments, dot segments or backslashes in a path (area codes,
 * ids and file names are plain ASCII), while the router decodes `%76` to `v` and proxies and
 * file servers resolve `..` each in their own way: such a path could reach a route under a
 * spelling that other checks do not recognise (issue 14, finding 1: `/%761/areas/...`). So it
 * reaches none. Only the path is judged; the query string is the route's business.
 */
export function nonCanonicalPathReason(rawUrl: string): string | null {
  const queryStart = rawUrl.indexOf('?')
  const path = queryStart === -1 ? rawUrl : rawUrl.slice(0, queryStart)
  if (!path.startsWith('/')) return 'the path must start with /'
  if (path.includes('%')) return 'percent-encoding is not accepted in a path'
  if (path.includes('\\')) return 'a backslash is not accepted in a path'
  if (path.includes('//')) return 'empty path segments are not accepted'
  const segments = path.split('/')
  if (segments.some((segment) => segment === '.' || segment === '..')) {
    return 'dot segments are not accepted in a path'
  }
  return null
}

/**
 * Refuses non-canonical request paths with 404 before any other hook can act on them. Defence in
 * depth: authentication is decided on the matched route (auth.ts), so a spelling variant of a
 * keyed route needs a key anyway; this makes such variants reach no route at all, whatever a
 * later hook compares.
 */
export default fp(
  async function canonicalPath(fastify: FastifyInstance) {
    fastify.addHook('onRequest', (request, _reply, done) => {
      const reason = nonCanonicalPathReason(request.raw.url ?? '/')
      if (reason === null) return done()
      done(
        notFound(`no route ${request.method} ${(request.raw.url ?? '').split('?')[0]}: ${reason}`),
      )
    })
  },
  { name: 'canonical-path' },
)

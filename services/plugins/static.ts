import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'

const require = createRequire(import.meta.url)

/** The dashboard's own files: `web/` at the repository root. */
export const webRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web')

/** The `dist/` folder of an installed package, found through Node's resolution. */
function distOf(packageName: string): string {
  return join(dirname(require.resolve(`${packageName}/package.json`)), 'dist')
}

/**
 * The dashboard (DESIGN.md §3): `web/` at `/` (index.html), and the two libraries it uses served
 * from node_modules, so the page works offline (no CDN, no tile server): leaflet's `dist/` at
 * `/vendor/leaflet/`, uplot's `dist/` at `/vendor/uplot/`. No key is needed for these files; the
 * page calls the API with the key it was given. The Content-Security-Policy is helmet's
 * (`default-src 'self'`): the page loads scripts, styles and data only from the service itself.
 *
 * Each folder is listed once at start (`wildcard: false`), one route per file, so unknown paths
 * stay ordinary 404s and no catch-all route shadows the API.
 */
export default fp(
  async function dashboardFiles(fastify: FastifyInstance) {
    await fastify.register(async function staticFiles(scope) {
      // Every route of this encapsulated scope is public (services/plugins/app/auth.ts).
      scope.addHook('onRoute', (route) => {
        route.config = { ...(route.config as object), public: true }
      })
      const common = { wildcard: false, cacheControl: true, maxAge: 0 }
      await scope.register(fastifyStatic, {
        ...common,
        root: webRoot,
        prefix: '/',
        index: ['index.html'],
      })
      await scope.register(fastifyStatic, {
        ...common,
        root: distOf('leaflet'),
        prefix: '/vendor/leaflet/',
        decorateReply: false,
      })
      await scope.register(fastifyStatic, {
        ...common,
        root: distOf('uplot'),
        prefix: '/vendor/uplot/',
        decorateReply: false,
      })
    })
  },
  { name: 'static' },
)

import t from 'tap'
import Fastify from 'fastify'
import fp from 'fastify-plugin'
import app from '../../services/app.js'
import { freshDataDir, testConfig } from '../helper.js'

/** The application factory's own rules, beyond what each plugin and route tests. */
t.test(
  'when a /v1 route has no OpenAPI tags, then the app refuses to start, naming it',
  async (t) => {
    const dataDir = await freshDataDir(t)
    const fastify = Fastify({ logger: false })
    await fastify.register(fp(app), {
      overrides: { ...testConfig, dataDir, databaseUrl: undefined },
    })
    fastify.register(async (child) => {
      child.get('/v1/undocumented', async () => ({}))
    })
    await t.rejects(async () => {
      await fastify.ready()
    }, /GET \/v1\/undocumented has no OpenAPI tags/)
    await fastify.close().catch(() => undefined)
  },
)

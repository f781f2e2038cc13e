import t from 'tap'
import { buildAppBehindProxy, buildTestApp, engines } from '../helper.js'
import { poolWaitLimitMs } from '../../services/routes/health.js'

for (const engine of engines) {
  t.test(engine, async (t) => {
    const { app } = await buildTestApp(t, engine)

    t.test('GET /health', async (t) => {
      t.test(
        'when called without a key, then it reports version and database engine',
        async (t) => {
          const response = await app.inject({ method: 'GET', url: '/health' })
          t.equal(response.statusCode, 200)
          t.match(response.json(), { status: 'ok', version: /^\d+\.\d+\.\d+/, database: engine })
        },
      )
    })

    t.test('GET /health/ready', async (t) => {
      t.test('when the database answers, then it is ready', async (t) => {
        const response = await app.inject({ method: 'GET', url: '/health/ready' })
        t.equal(response.statusCode, 200)
        t.same(response.json(), { status: 'ready' })
      })

      /** Holds every pool connection in an open transaction and queues one query behind them. */
      async function exhaustPool() {
        const holders = await Promise.all(
          Array.from({ length: app.databasePool().size }, () => app.knex.transaction()),
        )
        const waiting = app.knex.raw('SELECT 1')
        const waited = waiting.then(
          () => undefined,
          () => undefined,
        )
        return {
          release: async () => {
            await Promise.all(holders.map((trx) => trx.rollback()))
            await waited
          },
        }
      }

      // Issue 14: on PostgreSQL the ping has a connection of its own, so readiness said 200
      // while every pool connection was held and keyed routes failed after 10 s.
      t.test(
        'when every pool connection is held and a query has waited past the limit, then 503, and ready again once they are released',
        async (t) => {
          const pool = await exhaustPool()
          await new Promise((resolve) => setTimeout(resolve, poolWaitLimitMs + 200))
          const started = Date.now()
          const exhausted = await app.inject({ method: 'GET', url: '/health/ready' })
          t.equal(exhausted.statusCode, 503, exhausted.body)
          t.ok(Date.now() - started < 500, 'answered without waiting for a connection')
          t.equal(exhausted.headers['retry-after'], '5')
          t.match(exhausted.json(), {
            error: { code: 'service_unavailable', message: /every database connection is in use/ },
          })
          await pool.release()
          const ready = await app.inject({ method: 'GET', url: '/health/ready' })
          t.equal(ready.statusCode, 200, ready.body)
        },
      )

      t.test(
        'when the pool is busy only for a moment, then readiness does not flap to 503',
        async (t) => {
          const pool = await exhaustPool()
          const asked = app.inject({ method: 'GET', url: '/health/ready' })
          await new Promise((resolve) => setTimeout(resolve, 100))
          await pool.release()
          t.equal((await asked).statusCode, 200)
        },
      )
    })

    t.test('GET /docs', async (t) => {
      t.test(
        'when the OpenAPI document is asked for, then it lists the routes without a key',
        async (t) => {
          const response = await app.inject({ method: 'GET', url: '/docs/json' })
          t.equal(response.statusCode, 200)
          t.ok(response.json().paths['/v1/snapshots'])
          t.ok(response.json().paths['/v1/areas/{code}/snapshots'])
        },
      )
    })

    t.test('unknown routes', async (t) => {
      t.test('when a route does not exist, then 404 in the error shape', async (t) => {
        const response = await app.inject({ method: 'GET', url: '/v1/nothing-here' })
        t.equal(response.statusCode, 404)
        t.equal(response.json().error.code, 'not_found')
      })
    })
  })
}

t.test('GET /health/ready on the embedded engine', async (t) => {
  t.test(
    'when the ping fails, then 503 with Retry-After, and ready again when it answers',
    async (t) => {
      const { app } = await buildTestApp(t, 'pglite')
      const pglite = app.database.pglite!
      const query = pglite.query.bind(pglite)
      pglite.query = (async () => {
        throw new Error('simulated: the embedded database does not answer')
      }) as typeof pglite.query
      const down = await app.inject({ method: 'GET', url: '/health/ready' })
      t.equal(down.statusCode, 503)
      t.equal(down.headers['retry-after'], '5')
      t.equal(down.json().error.code, 'service_unavailable')
      pglite.query = query
      const up = await app.inject({ method: 'GET', url: '/health/ready' })
      t.equal(up.statusCode, 200)
    },
  )
})

t.test(
  'GET /health/ready on PostgreSQL',
  { skip: !process.env.TEST_DATABASE_URL && 'TEST_DATABASE_URL is not set' },
  async (t) => {
    t.test(
      'when the connection to the server is cut, then 503, and it recovers by itself',
      async (t) => {
        const { app, proxy } = await buildAppBehindProxy(t)

        t.equal((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode, 200)
        proxy.cut()
        const down = await app.inject({ method: 'GET', url: '/health/ready' })
        t.equal(down.statusCode, 503)
        t.equal(down.json().error.code, 'service_unavailable')
        proxy.restore()
        let status = 0
        for (let attempt = 0; attempt < 20 && status !== 200; attempt += 1) {
          status = (await app.inject({ method: 'GET', url: '/health/ready' })).statusCode
          if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 250))
        }
        t.equal(status, 200, 'ready again without a restart')
      },
    )
  },
)

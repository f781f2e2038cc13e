import t from 'tap'
import { buildTestApp, engines } from '../helper.js'

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
    })
  })
}

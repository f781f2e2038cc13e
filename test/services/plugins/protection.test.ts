import t from 'tap'
import { buildTestApp, createKey } from '../../helper.js'

t.test('rate limit and security headers', async (t) => {
  const { app, admin } = await buildTestApp(t, 'pglite', { rateLimit: 3 })

  t.test(
    'when a key exceeds AANWAS_RATE_LIMIT per minute, then 429 in the error shape, per key',
    async (t) => {
      const viewer = await createKey(app, admin, 'viewer')
      const statuses: number[] = []
      for (let index = 0; index < 4; index += 1) {
        statuses.push(
          (await app.inject({ method: 'GET', url: '/v1/areas', headers: viewer.headers }))
            .statusCode,
        )
      }
      t.same(statuses, [200, 200, 200, 429])
      const limited = await app.inject({ method: 'GET', url: '/v1/areas', headers: viewer.headers })
      t.equal(limited.json().error.code, 'rate_limited')
      t.ok(limited.headers['retry-after'])
      const other = await createKey(app, admin, 'viewer')
      t.equal(
        (await app.inject({ method: 'GET', url: '/v1/areas', headers: other.headers })).statusCode,
        200,
        'another key has its own budget',
      )
    },
  )

  t.test('when any route answers, then security headers are set', async (t) => {
    const response = await app.inject({ method: 'GET', url: '/health' })
    t.match(response.headers['content-security-policy'], /default-src 'self'/)
    t.equal(response.headers['x-content-type-options'], 'nosniff')
  })
})

import t from 'tap'
import { PassThrough } from 'node:stream'
import { buildAppBehindProxy, testConfig } from '../../helper.js'
import { csvOf, fullHeader, snapshotRow } from '../../support/snapshot-fixtures.js'

/**
 * PostgreSQL unreachable under traffic: a loopback TCP proxy sits between the service and the
 * shared server and the test cuts it (the server itself is never stopped).
 */
t.test(
  'database outage',
  { skip: !process.env.TEST_DATABASE_URL && 'TEST_DATABASE_URL is not set' },
  async (t) => {
    const { app, proxy } = await buildAppBehindProxy(t)
    const admin = { authorization: `Bearer ${testConfig.adminKey}` }
    const stored = async () => Number((await app.knex('snapshots').count({ n: '*' }))[0].n)

    const first = await app.inject({
      method: 'POST',
      url: '/v1/snapshots',
      headers: { ...admin, 'content-type': 'text/csv' },
      payload: csvOf([snapshotRow()]),
    })
    t.equal(first.statusCode, 201)

    t.test(
      'when the database goes away, then reads answer 503 with Retry-After, quickly, and readiness is 503',
      async (t) => {
        proxy.cut()
        // Keys verified before the cut stay cached for a few seconds; use a fresh route each time.
        for (const path of ['/v1/areas', '/v1/areas/BU05180101/snapshots', '/health/ready']) {
          const started = Date.now()
          const response = await app.inject({ method: 'GET', url: path, headers: admin })
          t.equal(response.statusCode, 503, `${path}: ${response.body}`)
          t.equal(response.headers['retry-after'], '5')
          t.equal(response.json().error.code, 'service_unavailable')
          t.ok(Date.now() - started < 15_000, 'no request hangs past its timeout')
        }
        proxy.restore()
      },
    )

    t.test(
      'when an upload is in flight at the moment of the outage, then it fails cleanly and nothing of it is stored',
      async (t) => {
        const body = new PassThrough()
        const pending = app.inject({
          method: 'POST',
          url: '/v1/snapshots',
          headers: { ...admin, 'content-type': 'text/csv' },
          payload: body,
        })
        body.write(`${fullHeader}\n`)
        for (let index = 0; index < 200; index += 1) {
          body.write(`BU0599${String(index).padStart(4, '0')},,2024Q1,100,1,1,1,1\n`)
        }
        await new Promise((resolve) => setTimeout(resolve, 200))
        proxy.cut()
        body.end()
        const response = await pending
        t.ok(response.statusCode >= 500, `${response.statusCode} ${response.body}`)
        t.notMatch(response.body, /stack|at .*\.ts/)
        proxy.restore()
        let count = -1
        for (let attempt = 0; attempt < 40 && count < 0; attempt += 1) {
          count = await stored().catch(() => -1)
          if (count < 0) await new Promise((resolve) => setTimeout(resolve, 250))
        }
        t.equal(count, 1, 'only the first upload is stored')
      },
    )

    t.test(
      'when the database returns, then the service answers again without a restart',
      async (t) => {
        let status = 0
        for (let attempt = 0; attempt < 40 && status !== 200; attempt += 1) {
          status = (await app.inject({ method: 'GET', url: '/v1/areas', headers: admin }))
            .statusCode
          if (status !== 200) await new Promise((resolve) => setTimeout(resolve, 250))
        }
        t.equal(status, 200)
        t.equal((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode, 200)
      },
    )
  },
)

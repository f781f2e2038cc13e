import t from 'tap'
import { buildAppBehindProxy, runModelToEnd, testConfig } from '../../helper.js'
import { riskPanel } from '../../support/risk-fixtures.js'
import { csvOf } from '../../support/snapshot-fixtures.js'
import { startReadTraffic } from '../../support/read-traffic.js'

/**
 * A silent outage: the network between the service and PostgreSQL drops every packet (nothing is
 * refused or reset), under sustained reads. Queries already on a pooled connection wait, the
 * probe stops answering, and the read deadline (here 2 s) must still answer every read in time;
 * after the network returns everything answers 200 again.
 */
const readTimeoutMs = 2_000
const outageMs = 8_000

t.test(
  'a silent network outage under sustained reads',
  { skip: !process.env.TEST_DATABASE_URL && 'TEST_DATABASE_URL is not set' },
  async (t) => {
    const { app, proxy } = await buildAppBehindProxy(t, { readTimeoutMs })
    const base = await app.listen({ port: 0, host: '127.0.0.1' })
    const admin = { authorization: `Bearer ${testConfig.adminKey}` }
    const seeded = await app.inject({
      method: 'POST',
      url: '/v1/snapshots',
      headers: { ...admin, 'content-type': 'text/csv' },
      payload: csvOf(riskPanel({ neighbourhoodsPerDistrict: 3, years: 3 })),
    })
    t.equal(seeded.statusCode, 201)
    t.equal((await runModelToEnd(app, admin)).status, 'succeeded')

    const paths = [
      '/v1/areas/BU05180101/snapshots',
      '/v1/areas/BU05180102/trend',
      '/v1/trends?municipality=GM0518&period=2023Q4',
      '/v1/risk-model/runs',
      '/v1/alerts',
    ]
    const { answers, failures, stop } = startReadTraffic({
      base,
      reads: paths.map((path) => ({ path, headers: admin })),
      clients: 4,
      timeoutMs: readTimeoutMs * 5,
      pauseMs: 20,
    })
    const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

    await wait(1_000)
    const silencedAt = Date.now()
    proxy.silence()
    await wait(outageMs)
    const restoredAt = Date.now()
    proxy.restore()
    let recovered = false
    for (let attempt = 0; attempt < 100 && !recovered; attempt += 1) {
      await wait(200)
      const recent = answers.filter((answer) => answer.startedAt > Date.now() - 1_000)
      recovered = recent.length >= paths.length && recent.every((answer) => answer.status === 200)
    }
    await stop()

    t.same(failures, [], 'every read got an answer')
    const slowest = Math.max(...answers.map((answer) => answer.ms))
    t.ok(
      slowest < readTimeoutMs + 1_500,
      `no read waits past the read deadline (slowest ${slowest} ms)`,
    )
    t.same(
      answers.filter((answer) => answer.status !== 200 && answer.status !== 503),
      [],
      'every answer is a 200 or a 503',
    )
    const silent = answers.filter(
      (answer) => answer.startedAt >= silencedAt && answer.startedAt + answer.ms < restoredAt,
    )
    t.ok(silent.length > 20, `sustained traffic while silent (${silent.length} reads)`)
    t.ok(
      silent
        .filter((answer) => answer.startedAt >= silencedAt + readTimeoutMs + 2_000)
        .every((answer) => answer.status === 503),
      'once the outage is noticed, every read is refused',
    )
    t.ok(recovered, 'every read answers 200 again after the network returns')
    t.equal((await app.inject({ method: 'GET', url: '/health/ready' })).statusCode, 200)
  },
)

import t from 'tap'
import { buildTestApp, runModelToEnd } from '../../helper.js'
import { csvOf } from '../../support/snapshot-fixtures.js'
import { riskPanel } from '../../support/risk-fixtures.js'

/**
 * The audit log is complete (DESIGN.md §5, issue 10): every write route, whatever its answer, and
 * every read of exact values leaves an entry. The write routes are taken from the OpenAPI
 * document, so a route added later is covered without editing this test.
 */
t.test('audit completeness', async (t) => {
  const { app, admin } = await buildTestApp(t, 'pglite')
  const upload = await app.inject({
    method: 'POST',
    url: '/v1/snapshots',
    headers: { ...admin, 'content-type': 'text/csv' },
    payload: csvOf(riskPanel({ neighbourhoodsPerDistrict: 3, years: 2 })),
  })
  t.equal(upload.statusCode, 201)
  await runModelToEnd(app, admin)

  const entries = async () => {
    const response = await app.inject({
      method: 'GET',
      url: '/v1/audit?limit=10000',
      headers: admin,
    })
    return response.json().items as Array<{
      method: string
      route: string
      exact_read: boolean
      area_code: string | null
    }>
  }

  t.test('when any write route is called, then the audit log has an entry for it', async (t) => {
    const document = (await app.inject({ method: 'GET', url: '/docs/json' })).json() as {
      paths: Record<string, Record<string, unknown>>
    }
    const writes: Array<{ method: string; route: string }> = []
    for (const [path, operations] of Object.entries(document.paths)) {
      if (!path.startsWith('/v1')) continue
      for (const method of Object.keys(operations)) {
        if (['post', 'patch', 'delete', 'put'].includes(method)) {
          writes.push({ method: method.toUpperCase(), route: path.replace(/\{(\w+)\}/g, ':$1') })
        }
      }
    }
    t.ok(writes.length >= 12, `${writes.length} write routes found`)
    for (const write of writes) {
      const url = write.route
        .replace(':code', 'BU05180101')
        .replace(/:\w+/g, '00000000-0000-4000-8000-000000000000')
      const response = await app.inject({
        method: write.method as 'POST',
        url,
        headers: admin,
        payload: {},
      })
      t.ok(response.statusCode < 500, `${write.method} ${url}: ${response.statusCode}`)
    }
    const logged = await entries()
    for (const write of writes) {
      t.ok(
        logged.some(
          (entry) =>
            entry.method === write.method && entry.route === write.route && !entry.exact_read,
        ),
        `${write.method} ${write.route} is in the audit log`,
      )
    }
  })

  t.test(
    'when exact values are read, then each read is in the audit log with its area',
    async (t) => {
      const reads = [
        {
          url: '/v1/areas/BU05180101/snapshots',
          route: '/v1/areas/:code/snapshots',
          area: 'BU05180101',
        },
        { url: '/v1/areas/BU05180101/trend', route: '/v1/areas/:code/trend', area: 'BU05180101' },
        { url: '/v1/trends?municipality=GM0518', route: '/v1/trends', area: null },
        { url: '/v1/risk?municipality=GM0518', route: '/v1/risk', area: null },
        { url: '/v1/alerts?municipality=GM0518', route: '/v1/alerts', area: null },
      ]
      for (const read of reads) {
        const response = await app.inject({ method: 'GET', url: read.url, headers: admin })
        t.equal(response.statusCode, 200, `${read.url}: ${response.body.slice(0, 200)}`)
      }
      const logged = await entries()
      for (const read of reads) {
        t.ok(
          logged.some(
            (entry) =>
              entry.method === 'GET' &&
              entry.route === read.route &&
              entry.exact_read &&
              (read.area === null || entry.area_code === read.area),
          ),
          `GET ${read.route} is logged as an exact read`,
        )
      }
    },
  )
})

import t from 'tap'
import { buildTestApp, createKey, engines, freshDataDir, testConfig } from '../../../helper.js'
import { csvOf, snapshotRow } from '../../../support/snapshot-fixtures.js'
import { buildServer } from '../../../../services/server.js'

for (const engine of engines) {
  t.test(engine, async (t) => {
    const { app, admin, reset } = await buildTestApp(t, engine)
    t.beforeEach(() => reset())

    const audit = async (query = '') => {
      const response = await app.inject({ method: 'GET', url: `/v1/audit${query}`, headers: admin })
      t.equal(response.statusCode, 200)
      return response.json()
    }

    t.test('GET /v1/audit', async (t) => {
      t.test(
        'when analysts write and read exact values and viewers read, then writes and exact reads are logged',
        async (t) => {
          const analyst = await createKey(app, admin, 'analyst', 'GM0518')
          const viewer = await createKey(app, admin, 'viewer', 'GM0518')
          await app.inject({
            method: 'POST',
            url: '/v1/snapshots',
            headers: { ...analyst.headers, 'content-type': 'text/csv' },
            payload: csvOf([snapshotRow()]),
          })
          await app.inject({
            method: 'GET',
            url: '/v1/areas/BU05180101/snapshots',
            headers: analyst.headers,
          })
          await app.inject({
            method: 'GET',
            url: '/v1/areas/BU05180101/snapshots',
            headers: viewer.headers,
          })

          const analystEntries = (await audit(`?key_id=${analyst.id}`)).items
          t.match(analystEntries, [
            {
              key_id: analyst.id,
              method: 'GET',
              route: '/v1/areas/:code/snapshots',
              area_code: 'BU05180101',
              exact_read: true,
            },
            { key_id: analyst.id, method: 'POST', route: '/v1/snapshots', exact_read: false },
          ])
          t.same(
            (await audit(`?key_id=${viewer.id}`)).items,
            [],
            'a viewer read is not an exact read',
          )
          t.ok(
            (await audit()).items.some((entry: { route: string }) => entry.route === '/v1/keys'),
            'key creation is a write',
          )
        },
      )

      t.test('when filtered by time, then only entries in [from, to) are listed', async (t) => {
        await app.inject({ method: 'GET', url: '/v1/areas/BU05180101/snapshots', headers: admin })
        const future = new Date(Date.now() + 3_600_000).toISOString()
        t.equal((await audit(`?from=${encodeURIComponent(future)}`)).total, 0)
        t.ok((await audit(`?to=${encodeURIComponent(future)}`)).total >= 0)
      })
    })
  })
}

t.test('audit flush on shutdown', async (t) => {
  t.test(
    'when the service closes right after a write, then the entry is still written',
    async (t) => {
      const dataDir = await freshDataDir(t)
      const overrides = { ...testConfig, dataDir, databaseUrl: undefined }
      const headers = { authorization: `Bearer ${testConfig.adminKey}` }
      const first = await buildServer({ overrides, logger: false })
      await first.inject({
        method: 'POST',
        url: '/v1/snapshots',
        headers: { ...headers, 'content-type': 'text/csv' },
        payload: csvOf([snapshotRow()]),
      })
      await first.close()
      const second = await buildServer({ overrides, logger: false })
      t.teardown(() => second.close())
      const entries = (await second.inject({ method: 'GET', url: '/v1/audit', headers })).json()
        .items
      t.ok(entries.some((entry: { route: string }) => entry.route === '/v1/snapshots'))
    },
  )
})

import t from 'tap'
import { buildTestApp, engines } from '../../../helper.js'
import { csvOf, snapshotRow } from '../../../support/snapshot-fixtures.js'

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

for (const engine of engines) {
  t.test(engine, async (t) => {
    const { app, admin, reset } = await buildTestApp(t, engine)
    t.beforeEach(() => reset())

    const upload = async (body: string) => {
      const response = await app.inject({
        method: 'POST',
        url: '/v1/snapshots',
        headers: { ...admin, 'content-type': 'text/csv' },
        payload: body,
      })
      t.equal(response.statusCode, 201, response.body)
      return response.json()
    }
    const read = (query = '', code = 'BU05180101') =>
      app.inject({ method: 'GET', url: `/v1/areas/${code}/snapshots${query}`, headers: admin })

    t.test('GET /v1/areas/:code/snapshots', async (t) => {
      t.test(
        'when counts were not delivered, then they and their rates read back as null, never 0',
        async (t) => {
          await upload(csvOf([snapshotRow({ halt_registrations: null, drug_offence_suspects: 0 })]))
          const [item] = (await read()).json().items
          t.equal(item.halt_registrations, null)
          t.equal(item.halt_rate, null)
          t.equal(item.drug_offence_suspects, 0)
          t.equal(item.drug_offence_rate, 0)
          t.equal(item.early_school_leaving_rate, 12 / 200)
          t.match(item, {
            period: '2024Q3',
            youth_population: 200,
            batch_id: /^[0-9a-f-]{36}$/,
            recorded_at: /Z$/,
          })
        },
      )

      t.test(
        'when from and to are given, then the range is inclusive and ordered by period',
        async (t) => {
          const periods = ['2023Q4', '2024Q1', '2024Q2', '2024Q3']
          await upload(csvOf(periods.map((period) => snapshotRow({ period }))))
          const response = await read('?from=2024-Q1&to=2024KW02')
          t.same(
            response.json().items.map((item: { period: string }) => item.period),
            ['2024Q1', '2024Q2'],
          )
          t.equal(response.json().total, 2)
          const paged = (await read('?limit=1&offset=1')).json()
          t.same([paged.items.length, paged.items[0].period, paged.total], [1, '2024Q1', 4])
        },
      )

      t.test(
        'when a quarter is revised, then current values change and as_of shows what was known then',
        async (t) => {
          const first = await upload(csvOf([snapshotRow({ drug_offence_suspects: 3 })]))
          await pause(20)
          const between = new Date().toISOString().replace('Z', '+00:00')
          await pause(20)
          const second = await upload(
            csvOf([snapshotRow({ drug_offence_suspects: 5, halt_registrations: null })]),
          )
          t.match(second, { revised: 1 })

          const current = (await read()).json().items
          t.same(
            [
              current.length,
              current[0].drug_offence_suspects,
              current[0].halt_registrations,
              current[0].batch_id,
            ],
            [1, 5, null, second.batch_id],
          )

          const earlier = (await read(`?as_of=${encodeURIComponent(between)}`)).json().items
          t.same(
            [
              earlier.length,
              earlier[0].drug_offence_suspects,
              earlier[0].halt_registrations,
              earlier[0].batch_id,
            ],
            [1, 3, 8, first.batch_id],
          )

          const before = (
            await read(`?as_of=${encodeURIComponent('2000-01-01T00:00:00+01:00')}`)
          ).json()
          t.same(before, { items: [], total: 0 })
        },
      )

      t.test('when as_of has no time-zone offset, then 400', async (t) => {
        await upload(csvOf([snapshotRow()]))
        for (const asOf of ['2025-01-01T00:00:00', '2025-01-01', 'yesterday']) {
          const response = await read(`?as_of=${encodeURIComponent(asOf)}`)
          t.equal(response.statusCode, 400, asOf)
          t.equal(response.json().error.code, 'bad_request')
        }
      })

      t.test('when from is not a quarter, then 400', async (t) => {
        await upload(csvOf([snapshotRow()]))
        t.equal((await read('?from=2024-13')).statusCode, 400)
      })

      t.test(
        'when the area does not exist, then 404; when the code is malformed, then 400',
        async (t) => {
          t.equal((await read('', 'BU09990101')).statusCode, 404)
          t.equal((await read('', 'XX12')).statusCode, 400)
        },
      )

      t.test('when an unknown query parameter is sent, then 400', async (t) => {
        await upload(csvOf([snapshotRow()]))
        t.equal((await read('?colour=red')).statusCode, 400)
      })

      t.test('when no key is sent, then 401', async (t) => {
        const response = await app.inject({ method: 'GET', url: '/v1/areas/BU05180101/snapshots' })
        t.equal(response.statusCode, 401)
      })
    })

    t.test('GET /v1/areas', async (t) => {
      t.test(
        'when filtered by municipality and level, then only those areas, with total',
        async (t) => {
          await upload(
            csvOf([
              snapshotRow(),
              snapshotRow({ area_code: 'BU05180201', area_name: 'Noord' }),
              snapshotRow({ area_code: 'BU05990101', area_name: 'Rotterdam Centrum' }),
            ]),
          )
          const response = await app.inject({
            method: 'GET',
            url: '/v1/areas?municipality=GM0518&level=neighbourhood',
            headers: admin,
          })
          t.same(
            response.json().items.map((area: { area_code: string }) => area.area_code),
            ['BU05180101', 'BU05180201'],
          )
          t.equal(response.json().total, 2)
          const districts = await app.inject({
            method: 'GET',
            url: '/v1/areas?level=district&limit=1',
            headers: admin,
          })
          t.same([districts.json().items.length, districts.json().total], [1, 3])
        },
      )

      t.test('when limit is above 10000, then 400', async (t) => {
        const response = await app.inject({
          method: 'GET',
          url: '/v1/areas?limit=10001',
          headers: admin,
        })
        t.equal(response.statusCode, 400)
      })
    })
  })
}

import t from 'tap'
import { buildTestApp, createKey, engines, runModelToEnd } from '../../../helper.js'
import { csvOf, type SnapshotFixture } from '../../../support/snapshot-fixtures.js'
import { mulberry32 } from '../../../../models/stats/seeded-random.js'

/**
 * CBS letter codes through every route family (issue 16): since its 2023 division CBS writes
 * Amsterdam's districts and neighbourhoods with capital letters (`WK0363AF`, `BU0363AF09`), so
 * the pattern is `WK\d{4}[0-9A-Z]{2}` / `BU\d{4}[0-9A-Z]{4}` and parents still go by prefix.
 * Amsterdam here has a lettered district (WK0363AF, six neighbourhoods) beside a numbered one
 * (WK036304, four), 12 quarters of seeded counts.
 */

const lettered = Array.from({ length: 6 }, (_, i) => `BU0363AF${String(i + 1).padStart(2, '0')}`)
const numbered = Array.from({ length: 4 }, (_, i) => `BU036304${String(i + 1).padStart(2, '0')}`)
const periods = Array.from({ length: 12 }, (_, i) => `${2022 + Math.floor(i / 4)}Q${(i % 4) + 1}`)

function amsterdamPanel(): SnapshotFixture[] {
  const random = mulberry32(363)
  return [...lettered, ...numbered].flatMap((area_code, i) =>
    periods.map((period) => {
      const population = 300 + 20 * i
      const draw = (mean: number) => Math.round(mean * (0.6 + 0.8 * random()))
      return {
        area_code,
        area_name: `Buurt ${area_code.slice(6)}`,
        period,
        youth_population: population,
        early_school_leavers: draw(0.05 * population),
        halt_registrations: draw(0.03 * population),
        parental_debt: draw(0.1 * population),
        drug_offence_suspects: draw(0.02 * population),
      }
    }),
  )
}

for (const engine of engines) {
  t.test(engine, async (t) => {
    const { app, admin } = await buildTestApp(t, engine)
    const uploaded = await app.inject({
      method: 'POST',
      url: '/v1/snapshots',
      headers: { ...admin, 'content-type': 'text/csv' },
      payload: csvOf(amsterdamPanel()),
    })
    t.equal(uploaded.statusCode, 201, uploaded.body)
    const analyst = await createKey(app, admin, 'analyst', 'GM0363')
    const viewer = await createKey(app, admin, 'viewer', 'GM0363')
    const outsider = await createKey(app, admin, 'viewer', 'GM0518')
    const get = (url: string, headers = analyst.headers) =>
      app.inject({ method: 'GET', url, headers })

    t.test('snapshots and areas', async (t) => {
      t.test(
        'when a lettered neighbourhood is read, then it is there with its parents',
        async (t) => {
          const area = await get('/v1/areas/BU0363AF03')
          t.equal(area.statusCode, 200, area.body)
          t.match(area.json(), {
            area_code: 'BU0363AF03',
            level: 'neighbourhood',
            parent_code: 'WK0363AF',
          })
          const district = await get('/v1/areas/WK0363AF')
          t.equal(district.statusCode, 200, district.body)
          t.match(district.json(), { level: 'district', parent_code: 'GM0363' })
        },
      )

      t.test(
        'when children are listed, then lettered and numbered codes sort as text',
        async (t) => {
          const districts = await get('/v1/areas?parent=GM0363&limit=100')
          t.equal(districts.statusCode, 200, districts.body)
          t.same(
            districts.json().items.map((item: { area_code: string }) => item.area_code),
            ['WK036304', 'WK0363AF'],
          )
          const children = await get('/v1/areas?parent=WK0363AF&limit=100')
          t.same(
            children.json().items.map((item: { area_code: string }) => item.area_code),
            lettered,
          )
        },
      )

      t.test('when its snapshots are read, then every quarter comes back', async (t) => {
        const response = await get('/v1/areas/BU0363AF09/snapshots')
        t.equal(response.statusCode, 404, 'an unknown lettered code is a 404, not a 400')
        const stored = await get('/v1/areas/BU0363AF01/snapshots?limit=100')
        t.equal(stored.statusCode, 200, stored.body)
        t.equal(stored.json().total, periods.length)
        const csvExport = await app.inject({
          method: 'GET',
          url: '/v1/areas/BU0363AF01/snapshots?limit=100',
          headers: { ...analyst.headers, accept: 'text/csv' },
        })
        t.equal(csvExport.statusCode, 200, csvExport.body)
        t.equal(csvExport.body.trim().split('\n').length, periods.length + 1)
      })

      t.test(
        'when a code has lower-case letters, then it is refused and the answer says why',
        async (t) => {
          const path = await get('/v1/areas/BU0363af01')
          t.equal(path.statusCode, 400, path.body)
          const row = await app.inject({
            method: 'POST',
            url: '/v1/snapshots',
            headers: { ...admin, 'content-type': 'text/csv' },
            payload: csvOf([{ ...amsterdamPanel()[0], area_code: 'BU0363af01' }]),
          })
          t.equal(row.statusCode, 422, row.body)
          t.match(row.json().error.details.errors[0], {
            row: 2,
            column: 'area_code',
            message: /capitals \(BU0363AF01\)/,
          })
        },
      )
    })

    t.test('trends', async (t) => {
      t.test(
        'when a lettered neighbourhood and district are asked, then both have a trend',
        async (t) => {
          for (const code of ['BU0363AF02', 'WK0363AF', 'GM0363']) {
            const response = await get(`/v1/areas/${code}/trend`)
            t.equal(response.statusCode, 200, `${code}: ${response.body}`)
            t.equal(response.json().area_code, code)
          }
        },
      )

      t.test(
        'when trends are listed for the municipality, then the lettered ones are in it',
        async (t) => {
          const response = await get('/v1/trends?municipality=GM0363&limit=100')
          t.equal(response.statusCode, 200, response.body)
          const codes = response.json().items.map((item: { area_code: string }) => item.area_code)
          t.ok(
            lettered.every((code) => codes.includes(code)),
            `${codes.length} listed`,
          )
        },
      )
    })

    t.test('scope', async (t) => {
      t.test(
        'when a key of the municipality reads, then it may; another municipality may not',
        async (t) => {
          const own = await get('/v1/areas/BU0363AF01/trend', viewer.headers)
          t.equal(own.statusCode, 200, own.body)
          const other = await get('/v1/areas/BU0363AF01/trend', outsider.headers)
          t.equal(other.statusCode, 403, other.body)
        },
      )
    })

    t.test('interventions and alerts', async (t) => {
      t.test('when lettered areas are treated, then their effects are estimated', async (t) => {
        const created = await app.inject({
          method: 'POST',
          url: '/v1/interventions',
          headers: analyst.headers,
          payload: {
            name: 'Preventie met gezag',
            municipality: 'GM0363',
            areas: lettered.slice(0, 3).map((area_code) => ({ area_code, start_period: '2023Q3' })),
          },
        })
        t.equal(created.statusCode, 201, created.body)
        const effects = await get(`/v1/interventions/${created.json().id}/effects?method=did`)
        t.equal(effects.statusCode, 200, effects.body)
        t.same(
          effects.json().by_area.map((entry: { area_code: string }) => entry.area_code),
          lettered.slice(0, 3),
        )
      })

      t.test(
        'when alerts are asked for a lettered area, then the filter is accepted',
        async (t) => {
          const response = await get('/v1/alerts?area=BU0363AF01')
          t.equal(response.statusCode, 200, response.body)
        },
      )
    })

    t.test('risk', async (t) => {
      t.test('when the model runs, then lettered neighbourhoods are scored', async (t) => {
        const run = await runModelToEnd(app, admin)
        t.equal(run.status, 'succeeded', JSON.stringify(run.error))
        const risk = await get('/v1/risk?municipality=GM0363&limit=100')
        t.equal(risk.statusCode, 200, risk.body)
        const codes = risk.json().items.map((item: { area_code: string }) => item.area_code)
        t.same([...codes].sort(), [...numbered, ...lettered].sort())
      })
    })
  })
}

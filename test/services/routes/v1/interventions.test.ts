import t from 'tap'
import { buildTestApp, createKey, engines } from '../../../helper.js'
import { csvOf, type SnapshotFixture } from '../../../support/snapshot-fixtures.js'
import { mulberry32 } from '../../../../models/stats/seeded-random.js'

/**
 * Seeded synthetic panel: 70 neighbourhoods of GM0518 (districts 01–07, ten each) and 20 of
 * GM0599 over 24 quarters 2018Q1–2023Q4. Outcome rate = level (0.008–0.012) + loading × 0.001 ×
 * sin(t/3) + noise (sd 0.0004), counts rounded from youth populations of 2,000–4,000, so every
 * count is at least 10. BU05180101–BU05180108 get a planted effect of −0.003 on the rate from
 * 2022Q1; BU05180301 is small (population 150, counts of 1–2) for the disclosure checks.
 */
const truth = -0.003
const treatedCodes = Array.from(
  { length: 8 },
  (_, index) => `BU051801${String(index + 1).padStart(2, '0')}`,
)
const placeboCodes = ['BU05180201', 'BU05180202', 'BU05180203', 'BU05180204']
const smallCode = 'BU05180301'
const periods = Array.from(
  { length: 24 },
  (_, index) => `${2018 + Math.floor(index / 4)}Q${(index % 4) + 1}`,
)
const startIndex = 16

function panelRows(): SnapshotFixture[] {
  const random = mulberry32(2024)
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
  const codes = [
    ...Array.from(
      { length: 70 },
      (_, index) =>
        `BU0518${String(Math.floor(index / 10) + 1).padStart(2, '0')}${String((index % 10) + 1).padStart(2, '0')}`,
    ),
    ...Array.from(
      { length: 20 },
      (_, index) =>
        `BU0599${String(Math.floor(index / 10) + 1).padStart(2, '0')}${String((index % 10) + 1).padStart(2, '0')}`,
    ),
  ]
  const rows: SnapshotFixture[] = []
  for (const code of codes) {
    const small = code === smallCode
    const population = small ? 150 : 2000 + Math.floor(2000 * random())
    const level = 0.008 + 0.004 * random()
    const loading = normal()
    const effect = treatedCodes.includes(code) ? truth : 0
    periods.forEach((period, time) => {
      const rate =
        level +
        0.001 * loading * Math.sin(time / 3) +
        0.0004 * normal() +
        (time >= startIndex ? effect : 0)
      const count = (share: number) => Math.max(0, Math.round(population * share))
      rows.push({
        area_code: code,
        area_name: null,
        period,
        youth_population: population,
        early_school_leavers: count(0.05 + 0.005 * normal()),
        halt_registrations: count(0.03 + 0.003 * normal()),
        parental_debt: count(0.1 + 0.01 * normal()),
        drug_offence_suspects: count(rate),
      })
    })
  }
  return rows
}

interface Effects {
  method: string
  overall: {
    att: number | null
    ci_low: number | null
    ci_high: number | null
    p_value: number | null
  }
  by_area: {
    area_code: string
    att: number | null
    p_value: number | null
    pre_rmspe: number | null
    post_rmspe: number | null
    donors: { area_code: string; weight: number }[]
    series?: { period: string; observed: number | null; synthetic: number | null }[]
    suppressed?: string[]
  }[]
  event_study: {
    event_time: number
    att: number | null
    ci_low: number | null
    ci_high: number | null
  }[]
  warnings: string[]
  n_donors: number
  n_pre_periods: number
  data_version: string
  computed_at: string
}

for (const engine of engines) {
  t.test(engine, async (t) => {
    const { app, admin } = await buildTestApp(t, engine)
    const rows = panelRows()
    const uploaded = await app.inject({
      method: 'POST',
      url: '/v1/snapshots',
      headers: { ...admin, 'content-type': 'text/csv' },
      payload: csvOf(rows),
    })
    t.equal(uploaded.statusCode, 201, uploaded.body)

    const keys = {
      viewer: await createKey(app, admin, 'viewer', 'GM0518'),
      analyst: await createKey(app, admin, 'analyst', 'GM0518'),
      otherAnalyst: await createKey(app, admin, 'analyst', 'GM0599'),
    }
    const create = (payload: unknown, headers = keys.analyst.headers) =>
      app.inject({ method: 'POST', url: '/v1/interventions', headers, payload: payload as object })
    const effects = (id: string, query: string, headers = keys.analyst.headers) =>
      app.inject({ method: 'GET', url: `/v1/interventions/${id}/effects?${query}`, headers })
    const areasFrom = (codes: readonly string[], start = '2022Q1') =>
      codes.map((area_code) => ({ area_code, start_period: start }))

    t.test('POST /v1/interventions and the CRUD routes', async (t) => {
      t.test(
        'when an analyst registers one in scope, then it reads back with canonical quarters',
        async (t) => {
          const response = await create({
            name: 'Preventie met gezag',
            description: 'youth work and sport',
            municipality: 'GM0518',
            areas: [
              { area_code: 'BU05180501', start_period: '2022-Q1', end_period: '2023KW04' },
              { area_code: 'BU05180502', start_period: '2022 Q2' },
            ],
          })
          t.equal(response.statusCode, 201, response.body)
          const { id } = response.json()
          const read = await app.inject({
            method: 'GET',
            url: `/v1/interventions/${id}`,
            headers: keys.viewer.headers,
          })
          t.equal(read.statusCode, 200)
          t.match(read.json(), {
            id,
            name: 'Preventie met gezag',
            description: 'youth work and sport',
            municipality: 'GM0518',
            created_by: keys.analyst.id,
            areas: [
              { area_code: 'BU05180501', start_period: '2022Q1', end_period: '2023Q4' },
              { area_code: 'BU05180502', start_period: '2022Q2', end_period: null },
            ],
          })

          const list = await app.inject({
            method: 'GET',
            url: '/v1/interventions',
            headers: keys.viewer.headers,
          })
          t.equal(list.json().total, 1)
          const otherList = await app.inject({
            method: 'GET',
            url: '/v1/interventions',
            headers: keys.otherAnalyst.headers,
          })
          t.same(otherList.json(), { items: [], total: 0 })
          const forbiddenList = await app.inject({
            method: 'GET',
            url: '/v1/interventions?municipality=GM0518',
            headers: keys.otherAnalyst.headers,
          })
          t.equal(forbiddenList.statusCode, 403)

          const patched = await app.inject({
            method: 'PATCH',
            url: `/v1/interventions/${id}`,
            headers: keys.analyst.headers,
            payload: { name: 'PmG', areas: [{ area_code: 'BU05180503', start_period: '2021Q4' }] },
          })
          t.equal(patched.statusCode, 200, patched.body)
          t.match(patched.json(), { name: 'PmG', description: 'youth work and sport' })
          t.same(patched.json().areas, [
            { area_code: 'BU05180503', start_period: '2021Q4', end_period: null },
          ])

          for (const [method, headers] of [
            ['PATCH', keys.otherAnalyst.headers],
            ['DELETE', keys.otherAnalyst.headers],
            ['GET', keys.otherAnalyst.headers],
          ] as const) {
            const response = await app.inject({
              method,
              url: `/v1/interventions/${id}`,
              headers,
              ...(method === 'PATCH' ? { payload: { name: 'x' } } : {}),
            })
            t.equal(response.statusCode, 403, `${method} from another municipality`)
          }
          for (const method of ['PATCH', 'DELETE'] as const) {
            const response = await app.inject({
              method,
              url: `/v1/interventions/${id}`,
              headers: keys.viewer.headers,
              ...(method === 'PATCH' ? { payload: { name: 'x' } } : {}),
            })
            t.equal(response.statusCode, 403, `${method} by a viewer`)
          }

          const deleted = await app.inject({
            method: 'DELETE',
            url: `/v1/interventions/${id}`,
            headers: keys.analyst.headers,
          })
          t.equal(deleted.statusCode, 204)
          const gone = await app.inject({
            method: 'GET',
            url: `/v1/interventions/${id}`,
            headers: admin,
          })
          t.equal(gone.statusCode, 404)
          t.equal(gone.json().error.code, 'not_found')
        },
      )

      t.test('when the caller may not write there, then 403', async (t) => {
        const body = { name: 'x', municipality: 'GM0518', areas: areasFrom(['BU05180501']) }
        t.equal((await create(body, keys.viewer.headers)).statusCode, 403)
        t.equal((await create(body, keys.otherAnalyst.headers)).statusCode, 403)
        t.equal((await create(body, admin)).statusCode, 201)
        const { items } = (
          await app.inject({ method: 'GET', url: '/v1/interventions', headers: admin })
        ).json()
        for (const item of items) {
          await app.inject({
            method: 'DELETE',
            url: `/v1/interventions/${item.id}`,
            headers: admin,
          })
        }
      })

      t.test('when the body is invalid, then 400 and nothing is stored', async (t) => {
        const valid = { name: 'x', municipality: 'GM0518', areas: areasFrom(['BU05180501']) }
        const cases: [string, unknown][] = [
          ['unknown field', { ...valid, budget: 1 }],
          [
            'unknown area field',
            { ...valid, areas: [{ area_code: 'BU05180501', start_period: '2022Q1', x: 1 }] },
          ],
          ['no areas', { ...valid, areas: [] }],
          ['district', { ...valid, areas: areasFrom(['WK051801']) }],
          ['other municipality', { ...valid, areas: areasFrom(['BU05990101']) }],
          ['unknown neighbourhood', { ...valid, areas: areasFrom(['BU05189999']) }],
          ['twice', { ...valid, areas: areasFrom(['BU05180501', 'BU05180501']) }],
          ['bad quarter', { ...valid, areas: areasFrom(['BU05180501'], '2022Q5') }],
          [
            'end before start',
            {
              ...valid,
              areas: [{ area_code: 'BU05180501', start_period: '2022Q3', end_period: '2022Q2' }],
            },
          ],
          ['null name', { ...valid, name: null }],
        ]
        for (const [name, payload] of cases) {
          const response = await create(payload)
          t.equal(response.statusCode, 400, `${name}: ${response.body}`)
          t.equal(response.json().error.code, 'bad_request', name)
        }
        const list = await app.inject({ method: 'GET', url: '/v1/interventions', headers: admin })
        t.equal(list.json().total, 0)
        const patch = await app.inject({
          method: 'PATCH',
          url: '/v1/interventions/00000000-0000-4000-8000-000000000000',
          headers: keys.analyst.headers,
          payload: { municipality: 'GM0599' },
        })
        t.equal(patch.statusCode, 400)
        const missing = await effects('00000000-0000-4000-8000-000000000000', 'method=did')
        t.equal(missing.statusCode, 404)
      })
    })

    t.test('GET /v1/interventions/:id/effects', async (t) => {
      const effectId = (
        await create({ name: 'effect', municipality: 'GM0518', areas: areasFrom(treatedCodes) })
      ).json().id as string
      const placeboId = (
        await create({ name: 'placebo', municipality: 'GM0518', areas: areasFrom(placeboCodes) })
      ).json().id as string

      for (const method of ['synthetic_control', 'did'] as const) {
        t.test(
          `when ${method} estimates a planted effect, then the interval covers it and excludes 0`,
          async (t) => {
            const response = await effects(
              effectId,
              `method=${method}&outcome=drug_offence_suspects`,
            )
            t.equal(response.statusCode, 200, response.body)
            const body = response.json() as Effects
            const { overall } = body
            t.ok(
              overall.ci_low! <= truth && truth <= overall.ci_high!,
              `${overall.ci_low} … ${overall.ci_high}, att ${overall.att}`,
            )
            t.ok(overall.ci_high! < 0, 'interval excludes 0')
            t.ok(overall.p_value! < 0.05)
            t.equal(body.method, method)
            t.equal(body.by_area.length, treatedCodes.length)
            t.equal(body.n_pre_periods, startIndex)
            t.ok(Array.isArray(body.warnings))
            t.same(Object.keys(body.overall).sort(), ['att', 'ci_high', 'ci_low', 'p_value'])
            for (const entry of body.event_study) {
              t.same(Object.keys(entry).sort(), ['att', 'ci_high', 'ci_low', 'event_time'])
            }
            t.ok(body.event_study.some((entry) => entry.event_time === 0))
            const area = body.by_area[0]
            t.match(Object.keys(area), [
              'area_code',
              'start_period',
              'att',
              'p_value',
              'pre_rmspe',
              'post_rmspe',
              'donors',
            ])
            if (method === 'synthetic_control') {
              // never-treated neighbourhoods of GM0518 and GM0599 minus the small one's peers: 90 − 12
              t.equal(body.n_donors, 90 - treatedCodes.length - placeboCodes.length)
              t.equal(area.series!.length, periods.length)
              const weights = area.donors.reduce((sum, donor) => sum + donor.weight, 0)
              t.ok(Math.abs(weights - 1) < 1e-6, `weights sum ${weights}`)
              t.ok(
                area.donors.every(
                  (donor) =>
                    !treatedCodes.includes(donor.area_code) &&
                    !placeboCodes.includes(donor.area_code),
                ),
              )
              t.ok(
                area.pre_rmspe! >= 0 &&
                  area.post_rmspe! >= 0 &&
                  area.p_value! > 0 &&
                  area.p_value! <= 1,
              )
            } else {
              t.equal(body.n_donors, 90 - treatedCodes.length - placeboCodes.length)
              t.equal(area.p_value, null)
              t.same(area.donors, [])
            }
          },
        )

        t.test(
          `when ${method} looks at a placebo intervention, then it is not flagged`,
          async (t) => {
            const response = await effects(placeboId, `method=${method}`)
            t.equal(response.statusCode, 200, response.body)
            const { overall } = response.json() as Effects
            t.ok(
              overall.ci_low! <= 0 && 0 <= overall.ci_high!,
              `${overall.ci_low} … ${overall.ci_high}`,
            )
            t.ok(overall.p_value! > 0.05, `p ${overall.p_value}`)
          },
        )
      }

      t.test(
        'when asked twice, then the second answer comes from the cache; an upload invalidates it',
        async (t) => {
          const first = (await effects(effectId, 'method=did')).json() as Effects
          const second = (await effects(effectId, 'method=did')).json() as Effects
          t.equal(second.computed_at, first.computed_at)
          t.same(second, first)
          const cached = await app
            .knex('intervention_effects_cache')
            .where({ intervention_id: effectId })
          t.equal(cached.length, 2, 'one entry per method')
          const revised = rows.find(
            (row) => row.area_code === 'BU05180601' && row.period === '2023Q4',
          )!
          const upload = await app.inject({
            method: 'POST',
            url: '/v1/snapshots',
            headers: { ...admin, 'content-type': 'text/csv' },
            payload: csvOf([
              { ...revised, drug_offence_suspects: Number(revised.drug_offence_suspects) + 1 },
            ]),
          })
          t.equal(upload.json().revised, 1)
          const third = (await effects(effectId, 'method=did')).json() as Effects
          t.not(third.data_version, first.data_version)
          t.not(third.computed_at, first.computed_at)
          const fourth = (await effects(effectId, 'method=did&max_donors=50')).json() as Effects
          t.not(fourth.computed_at, third.computed_at, 'other options are another entry')
        },
      )

      t.test(
        'when a viewer reads effects, then values revealing small counts are null',
        async (t) => {
          const analystView = (
            await effects(effectId, 'method=synthetic_control')
          ).json() as Effects
          const viewerView = (
            await effects(effectId, 'method=synthetic_control', keys.viewer.headers)
          ).json() as Effects
          // every count of the treated areas is at least 10 on a base of at least 2,000: nothing
          // withheld, but everything estimated on the rounded table (issue 14, finding 3)
          t.equal(viewerView.by_area.length, analystView.by_area.length)
          viewerView.by_area.forEach((area, index) => {
            t.type(area.att, 'number', `${area.area_code}: shown`)
            t.equal(area.suppressed, undefined)
            t.not(area.att, analystView.by_area[index].att, 'not the exact estimate')
            t.ok(
              Math.abs(area.att! - analystView.by_area[index].att!) < 0.002,
              'close to it: a rate per young person, rounded counts on bases of 2,000',
            )
          })
          t.type(viewerView.overall.att, 'number', 'the overall effect of enough areas stays')
          t.not(viewerView.overall.att, analystView.overall.att)

          const smallId = (
            await create({ name: 'small', municipality: 'GM0518', areas: areasFrom([smallCode]) })
          ).json().id as string
          const exact = (await effects(smallId, 'method=synthetic_control')).json() as Effects
          t.type(exact.by_area[0].att, 'number')
          t.type(exact.overall.att, 'number')
          const viewer = await effects(smallId, 'method=synthetic_control', keys.viewer.headers)
          t.equal(viewer.statusCode, 200, viewer.body)
          const hidden = viewer.json() as Effects & { overall: { suppressed?: string[] } }
          t.equal(hidden.by_area[0].att, null)
          t.equal(hidden.by_area[0].post_rmspe, null)
          t.ok(hidden.by_area[0].suppressed!.includes('att'))
          t.ok(hidden.by_area[0].series!.every((point) => point.observed === null))
          t.equal(hidden.overall.att, null)
          t.ok(hidden.overall.suppressed!.includes('att'))
          t.ok(hidden.event_study.every((entry) => entry.att === null))
          const did = (await effects(smallId, 'method=did', keys.viewer.headers)).json() as Effects
          t.equal(did.overall.att, null)
          t.equal(did.by_area[0].att, null)
          await app.inject({
            method: 'DELETE',
            url: `/v1/interventions/${smallId}`,
            headers: admin,
          })
        },
      )

      t.test('when the query is invalid, then 400', async (t) => {
        for (const query of [
          'method=ols',
          'outcome=robbery',
          'max_donors=1',
          'donors=some',
          'extra=1',
        ]) {
          const response = await effects(effectId, query)
          t.equal(response.statusCode, 400, query)
        }
      })

      t.test(
        'when a control loses a count, then both methods read the new data and leave it out',
        async (t) => {
          const before = (await effects(effectId, 'method=synthetic_control')).json() as Effects
          const revised = rows.find(
            (row) => row.area_code === 'BU05180602' && row.period === '2023Q4',
          )!
          const upload = await app.inject({
            method: 'POST',
            url: '/v1/snapshots',
            headers: { ...admin, 'content-type': 'text/csv' },
            payload: csvOf([{ ...revised, drug_offence_suspects: null }]),
          })
          t.equal(upload.json().revised, 1)
          for (const method of ['synthetic_control', 'did']) {
            const after = (await effects(effectId, `method=${method}`)).json() as Effects
            t.not(after.data_version, before.data_version)
            t.equal(after.n_donors, before.n_donors - 1, `${method}: one control fewer`)
            t.ok(
              after.warnings.includes(
                '1 never-treated neighbourhood(s) with missing quarters left out of the controls',
              ),
              `${method}: ${after.warnings.join('; ')}`,
            )
          }
        },
      )
    })

    t.test('POST /v1/interventions/power', async (t) => {
      const power = (areas: string[], headers = keys.analyst.headers, extra = {}) =>
        app.inject({
          method: 'POST',
          url: '/v1/interventions/power',
          headers,
          payload: { areas, start_period: '2023Q4', horizon_quarters: 4, ...extra },
        })
      t.test(
        'when more areas are planned, then the minimum detectable effect is smaller',
        async (t) => {
          const candidates = Array.from(
            { length: 10 },
            (_, index) => `BU051807${String(index + 1).padStart(2, '0')}`,
          )
          const few = await power(candidates.slice(0, 2))
          const many = await power(candidates, keys.analyst.headers, { effect: -0.5 })
          t.equal(few.statusCode, 200, few.body)
          t.equal(many.statusCode, 200, many.body)
          const fewBody = few.json()
          const manyBody = many.json()
          t.ok(
            manyBody.mde_relative < fewBody.mde_relative,
            `${manyBody.mde_relative} < ${fewBody.mde_relative}`,
          )
          t.ok(
            manyBody.mde_absolute > 0 &&
              manyBody.baseline_rate > 0.005 &&
              manyBody.baseline_rate < 0.015,
          )
          t.equal(manyBody.n_areas, 10)
          t.equal(manyBody.history_to, '2023Q3')
          t.ok(manyBody.power_at_effect >= 0 && manyBody.power_at_effect <= 1)
          t.equal(fewBody.power_at_effect, null)
          t.equal(manyBody.alpha, 0.05)
          t.equal(manyBody.target_power, 0.8)
        },
      )
      t.test(
        'when a viewer or another municipality asks, then 403; a bad body is 400',
        async (t) => {
          t.equal((await power(['BU05180701'], keys.viewer.headers)).statusCode, 403)
          t.equal((await power(['BU05180701'], keys.otherAnalyst.headers)).statusCode, 403)
          t.equal((await power(['BU05180701'], keys.analyst.headers, { foo: 1 })).statusCode, 400)
          t.equal(
            (await power(['BU05180701'], keys.analyst.headers, { start_period: 'soon' }))
              .statusCode,
            400,
          )
        },
      )
    })
  })
}

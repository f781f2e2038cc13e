import t from 'tap'
import { buildTestApp, createKey, engines } from '../../../helper.js'
import { csvOf, snapshotRow } from '../../../support/snapshot-fixtures.js'

for (const engine of engines) {
  t.test(engine, async (t) => {
    const { app, admin } = await buildTestApp(t, engine)
    // One district, three neighbourhoods: BU…01 has 4 suspects (primary suppression), BU…03 has
    // the next smallest (secondary), BU…02 is large; BU…04 has a small population.
    const upload = await app.inject({
      method: 'POST',
      url: '/v1/snapshots',
      headers: { ...admin, 'content-type': 'text/csv' },
      payload: csvOf([
        snapshotRow({
          area_code: 'BU05180101',
          youth_population: 203,
          drug_offence_suspects: 4,
          halt_registrations: null,
          early_school_leavers: 12,
        }),
        snapshotRow({
          area_code: 'BU05180102',
          youth_population: 300,
          drug_offence_suspects: 40,
          halt_registrations: 15,
        }),
        snapshotRow({
          area_code: 'BU05180103',
          youth_population: 250,
          drug_offence_suspects: 13,
          halt_registrations: 15,
        }),
        snapshotRow({
          area_code: 'BU05180104',
          youth_population: 30,
          drug_offence_suspects: 20,
          early_school_leavers: 10,
          halt_registrations: 10,
          parental_debt: 10,
        }),
      ]),
    })
    t.equal(upload.statusCode, 201)
    const viewer = await createKey(app, admin, 'viewer', 'GM0518')
    const analyst = await createKey(app, admin, 'analyst', 'GM0518')
    const read = async (code: string, headers: { authorization: string }) =>
      (await app.inject({ method: 'GET', url: `/v1/areas/${code}/snapshots`, headers })).json()
        .items[0]

    t.test('GET /v1/areas/:code/snapshots as a viewer', async (t) => {
      t.test(
        'when a count is below 10, then it and its rate are null and listed; a source NULL is not listed',
        async (t) => {
          const item = await read('BU05180101', viewer.headers)
          t.equal(item.drug_offence_suspects, null)
          t.equal(item.drug_offence_rate, null)
          t.equal(item.halt_registrations, null)
          t.same(item.suppressed, ['drug_offence_rate', 'drug_offence_suspects'])
          t.equal(item.early_school_leavers, 10, '12 rounds to 10')
          t.equal(item.youth_population, 205, '203 rounds to 205')
          // issue 14: 12 / 203 with the shown base 205 would give the exact count back
          t.equal(
            item.early_school_leaving_rate,
            10 / 205,
            'the rounded count over the rounded base',
          )
        },
      )

      t.test(
        'when one neighbourhood of the district is suppressed, then the next smallest is too',
        async (t) => {
          const item = await read('BU05180103', viewer.headers)
          t.equal(item.drug_offence_suspects, null)
          t.same(item.suppressed, ['drug_offence_rate', 'drug_offence_suspects'])
          const large = await read('BU05180102', viewer.headers)
          t.equal(large.drug_offence_suspects, 40)
          t.equal(large.suppressed, undefined)
        },
      )

      t.test(
        'when the base is below 50, then rates are null and listed, counts rounded',
        async (t) => {
          const item = await read('BU05180104', viewer.headers)
          t.equal(item.drug_offence_suspects, 20)
          t.equal(item.drug_offence_rate, null)
          t.ok(item.suppressed.includes('drug_offence_rate'))
          t.equal(item.unreliable, undefined)
        },
      )
    })

    t.test('GET /v1/areas/:code/snapshots as an analyst', async (t) => {
      t.test(
        'when an analyst reads, then values are exact and small bases are flagged unreliable',
        async (t) => {
          const item = await read('BU05180101', analyst.headers)
          t.equal(item.drug_offence_suspects, 4)
          t.equal(item.youth_population, 203)
          t.equal(item.suppressed, undefined)
          const small = await read('BU05180104', analyst.headers)
          t.equal(small.drug_offence_rate, 20 / 30)
          t.equal(small.unreliable, true)
        },
      )
    })
  })
}

import t from 'tap'
import { buildTestApp, engines } from '../../helper.js'
import { csvOf, snapshotRow } from '../../support/snapshot-fixtures.js'

/**
 * Two uploads that touch the same areas at the same time must end in a state equal to one of the
 * two serial orders: no lost revision, one current row per area and quarter.
 */
for (const engine of engines) {
  t.test(engine, async (t) => {
    const { app, admin, reset } = await buildTestApp(t, engine)
    t.beforeEach(() => reset())
    const areas = Array.from(
      { length: 300 },
      (_, index) => `BU0518${String(index).padStart(4, '0')}`,
    )
    const upload = (suspects: number) =>
      app.inject({
        method: 'POST',
        url: '/v1/snapshots',
        headers: { ...admin, 'content-type': 'text/csv' },
        payload: csvOf(
          areas.map((code) => snapshotRow({ area_code: code, drug_offence_suspects: suspects })),
        ),
      })

    t.test(
      'when two uploads of the same quarters race, then the result equals a serial order',
      async (t) => {
        t.equal((await upload(1)).statusCode, 201)
        const [a, b] = await Promise.all([upload(2), upload(3)])
        t.equal(a.statusCode, 201, a.body)
        t.equal(b.statusCode, 201, b.body)
        const current = await app
          .knex('snapshots')
          .whereNull('valid_to')
          .select('drug_offence_suspects')
        t.equal(current.length, areas.length, 'one current row per area and quarter')
        const values = new Set(current.map((row) => row.drug_offence_suspects))
        t.equal(values.size, 1, 'every area reflects the same last upload')
        const last = [...values][0]
        t.ok(last === 2 || last === 3)
        // Both uploads revised every row: the first against 1, the second against the first.
        t.same([a.json().revised, b.json().revised], [areas.length, areas.length])
        const history = Number((await app.knex('snapshots').count({ n: '*' }))[0].n)
        t.equal(history, areas.length * 3, 'no revision was lost')
      },
    )
  })
}

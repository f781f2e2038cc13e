import t from 'tap'
import { buildTestApp, engines } from '../../helper.js'
import { snapshotRow } from '../../support/snapshot-fixtures.js'
import { uploadRows } from '../../support/repository-fixtures.js'
import type { GeometryFeature } from '../../../services/ingest/geometry-features.js'

/**
 * The geometries repository (services/repositories/geometries-repository.ts) on each engine:
 * boundaries are stored or replaced for existing areas and listed with the area's name and level.
 */

const square = (x: number): GeometryFeature['geometry'] => ({
  type: 'Polygon',
  coordinates: [
    [
      [x, 52],
      [x + 0.01, 52],
      [x + 0.01, 52.01],
      [x, 52.01],
      [x, 52],
    ],
  ],
})

const feature = (area_code: string, x: number): GeometryFeature => ({
  area_code,
  area_name: null,
  geometry: square(x),
})

for (const engine of engines) {
  t.test(engine, async (t) => {
    const { app, admin, reset } = await buildTestApp(t, engine)
    const repository = app.geometriesRepository
    t.beforeEach(async () => {
      await reset()
      await uploadRows(app, admin, [
        snapshotRow({ area_code: 'BU05180101', area_name: 'Centrum' }),
        snapshotRow({ area_code: 'BU05180102', area_name: 'Haven' }),
        snapshotRow({ area_code: 'BU05990101', area_name: 'Elders' }),
      ])
    })

    const upsert = (features: readonly GeometryFeature[]) =>
      app.knex.transaction((trx) => repository.upsert(features, trx))

    t.test('upsert', async (t) => {
      t.test('when boundaries are new, then they are stored and counted as inserted', async (t) => {
        const counts = await upsert([feature('BU05180101', 4.1), feature('WK051801', 4.0)])

        t.same(counts, { inserted: 2, updated: 0 })
        const rows = await app.knex('area_geometries').orderBy('area_code')
        t.same(
          rows.map((row) => row.area_code),
          ['BU05180101', 'WK051801'],
        )
        const geometry =
          typeof rows[0].geometry === 'string' ? JSON.parse(rows[0].geometry) : rows[0].geometry
        t.same(geometry, square(4.1))
      })

      t.test(
        'when a boundary is delivered again, then it is replaced and counted as updated',
        async (t) => {
          await upsert([feature('BU05180101', 4.1)])

          const counts = await upsert([feature('BU05180101', 5.5), feature('BU05180102', 4.2)])

          t.same(counts, { inserted: 1, updated: 1 })
          const [stored] = await repository.list({ level: 'neighbourhood' })
          t.same(stored.geometry, square(5.5))
          const [{ n }] = await app.knex('area_geometries').count<{ n: number }[]>({ n: '*' })
          t.equal(Number(n), 2)
        },
      )

      t.test(
        'when more than one batch of boundaries comes, then every one is stored',
        async (t) => {
          const codes = Array.from(
            { length: 250 },
            (_, index) => `BU0518${String(index).padStart(4, '0')}`,
          )
          await app.knex.transaction((trx) =>
            app.areasRepository.upsertAreas(new Map(codes.map((code) => [code, null])), trx),
          )

          const counts = await upsert(codes.map((code, index) => feature(code, index / 100)))

          t.same(counts, { inserted: 250, updated: 0 })
        },
      )

      t.test(
        'when an area does not exist, then the whole call fails and nothing is stored',
        async (t) => {
          await t.rejects(upsert([feature('BU05180101', 4.1), feature('BU05189999', 4.2)]))

          const [{ n }] = await app.knex('area_geometries').count<{ n: number }[]>({ n: '*' })
          t.equal(Number(n), 0)
        },
      )
    })

    t.test('list', async (t) => {
      t.test(
        'when filtered by municipality and level, then the matches come by code with names and parsed geometry',
        async (t) => {
          await upsert([
            feature('BU05180102', 4.2),
            feature('BU05180101', 4.1),
            feature('WK051801', 4.0),
            feature('BU05990101', 6.0),
          ])

          const all = await repository.list({})
          const neighbourhoods = await repository.list({
            municipality: 'GM0518',
            level: 'neighbourhood',
          })
          const districts = await repository.list({ level: 'district' })

          t.same(
            all.map((row) => row.area_code),
            ['BU05180101', 'BU05180102', 'BU05990101', 'WK051801'],
          )
          t.same(neighbourhoods, [
            {
              area_code: 'BU05180101',
              area_name: 'Centrum',
              level: 'neighbourhood',
              geometry: square(4.1),
            },
            {
              area_code: 'BU05180102',
              area_name: 'Haven',
              level: 'neighbourhood',
              geometry: square(4.2),
            },
          ])
          t.same(
            districts.map((row) => [row.area_code, row.area_name]),
            [['WK051801', null]],
          )
        },
      )

      t.test('when no boundary is stored, then the list is empty', async (t) => {
        const rows = await repository.list({ municipality: 'GM0518' })

        t.same(rows, [])
      })
    })
  })
}

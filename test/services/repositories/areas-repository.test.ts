import t from 'tap'
import { buildTestApp, engines } from '../../helper.js'

/**
 * The areas repository (services/repositories/areas-repository.ts) on each engine: areas are
 * created with their ancestors, names are kept or updated, and read by code or as a list.
 */

for (const engine of engines) {
  t.test(engine, async (t) => {
    const { app, reset } = await buildTestApp(t, engine)
    const repository = app.areasRepository
    t.beforeEach(() => reset())

    const upsert = (names: Array<[string, string | null]>) =>
      app.knex.transaction((trx) => repository.upsertAreas(new Map(names), trx))
    const stored = () =>
      app
        .knex('areas')
        .select('area_code', 'area_name', 'level', 'parent_code', 'municipality_code')
        .orderBy('area_code')

    t.test('upsertAreas', async (t) => {
      t.test(
        'when a neighbourhood is new, then it is stored with its district and municipality',
        async (t) => {
          await upsert([['BU05180101', 'Centrum']])

          t.same(await stored(), [
            {
              area_code: 'BU05180101',
              area_name: 'Centrum',
              level: 'neighbourhood',
              parent_code: 'WK051801',
              municipality_code: 'GM0518',
            },
            {
              area_code: 'GM0518',
              area_name: null,
              level: 'municipality',
              parent_code: null,
              municipality_code: 'GM0518',
            },
            {
              area_code: 'WK051801',
              area_name: null,
              level: 'district',
              parent_code: 'GM0518',
              municipality_code: 'GM0518',
            },
          ])
        },
      )

      t.test(
        'when an ancestor is named in the same call, then it keeps its name whatever the order',
        async (t) => {
          await upsert([
            ['BU05180101', 'Centrum'],
            ['WK051801', 'Wijk 1'],
            ['BU05180102', null],
          ])

          const rows = await stored()

          t.same(
            rows.map((row) => [row.area_code, row.area_name]),
            [
              ['BU05180101', 'Centrum'],
              ['BU05180102', null],
              ['GM0518', null],
              ['WK051801', 'Wijk 1'],
            ],
          )
        },
      )

      t.test(
        'when a name changes, then it is updated with its time; when none or the same comes, then it is kept',
        async (t) => {
          await upsert([['BU05180101', 'Centrum']])
          const [first] = await app
            .knex('areas')
            .where({ area_code: 'BU05180101' })
            .select('updated_at')

          await upsert([['BU05180101', null]])
          await upsert([['BU05180101', 'Centrum']])
          const [unchanged] = await app
            .knex('areas')
            .where({ area_code: 'BU05180101' })
            .select('area_name', 'updated_at')
          await upsert([['BU05180101', 'Centrum-Oost']])
          const [renamed] = await app
            .knex('areas')
            .where({ area_code: 'BU05180101' })
            .select('area_name', 'updated_at')

          t.equal(unchanged.area_name, 'Centrum', 'no name never clears a name')
          t.equal(unchanged.updated_at.getTime(), first.updated_at.getTime())
          t.equal(renamed.area_name, 'Centrum-Oost')
          t.ok(renamed.updated_at.getTime() > first.updated_at.getTime(), 'updated_at moved')
        },
      )

      t.test('when more than a thousand areas come, then every one is stored', async (t) => {
        const names: Array<[string, string | null]> = Array.from({ length: 1200 }, (_, index) => [
          `BU0518${String(Math.floor(index / 100)).padStart(2, '0')}${String(index % 100).padStart(2, '0')}`,
          `Buurt ${index}`,
        ])

        await upsert(names)

        const [{ n }] = await app.knex('areas').count<{ n: number }[]>({ n: '*' })
        t.equal(Number(n), 1200 + 12 + 1, 'neighbourhoods, 12 districts, 1 municipality')
      })

      t.test('when the transaction rolls back, then nothing is stored', async (t) => {
        await t.rejects(
          app.knex.transaction(async (trx) => {
            await repository.upsertAreas(new Map([['BU05180101', 'Centrum']]), trx)
            throw new Error('rolled back')
          }),
          { message: 'rolled back' },
        )

        t.same(await stored(), [])
      })
    })

    t.test('find', async (t) => {
      t.test('when the area exists, then it comes; else undefined', async (t) => {
        await upsert([['BU05180101', 'Centrum']])

        const found = await repository.find('BU05180101')
        const missing = await repository.find('BU05189999')

        t.same(found, {
          area_code: 'BU05180101',
          area_name: 'Centrum',
          level: 'neighbourhood',
          parent_code: 'WK051801',
        })
        t.equal(missing, undefined)
      })
    })

    t.test('list', async (t) => {
      t.test(
        'when filtered by municipality, level or parent, then the matches come by code with their total',
        async (t) => {
          await upsert([
            ['BU05180101', 'Centrum'],
            ['BU05180102', 'Haven'],
            ['BU05180201', 'Duinen'],
            ['BU05990101', 'Elders'],
          ])

          const all = await repository.list({ limit: 100, offset: 0 })
          const ofMunicipality = await repository.list({
            municipality: 'GM0518',
            level: 'neighbourhood',
            limit: 100,
            offset: 0,
          })
          const ofParent = await repository.list({ parent: 'WK051801', limit: 100, offset: 0 })
          const districts = await repository.list({ level: 'district', limit: 100, offset: 0 })

          t.equal(all.total, 4 + 3 + 2)
          t.same(
            all.items.map((row) => row.area_code),
            [...all.items.map((row) => row.area_code)].sort(),
            'ordered by code',
          )
          t.same(
            ofMunicipality.items.map((row) => row.area_code),
            ['BU05180101', 'BU05180102', 'BU05180201'],
          )
          t.same(
            ofParent.items.map((row) => row.area_code),
            ['BU05180101', 'BU05180102'],
          )
          t.same(
            districts.items.map((row) => row.area_code),
            ['WK051801', 'WK051802', 'WK059901'],
          )
        },
      )

      t.test('when paged, then the page comes and the total counts every match', async (t) => {
        await upsert([
          ['BU05180101', 'Centrum'],
          ['BU05180102', 'Haven'],
          ['BU05180103', 'Strand'],
        ])

        const page = await repository.list({ level: 'neighbourhood', limit: 2, offset: 1 })

        t.same(
          page.items.map((row) => row.area_code),
          ['BU05180102', 'BU05180103'],
        )
        t.equal(page.total, 3)
        t.same(Object.keys(page.items[0]).sort(), [
          'area_code',
          'area_name',
          'level',
          'parent_code',
        ])
      })
    })
  })
}

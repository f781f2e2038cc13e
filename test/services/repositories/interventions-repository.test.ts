import t from 'tap'
import { randomUUID } from 'node:crypto'
import { buildTestApp, engines } from '../../helper.js'
import { snapshotRow } from '../../support/snapshot-fixtures.js'
import { uploadRows } from '../../support/repository-fixtures.js'
import type { InterventionAreaRow } from '../../../services/repositories/interventions-repository.js'

/**
 * The interventions repository (services/repositories/interventions-repository.ts) on each
 * engine: interventions with their treated areas, and the effects cache keyed by intervention,
 * method, options and data version.
 */

const centrum = 'BU05180101'
const haven = 'BU05180102'
const elders = 'BU05990101'

/** A cached result's JSON, whether the driver answers it parsed or as text. */
const parsed = (value: unknown) => (typeof value === 'string' ? JSON.parse(value) : value)

for (const engine of engines) {
  t.test(engine, async (t) => {
    const { app, admin, reset } = await buildTestApp(t, engine)
    const repository = app.interventionsRepository
    t.beforeEach(async () => {
      await reset()
      // treated areas must exist: they come with an upload
      await uploadRows(
        app,
        admin,
        [centrum, haven, elders].map((area_code) => snapshotRow({ area_code, area_name: null })),
      )
    })

    /** Inserts an intervention through the repository; answers its id. */
    const insert = async (
      fields: { name?: string; municipality?: string; description?: string | null } = {},
      areas: InterventionAreaRow[] = [
        { area_code: centrum, start_period: '2024Q1', end_period: null },
      ],
    ) => {
      const id = randomUUID()
      await app.knex.transaction((trx) =>
        repository.insert(
          {
            id,
            name: fields.name ?? 'Jongerenwerk',
            description: fields.description ?? null,
            municipality: fields.municipality ?? 'GM0518',
            created_by: null,
          },
          areas,
          trx,
        ),
      )
      return id
    }

    const key = (interventionId: string, dataVersion = '7') => ({
      interventionId,
      method: 'did',
      optionsKey: 'anticipation=0',
      dataVersion,
    })

    t.test('insert and find', async (t) => {
      t.test(
        'when an intervention is inserted, then it is found with its areas by code',
        async (t) => {
          const id = await insert({ description: 'Straatcoaches' }, [
            { area_code: haven, start_period: '2024Q2', end_period: '2024Q4' },
            { area_code: centrum, start_period: '2024Q1', end_period: null },
          ])

          const found = await repository.find(id)

          t.match(found, {
            id,
            name: 'Jongerenwerk',
            description: 'Straatcoaches',
            municipality: 'GM0518',
            created_by: null,
          })
          t.ok(found!.created_at instanceof Date)
          t.same(found!.areas, [
            { area_code: centrum, start_period: '2024Q1', end_period: null },
            { area_code: haven, start_period: '2024Q2', end_period: '2024Q4' },
          ])
          t.equal(await repository.find(randomUUID()), undefined)
        },
      )

      t.test(
        'when a treated area does not exist, then the insert fails and nothing is stored',
        async (t) => {
          await t.rejects(
            insert({}, [{ area_code: 'BU05189999', start_period: '2024Q1', end_period: null }]),
          )

          const [{ n }] = await app.knex('interventions').count<{ n: number }[]>({ n: '*' })
          t.equal(Number(n), 0)
        },
      )
    })

    t.test('list', async (t) => {
      t.test(
        'when listed by municipality, then the newest come first with their areas and a total before paging',
        async (t) => {
          const older = await insert({ name: 'older' })
          await app
            .knex('interventions')
            .where({ id: older })
            .update({ created_at: new Date('2025-01-01T00:00:00Z') })
          const newer = await insert({ name: 'newer' }, [
            { area_code: haven, start_period: '2024Q3', end_period: null },
          ])
          await insert({ name: 'elsewhere', municipality: 'GM0599' }, [
            { area_code: elders, start_period: '2024Q1', end_period: null },
          ])

          const own = await repository.list({ municipality: 'GM0518', limit: 10, offset: 0 })
          const page = await repository.list({ limit: 1, offset: 1 })

          t.same(
            own.items.map((row) => row.id),
            [newer, older],
          )
          t.equal(own.total, 2)
          t.same(
            own.items[0].areas.map((area) => area.area_code),
            [haven],
          )
          t.equal(page.total, 3)
          t.equal(page.items.length, 1)
        },
      )

      t.test('when there are none, then the list is empty', async (t) => {
        const none = await repository.list({ limit: 10, offset: 0 })

        t.same(none, { items: [], total: 0 })
      })
    })

    t.test('update and remove', async (t) => {
      t.test('when only fields change, then the areas stay and updated_at moves', async (t) => {
        const id = await insert()
        const before = (await repository.find(id))!

        const updated = await app.knex.transaction((trx) =>
          repository.update(id, { name: 'Renamed', description: 'now described' }, undefined, trx),
        )

        const after = (await repository.find(id))!
        t.equal(updated, true)
        t.match(after, { name: 'Renamed', description: 'now described' })
        t.same(after.areas, before.areas)
        t.ok(after.updated_at.getTime() > before.updated_at.getTime())
      })

      t.test('when areas are given, then they replace the treated areas', async (t) => {
        const id = await insert()

        await app.knex.transaction((trx) =>
          repository.update(
            id,
            {},
            [
              { area_code: haven, start_period: '2023Q4', end_period: null },
              { area_code: elders, start_period: '2024Q1', end_period: '2024Q2' },
            ],
            trx,
          ),
        )

        t.same(
          (await repository.find(id))!.areas.map((area) => area.area_code),
          [haven, elders],
        )
      })

      t.test(
        'when the intervention does not exist, then update and remove answer false',
        async (t) => {
          const updated = await app.knex.transaction((trx) =>
            repository.update(randomUUID(), { name: 'x' }, [], trx),
          )
          const removed = await repository.remove(randomUUID())

          t.equal(updated, false)
          t.equal(removed, false)
        },
      )

      t.test('when removed, then its areas and cached effects go with it', async (t) => {
        const id = await insert()
        await repository.storeEffects(key(id), { estimate: 1 }, new Date())

        const removed = await repository.remove(id)

        t.equal(removed, true)
        t.equal(await repository.find(id), undefined)
        const [{ n }] = await app
          .knex('intervention_areas')
          .where({ intervention_id: id })
          .count<{ n: number }[]>({ n: '*' })
        t.equal(Number(n), 0)
        t.equal(await repository.countCachedEffects(id), 0)
      })
    })

    t.test('treatedAreaCodes', async (t) => {
      t.test(
        'when areas are treated by several interventions, then each code comes once',
        async (t) => {
          await insert({}, [
            { area_code: centrum, start_period: '2024Q1', end_period: null },
            { area_code: haven, start_period: '2024Q1', end_period: null },
          ])
          await insert({}, [{ area_code: centrum, start_period: '2023Q1', end_period: null }])

          const treated = await repository.treatedAreaCodes()

          t.same([...treated].sort(), [centrum, haven])
        },
      )
    })

    t.test('the effects cache', async (t) => {
      t.test(
        'when a result is stored, then it is found under its exact key and no other',
        async (t) => {
          const id = await insert()
          const computedAt = new Date('2026-02-01T10:00:00.123Z')
          const result = { estimate: -0.25, ci: [-0.5, 0], method: 'did', nested: { n: 3 } }

          await repository.storeEffects(key(id), result, computedAt)

          const found = await repository.cachedEffects(key(id))
          t.same(parsed(found!.result), result)
          t.equal(found!.computed_at.getTime(), computedAt.getTime())
          t.equal(await repository.cachedEffects(key(id, '8')), undefined, 'another data version')
          t.equal(
            await repository.cachedEffects({ ...key(id), method: 'synthetic_control' }),
            undefined,
          )
          t.equal(await repository.cachedEffects({ ...key(id), optionsKey: 'x' }), undefined)
          t.equal(await repository.countCachedEffects(id), 1)
        },
      )

      t.test(
        'when a newer data version is stored for the same key, then it replaces the older entry',
        async (t) => {
          const id = await insert()
          await repository.storeEffects(key(id, '7'), { estimate: 1 }, new Date())

          await repository.storeEffects(key(id, '9'), { estimate: 2 }, new Date())

          t.equal(await repository.cachedEffects(key(id, '7')), undefined)
          const newer = await repository.cachedEffects(key(id, '9'))
          t.same(parsed(newer!.result), { estimate: 2 })
          t.equal(await repository.countCachedEffects(id), 1, 'one entry per key')
        },
      )

      t.test('when the cache is cleared, then every intervention’s entries are gone', async (t) => {
        const first = await insert()
        const second = await insert()
        await repository.storeEffects(key(first), { estimate: 1 }, new Date())
        await repository.storeEffects({ ...key(first), method: 'sc' }, { estimate: 1 }, new Date())
        await repository.storeEffects(key(second), { estimate: 2 }, new Date())

        await repository.clearEffectsCache()

        t.equal(await repository.countCachedEffects(first), 0)
        t.equal(await repository.countCachedEffects(second), 0)
        t.ok(await repository.find(first), 'the interventions stay')
      })
    })
  })
}

import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, engines } from '../../helper.js'
import { csv, fullHeader } from '../../support/snapshot-fixtures.js'
import { loadDemoData } from '../../../services/demo/load-demo.js'
import { demoInterventionAreas, generateDemoData } from '../../../services/demo/generate-demo.js'
import { removeDemo } from '../../../services/use-cases/remove-demo.js'
import type { DataEventMap } from '../../../services/use-cases/data-events.js'

/**
 * services/demo/load-demo.ts and use-cases/remove-demo.ts (issue 16): the demo is loaded marked
 * as the demo's, and `removeDemo` takes out exactly that — its revisions, the areas and
 * boundaries only it created, its intervention, alert rules (with alerts) and model run — in one
 * transaction, keeping every row a user stored, also one that revised a demo row.
 */

const demo = generateDemoData()
const demoRow = demo.snapshots.find((row) => row.area_code === 'BU05182915')!
const count = async (app: FastifyInstance, table: string, where: object = {}) =>
  Number(((await app.knex(table).where(where).count({ n: '*' })) as { n: string }[])[0].n)

async function upload(app: FastifyInstance, admin: { authorization: string }, body: string) {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/snapshots',
    headers: { ...admin, 'content-type': 'text/csv' },
    payload: body,
  })
  if (response.statusCode !== 201) throw new Error(response.body)
  return response.json() as { batch_id: string; inserted: number; revised: number }
}

/** Removes the demo, then lets the alert evaluation it triggered finish (before a reset). */
async function removeWith(app: FastifyInstance) {
  const removal = await removeDemo(app, { keyId: null })
  await app.alertEvaluator.evaluateNow()
  return removal
}

for (const engine of engines) {
  t.test(`${engine}: load and remove the demo`, async (t) => {
    const { app, admin, reset } = await buildTestApp(t, engine)
    const events: DataEventMap['snapshots-changed'][0][] = []
    app.dataEvents.on('snapshots-changed', (event) => {
      events.push(event)
    })

    t.test('when the demo loads, then its rows, areas and boundaries are marked', async (t) => {
      const summary = await loadDemoData(app)
      t.match(summary, { loaded: true, neighbourhoods: 114, snapshots: demo.snapshots.length })
      t.equal(await count(app, 'upload_batches', { demo: true }), 1, 'one demo batch')
      t.equal(await count(app, 'snapshots'), demo.snapshots.length)
      t.equal(await count(app, 'areas', { demo: true }), 1 + 44 + 114, 'GM0518, wijken, buurten')
      t.equal(
        Number(
          (
            (await app
              .knex('area_geometries')
              .whereRaw('demo_written_at = updated_at')
              .count({ n: '*' })) as { n: string }[]
          )[0].n,
        ),
        44 + 114,
        'every boundary it wrote is the demo’s',
      )
      const area = await app.areasRepository.find('BU05182915')
      t.same(area, {
        area_code: 'BU05182915',
        area_name: 'Schildersbuurt-West',
        level: 'neighbourhood',
        parent_code: 'WK051829',
      })
      t.equal((await app.areasRepository.find('WK051829'))?.area_name, 'Wijk 29 Schildersbuurt')
      t.equal(await count(app, 'interventions'), 1)
      t.equal(await count(app, 'alert_rules'), 4)
      t.equal(await count(app, 'model_runs'), 1)
      t.ok(summary.alerts_firing! > 0, `${summary.alerts_firing} alerts fire`)
      t.same(
        (await app.knex('intervention_areas').orderBy('area_code').pluck('area_code')) as string[],
        [...demoInterventionAreas].sort(),
      )
    })

    t.test('when the demo is removed, then a user’s rows and rules stay', async (t) => {
      // A user's revision of a demo row, a user row elsewhere, a user's rule.
      const revised = await upload(
        app,
        admin,
        csv(
          fullHeader,
          `BU05182915,Schildersbuurt-West,${demoRow.period},${demoRow.youth_population + 7},1,2,3,4`,
          'BU05990101,Rotterdam Centrum,2024Q1,100,1,2,3,4',
        ),
      )
      t.match(revised, { inserted: 1, revised: 1 })
      const rule = await app.inject({
        method: 'POST',
        url: '/v1/alert-rules',
        headers: admin,
        payload: { name: 'mine', kind: 'trend' },
      })
      t.equal(rule.statusCode, 201)
      const versionBefore = await app.snapshotsRepository.dataVersion()
      events.length = 0

      const removal = await removeWith(app)
      t.match(removal, {
        removed: true,
        snapshots: demo.snapshots.length,
        restored: 0,
        interventions: 1,
        alert_rules: 4,
        model_runs: 1,
        boundaries: 44 + 114,
      })
      t.ok(removal.alerts > 0, 'the demo rules’ alerts went with them')
      t.not(await app.snapshotsRepository.dataVersion(), versionBefore, 'the data version moved')
      t.equal(events.length, 1, 'snapshots-changed was emitted once')

      const rows = await app.knex('snapshots').orderBy('area_code').select('area_code', 'period')
      t.same(
        rows.map((row) => `${row.area_code} ${row.period}`),
        [`BU05182915 ${demoRow.period}`, 'BU05990101 2024Q1'],
        'only the user’s rows are left',
      )
      const history = await app.inject({
        url: `/v1/areas/BU05182915/snapshots?from=${demoRow.period}&to=${demoRow.period}`,
        headers: admin,
      })
      t.match(history.json(), {
        items: [{ youth_population: demoRow.youth_population + 7, drug_offence_suspects: 4 }],
        total: 1,
      })
      t.equal(await count(app, 'snapshots', { valid_to: null }), 2, 'both current')

      const areas = (await app.knex('areas').orderBy('area_code').pluck('area_code')) as string[]
      t.same(
        areas,
        ['BU05182915', 'BU05990101', 'GM0518', 'GM0599', 'WK051829', 'WK059901'],
        'the demo’s unused areas are gone; those holding user rows stay',
      )
      t.equal(await count(app, 'area_geometries'), 0, 'the demo’s boundaries are gone')
      t.equal(await count(app, 'interventions'), 0)
      t.equal(await count(app, 'intervention_areas'), 0)
      t.same(await app.knex('alert_rules').pluck('name'), ['mine'])
      t.equal(await count(app, 'model_runs'), 0)
      t.equal(await count(app, 'risk_scores'), 0)
      t.equal(await count(app, 'upload_batches', { demo: true }), 1, 'kept as a record')

      t.match(await removeWith(app), { removed: false, snapshots: 0 }, 'a second removal: none')
      t.match(await loadDemoData(app), { loaded: false, reason: 'not_empty' }, 'not over user data')
    })

    t.test(
      'when a demo was removed from an empty store, then it is not loaded again',
      async (t) => {
        await reset()
        t.match(await loadDemoData(app), { loaded: true })
        t.match(await removeWith(app), { removed: true })
        t.equal(await count(app, 'areas'), 0, 'every demo area gone')
        t.equal(await count(app, 'snapshots'), 0)
        t.match(await loadDemoData(app), { loaded: false, reason: 'removed_before' })
      },
    )

    t.test(
      'when a forced demo revised a user row, then removing it makes the user row current again',
      async (t) => {
        await reset()
        const userBoundary = {
          type: 'FeatureCollection',
          features: [
            {
              type: 'Feature',
              properties: { BU_CODE: 'BU05182916', BU_NAAM: 'Schildersbuurt-Noord' },
              geometry: {
                type: 'Polygon',
                coordinates: [
                  [
                    [4.29, 52.07],
                    [4.3, 52.07],
                    [4.3, 52.08],
                    [4.29, 52.07],
                  ],
                ],
              },
            },
          ],
        }
        const stored = await app.inject({
          method: 'POST',
          url: '/v1/geometries',
          headers: admin,
          payload: userBoundary,
        })
        t.equal(stored.statusCode, 201, stored.body)
        await upload(
          app,
          admin,
          csv(fullHeader, `BU05182915,Schildersbuurt-West,${demoRow.period},999,1,2,3,4`),
        )
        t.match(await loadDemoData(app, { force: true }), { loaded: true })
        t.equal(await count(app, 'snapshots'), demo.snapshots.length + 1, 'the demo revised it')
        const boundary = (await app.geometriesRepository.list({ municipality: 'GM0518' })).find(
          (row) => row.area_code === 'BU05182916',
        )
        t.same(boundary?.geometry, userBoundary.features[0].geometry, 'not overwritten')

        t.match(await removeWith(app), { removed: true, restored: 1 })
        const current = await app
          .knex('snapshots')
          .whereNull('valid_to')
          .select('area_code', 'period', 'youth_population')
        t.same(current, [
          { area_code: 'BU05182915', period: demoRow.period, youth_population: 999 },
        ])
        t.equal(await count(app, 'snapshots'), 1, 'no demo revision left')
        t.same(
          (await app.knex('area_geometries').pluck('area_code')) as string[],
          ['BU05182916'],
          'the user’s boundary stays',
        )
        t.same(
          ((await app.knex('areas').orderBy('area_code').pluck('area_code')) as string[]).sort(),
          ['BU05182915', 'BU05182916', 'GM0518', 'WK051829'],
          'the user’s areas stay, created before the demo',
        )
      },
    )

    t.test('when a step of the removal fails, then nothing is removed', async (t) => {
      await reset()
      await loadDemoData(app)
      const before = {
        snapshots: await count(app, 'snapshots'),
        areas: await count(app, 'areas'),
        geometries: await count(app, 'area_geometries'),
        rules: await count(app, 'alert_rules'),
        runs: await count(app, 'model_runs'),
        interventions: await count(app, 'interventions'),
        version: await app.snapshotsRepository.dataVersion(),
      }
      events.length = 0
      const failing = {
        ...app.areasRepository,
        removeUnusedDemoAreas: async () => {
          throw new Error('disk full')
        },
      }
      await t.rejects(
        removeDemo(
          {
            knex: app.knex,
            snapshotsRepository: app.snapshotsRepository,
            areasRepository: failing,
            geometriesRepository: app.geometriesRepository,
            interventionsRepository: app.interventionsRepository,
            alertsRepository: app.alertsRepository,
            riskRepository: app.riskRepository,
            dataEvents: app.dataEvents,
          },
          { keyId: null },
        ),
        /disk full/,
      )
      t.same(
        {
          snapshots: await count(app, 'snapshots'),
          areas: await count(app, 'areas'),
          geometries: await count(app, 'area_geometries'),
          rules: await count(app, 'alert_rules'),
          runs: await count(app, 'model_runs'),
          interventions: await count(app, 'interventions'),
          version: await app.snapshotsRepository.dataVersion(),
        },
        before,
        'every table as it was',
      )
      t.equal(events.length, 0, 'no event for a removal that did not happen')
      t.match(await removeWith(app), { removed: true }, 'and it can be removed afterwards')
    })
  })
}

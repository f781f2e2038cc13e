import t from 'tap'
import { runCli } from '../support/cli-runner.js'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { randomUUID } from 'node:crypto'
import {
  engines,
  freshDataDir,
  freshPostgresUrl,
  testAdminKey,
  testConfig,
  tmpRoot,
  type Engine,
} from '../helper.js'
import { csvOf } from '../support/snapshot-fixtures.js'
import { seededRandom, shapedRows } from '../support/alert-fixtures.js'
import { openDatabase } from '../../services/db/open-database.js'
import { buildServer } from '../../services/server.js'
import { createAlertsRepository } from '../../services/repositories/alerts-repository.js'
import { defaultParams } from '../../monitors/rules/rule-params.js'

/**
 * Issue 15, "done when": the CLI's direct `import FILE` (no AANWAS_URL) runs the same use case as
 * `POST /v1/snapshots`, so it queues the same after-effects: the alerts are evaluated and, with
 * AANWAS_AUTO_RECOMPUTE on, a model run is queued and run; the same file again changes nothing
 * and queues nothing. Each side starts from a database with one aberration rule; the state is
 * read afterwards through the database alone (no workers that could run anything left queued).
 */

/** One neighbourhood with a spike in its last quarter among eight stable ones (seeds fixed). */
const spikeArea = 'BU05180101'
function dataSet() {
  return [
    ...shapedRows(spikeArea, 'spike', seededRandom(1)),
    ...Array.from({ length: 8 }, (_, index) =>
      shapedRows(
        `BU051801${String(index + 2).padStart(2, '0')}`,
        'stable',
        seededRandom(200 + index),
      ),
    ).flat(),
  ]
}

/** Where a side's database lives: a data directory, or a database on the PostgreSQL server. */
interface Place {
  databaseUrl: string | undefined
  dataDir: string
}

async function freshPlace(t: Tap, engine: Engine): Promise<Place> {
  if (engine === 'postgres') {
    return { databaseUrl: await freshPostgresUrl(t), dataDir: temporaryDir(t, 'cli-') }
  }
  return { databaseUrl: undefined, dataDir: await freshDataDir(t) }
}

type Tap = Parameters<Parameters<typeof t.test>[0]>[0]

function temporaryDir(t: Tap, prefix: string): string {
  mkdirSync(tmpRoot, { recursive: true })
  const dir = mkdtempSync(join(tmpRoot, prefix))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

async function withDatabase<T>(
  place: Place,
  work: (knex: Awaited<ReturnType<typeof openDatabase>>['knex']) => Promise<T>,
): Promise<T> {
  const database = await openDatabase({ databaseUrl: place.databaseUrl, dataDir: place.dataDir })
  try {
    return await work(database.knex)
  } finally {
    await database.close()
  }
}

async function addAberrationRule(place: Place): Promise<void> {
  await withDatabase(place, (knex) =>
    createAlertsRepository(knex).insertRule({
      id: randomUUID(),
      name: 'spikes',
      kind: 'aberration',
      params: defaultParams.aberration,
      municipality: null,
      created_by: null,
    }),
  )
}

/** What the after-effects leave behind, read without starting any worker. */
async function stateOf(place: Place) {
  return withDatabase(place, async (knex) => ({
    runs: (await knex('model_runs')
      .orderBy('created_at')
      .select('status', 'published', 'horizon_quarters', 'requested_by')) as Array<{
      status: string
      published: boolean
      horizon_quarters: number
      requested_by: string | null
    }>,
    alerts: (await knex('alerts')
      .orderBy(['area_code', 'period'])
      .select('kind', 'area_code', 'period', 'state', 'updated_at')) as Array<{
      kind: string
      area_code: string
      period: string
      state: string
      updated_at: Date
    }>,
    batches: (await knex('upload_batches')
      .orderBy('created_at')
      .select('inserted', 'revised', 'unchanged')) as Array<{
      inserted: number
      revised: number
      unchanged: number
    }>,
  }))
}

const withoutTimes = (alerts: Awaited<ReturnType<typeof stateOf>>['alerts']) =>
  alerts.map(({ updated_at: _updatedAt, ...alert }) => alert)

for (const engine of engines) {
  t.test(engine, async (t) => {
    const file = join(temporaryDir(t, 'cli-file-'), 'snapshots.csv')
    const rows = dataSet()
    writeFileSync(file, csvOf(rows))

    // The HTTP upload with AANWAS_AUTO_RECOMPUTE on: what the CLI must match.
    const http = await freshPlace(t, engine)
    await addAberrationRule(http)
    const app = await buildServer({
      overrides: { ...testConfig, ...http, autoRecompute: true },
      logger: false,
    })
    try {
      const response = await app.inject({
        method: 'POST',
        url: '/v1/snapshots',
        headers: { authorization: `Bearer ${testAdminKey}`, 'content-type': 'text/csv' },
        payload: csvOf(rows),
      })
      t.equal(response.statusCode, 201, response.body)
      for (let round = 0; round < 3; round += 1) {
        await app.modelRunner.idle()
        await app.alertEvaluator.idle()
      }
    } finally {
      await app.close()
    }
    const afterHttp = await stateOf(http)

    t.test(
      'POST /v1/snapshots: when data changed, then a run is queued and run and the alerts evaluated',
      async (t) => {
        t.match(afterHttp.runs, [{ status: 'succeeded', published: true, horizon_quarters: 0 }])
        t.equal(afterHttp.runs.length, 1)
        t.match(withoutTimes(afterHttp.alerts), [
          { kind: 'aberration', area_code: spikeArea, period: '2024Q4', state: 'firing' },
        ])
        t.equal(afterHttp.alerts.length, 1)
      },
    )

    const direct = await freshPlace(t, engine)
    await addAberrationRule(direct)
    const env = {
      AANWAS_DATA_DIR: direct.dataDir,
      DATABASE_URL: direct.databaseUrl ?? '',
      AANWAS_ADMIN_KEY: testAdminKey,
      AANWAS_AUTO_RECOMPUTE: '1',
    }
    const first = await runCli(['import', file], env)
    const afterFirst = await stateOf(direct)

    t.test('aanwas import (direct): when data changed', async (t) => {
      t.test('then it prints the same summary as the API and exits 0', async (t) => {
        t.equal(first.code, 0, first.stderr)
        t.match(JSON.parse(first.stdout), { rows: rows.length, inserted: rows.length, revised: 0 })
      })

      t.test('then the alerts are evaluated as after the HTTP upload', async (t) => {
        t.same(withoutTimes(afterFirst.alerts), withoutTimes(afterHttp.alerts))
      })

      t.test('then a model run is queued and run as after the HTTP upload', async (t) => {
        t.same(
          afterFirst.runs.map(({ status, published, horizon_quarters }) => ({
            status,
            published,
            horizon_quarters,
          })),
          afterHttp.runs.map(({ status, published, horizon_quarters }) => ({
            status,
            published,
            horizon_quarters,
          })),
        )
      })
    })

    t.test('aanwas import (direct): when the same file is imported again', async (t) => {
      const again = await runCli(['import', file], env)
      const afterAgain = await stateOf(direct)

      t.test('then every row is unchanged and it exits 0', async (t) => {
        t.equal(again.code, 0, again.stderr)
        t.match(JSON.parse(again.stdout), { inserted: 0, revised: 0, unchanged: rows.length })
        t.same(afterAgain.batches.at(-1), { inserted: 0, revised: 0, unchanged: rows.length })
      })

      t.test('then no model run is queued', async (t) => {
        t.same(afterAgain.runs, afterFirst.runs)
      })

      t.test('then the alerts are not evaluated again (not even touched)', async (t) => {
        t.same(afterAgain.alerts, afterFirst.alerts)
      })
    })
  })
}

import t from 'tap'
import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, engines } from '../../helper.js'
import { riskPanel } from '../../support/risk-fixtures.js'
import type { SnapshotFixture } from '../../support/snapshot-fixtures.js'
import {
  executeRiskRun,
  qualitySeedOf,
  riskModelRows,
} from '../../../services/use-cases/run-risk-model.js'
import { uploadSnapshots } from '../../../services/use-cases/upload-snapshots.js'
import { PanelBuilder } from '../../../services/db/snapshot-panel.js'
import type {
  ModelRunRow,
  RiskRepository,
  RunRequest,
} from '../../../services/repositories/risk-repository.js'

/**
 * use-cases/run-risk-model.ts: `riskModelRows` turns the shared panel into the model's rows (one
 * per neighbourhood-quarter with a row); `executeRiskRun` reads the panel, fits the model, writes
 * the scores and the run's results in one transaction, and ends a run the data cannot identify
 * `failed` with `not_identifiable`, anything else `failed` with `internal_error` (rethrown).
 */

const areas = [
  { area_code: 'BU05180101', area_name: 'A', parent_code: 'WK051801', municipality_code: 'GM0518' },
  { area_code: 'BU05180102', area_name: 'B', parent_code: 'WK051801', municipality_code: 'GM0518' },
  { area_code: 'BU05990101', area_name: 'C', parent_code: 'WK059901', municipality_code: 'GM0599' },
]
const values = (population: number, suspects: number | null) => ({
  youth_population: population,
  early_school_leavers: 1,
  halt_registrations: 2,
  parental_debt: 3,
  drug_offence_suspects: suspects,
})

t.test('riskModelRows', async (t) => {
  t.test(
    'when areas have gaps and NULL counts, then every stored row comes once with its area code, NULL as null',
    async (t) => {
      const builder = new PanelBuilder(areas)
      builder.addObject('BU05180102', '2024Q1', values(100, 4))
      builder.addObject('BU05180101', '2024Q3', values(200, null))
      builder.addObject('BU05180101', '2024Q1', values(210, 5))
      const rows = riskModelRows(builder.build('7'))
      t.same(rows, [
        { area_code: 'BU05180101', period: '2024Q1', ...values(210, 5) },
        { area_code: 'BU05180101', period: '2024Q3', ...values(200, null) },
        { area_code: 'BU05180102', period: '2024Q1', ...values(100, 4) },
      ])
    },
  )

  t.test('when the panel is empty, then there are no rows', async (t) => {
    t.same(riskModelRows(new PanelBuilder(areas).build('0')), [])
  })
})

t.test('qualitySeedOf', async (t) => {
  t.test('when a run id is given, then the seed is a fixed 32-bit number of that id', async (t) => {
    const id = '6f1c9a52-3b7e-4a51-9d2e-2c1f0e8b7a10'
    t.equal(qualitySeedOf(id), qualitySeedOf(id))
    t.ok(Number.isInteger(qualitySeedOf(id)) && qualitySeedOf(id) >= 0)
    t.ok(qualitySeedOf(id) < 2 ** 32)
    t.not(qualitySeedOf(id), qualitySeedOf(randomUUID()))
  })
})

/** The planted panel with each quarter's youth population a little larger than the last. */
function growingPanel(): SnapshotFixture[] {
  return riskPanel({ neighbourhoodsPerDistrict: 6, years: 3 }).map((row) => {
    const [year, quarter] = [Number(row.period.slice(0, 4)), Number(row.period.slice(5))]
    return {
      ...row,
      youth_population: (row.youth_population as number) + (year - 2021) * 4 + quarter,
    }
  })
}

for (const engine of engines) {
  t.test(engine, async (t) => {
    const { app, reset } = await buildTestApp(t, engine)
    t.beforeEach(async () => {
      await app.modelRunner.idle()
      await reset()
    })
    const dependencies = (riskRepository: RiskRepository = app.riskRepository) => ({
      knex: app.knex,
      riskRepository,
      snapshotsRepository: app.snapshotsRepository,
      tf: app.tf,
    })
    const store = (rows: SnapshotFixture[]) =>
      uploadSnapshots(
        {
          knex: app.knex,
          snapshotsRepository: app.snapshotsRepository,
          areasRepository: app.areasRepository,
          dataEvents: app.dataEvents,
          limits: { bodyLimitBytes: 1 << 30, maxRows: 100_000 },
        },
        { format: 'json', body: rows },
        { keyId: null },
      )

    t.test('executeRiskRun', async (t) => {
      t.test(
        'when a claimed run fits, then every row is scored in one write and the run succeeds with its results',
        async (t) => {
          const rows = growingPanel()
          await store(rows)
          const run = await claimed(app, { horizon_quarters: 0 }, { publish: true })
          await executeRiskRun(dependencies(), run)

          const finished = (await app.riskRepository.find(run.id))!
          t.match(finished, {
            status: 'succeeded',
            progress: 1,
            published: true,
            n_rows: rows.length,
            n_excluded: 0,
            converged: true,
            data_from: '2021Q1',
            data_to: '2023Q4',
            scores_kept: true,
            error: null,
          })
          t.ok(finished.input_at instanceof Date, 'the input time is recorded')
          t.match(finished.quality, { cv_seed: qualitySeedOf(run.id) })
          const coefficients = finished.coefficients as { term: string; estimate: number }[]
          t.same(
            coefficients.map((coefficient) => coefficient.term),
            ['intercept', 'early_school_leaving', 'halt', 'parental_debt'],
          )
          t.ok(
            coefficients.slice(1).every((coefficient) => coefficient.estimate > 0),
            'the planted effects are positive',
          )

          const scores = await app
            .knex('risk_scores')
            .where({ run_id: run.id })
            .select('area_code', 'municipality_code', 'period', 'target_period', 'youth_population')
          t.equal(scores.length, rows.length)
          const byKey = new Map(rows.map((row) => [`${row.area_code} ${row.period}`, row]))
          t.ok(
            scores.every(
              (score) =>
                score.municipality_code === `GM${score.area_code.slice(2, 6)}` &&
                score.target_period === score.period &&
                score.youth_population ===
                  byKey.get(`${score.area_code} ${score.period}`)!.youth_population,
            ),
            "each score carries its municipality and its quarter's youth population",
          )
        },
      )

      t.test(
        "when the horizon is 1, then a score's base is the target quarter's population, else its own",
        async (t) => {
          const rows = growingPanel()
          await store(rows)
          const run = await claimed(app, { horizon_quarters: 1 }, { publish: false })
          await executeRiskRun(dependencies(), run)
          t.match(await app.riskRepository.find(run.id), { status: 'succeeded', published: false })
          const population = (code: string, period: string) =>
            rows.find((row) => row.area_code === code && row.period === period)!.youth_population
          const score = (period: string) =>
            app
              .knex('risk_scores')
              .where({ run_id: run.id, area_code: 'BU05180101', period })
              .first('target_period', 'youth_population')
          t.same(await score('2022Q2'), {
            target_period: '2022Q3',
            youth_population: population('BU05180101', '2022Q3'),
          })
          t.same(await score('2023Q4'), {
            target_period: '2024Q1',
            youth_population: population('BU05180101', '2023Q4'),
          })
        },
      )

      t.test(
        'when the data cannot identify the model (no suspects at all), then the run fails not_identifiable without throwing',
        async (t) => {
          await store(growingPanel().map((row) => ({ ...row, drug_offence_suspects: 0 })))
          const run = await claimed(app, { horizon_quarters: 0 }, { publish: true })
          await executeRiskRun(dependencies(), run)
          t.match(await app.riskRepository.find(run.id), {
            status: 'failed',
            published: false,
            error: { code: 'not_identifiable' },
          })
          t.equal(await scoreCount(app, run.id), 0)
        },
      )

      t.test(
        'when writing the scores fails, then the run fails internal_error, the error is rethrown and no score is kept',
        async (t) => {
          await store(growingPanel())
          const run = await claimed(app, { horizon_quarters: 0 }, { publish: true })
          const failing: RiskRepository = {
            ...app.riskRepository,
            succeed: async () => {
              throw new Error('lost the connection')
            },
          }
          await t.rejects(executeRiskRun(dependencies(failing), run), {
            message: 'lost the connection',
          })
          t.match(await app.riskRepository.find(run.id), {
            status: 'failed',
            published: false,
            error: { code: 'internal_error', message: 'the model run failed unexpectedly' },
          })
          t.equal(await scoreCount(app, run.id), 0, 'the scores were rolled back with the run')
        },
      )
    })
  })
}

/** Queues a run and claims it, as the model runner does before executing it. */
async function claimed(
  app: FastifyInstance,
  request: Partial<RunRequest>,
  options: { publish: boolean },
): Promise<ModelRunRow> {
  const id = randomUUID()
  await app.riskRepository.insertQueued({
    horizon_quarters: 0,
    from_period: null,
    to_period: null,
    ...request,
    id,
    requested_by: null,
    publish_on_success: options.publish,
  })
  const run = await app.riskRepository.claimNext('test')
  if (run?.id !== id) throw new Error('the queued run was not claimed')
  return run
}

async function scoreCount(app: FastifyInstance, runId: string): Promise<number> {
  return Number((await app.knex('risk_scores').where({ run_id: runId }).count({ n: '*' }))[0].n)
}

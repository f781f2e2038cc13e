import t from 'tap'
import { randomUUID } from 'node:crypto'
import { buildTestApp, engines } from '../../helper.js'
import { snapshotRow } from '../../support/snapshot-fixtures.js'
import { uploadRows } from '../../support/repository-fixtures.js'
import {
  keptRunsPerHorizon,
  type RiskScoreColumns,
  type RunRequest,
} from '../../../services/repositories/risk-repository.js'
import { baseColumn } from '../../../models/vocabulary/indicators.js'

/**
 * The risk repository (services/repositories/risk-repository.ts) on each engine: the run queue
 * (queue, reuse, claim, succeed, fail, publish), the scores (binary COPY on PostgreSQL, inserts on
 * PGlite) and their reads, and pruning. Runs are written through the repository; the model runner
 * is never kicked here (no run is queued through it and automatic recompute is off), so it takes
 * none of them.
 */

const centrum = 'BU05180101'
const haven = 'BU05180102'
const elders = 'BU05990101'

interface Score {
  area_code: string
  period: string
  risk: number
  /** NaN or absent: NULL */
  expected?: number
  observed?: number
}

/** Scores as the columns `insertScores` takes; the unspecified numbers are fixed. */
function columnsOf(runId: string, scores: readonly Score[]): RiskScoreColumns {
  const floats = (pick: (score: Score, index: number) => number) =>
    Float64Array.from(scores, (score, index) => pick(score, index))
  const ints = (pick: (score: Score, index: number) => number) =>
    Int32Array.from(scores, (score, index) => pick(score, index))
  return {
    run_id: runId,
    length: scores.length,
    area_code: scores.map((score) => score.area_code),
    municipality_code: scores.map((score) => `GM${score.area_code.slice(2, 6)}`),
    period: scores.map((score) => score.period),
    target_period: scores.map((score) => score.period),
    [baseColumn]: ints(() => 200),
    risk: floats((score) => score.risk),
    risk_ci_low: floats((score) => score.risk / 2),
    risk_ci_high: floats((score) => score.risk * 2),
    expected: floats((score) => score.expected ?? Number.NaN),
    observed: floats((score) => score.observed ?? Number.NaN),
    standardized_ratio: floats(() => Number.NaN),
    ratio_ci_low: floats(() => Number.NaN),
    ratio_ci_high: floats(() => Number.NaN),
    percentile: floats((_, index) => index * 10),
    rank: ints((_, index) => index + 1),
    percentile_national: floats((_, index) => index * 5),
    rank_national: ints((_, index) => index + 1),
  } as unknown as RiskScoreColumns
}

const request = (overrides: Partial<RunRequest> = {}): RunRequest => ({
  horizon_quarters: 0,
  from_period: null,
  to_period: null,
  ...overrides,
})

const result = {
  n_rows: 40,
  n_excluded: 1,
  iterations: 6,
  converged: true,
  deviance: 12.5,
  null_deviance: 30.25,
  aic: 40.125,
  coefficients: { intercept: -3.5, halt: 0.25 },
  quality: { auc: 0.7 },
  covariance: [
    [0.01, 0.001],
    [0.001, 0.02],
  ],
  data_from: '2020Q1',
  data_to: '2024Q4',
  fit_ms: 5,
}

for (const engine of engines) {
  t.test(engine, async (t) => {
    const { app, admin, reset } = await buildTestApp(t, engine)
    const repository = app.riskRepository
    t.beforeEach(() => reset())

    /** Queues a run through the repository; answers its id. */
    const queue = async (
      overrides: Partial<RunRequest> = {},
      options: { publish?: boolean; createdAt?: string } = {},
    ) => {
      const id = randomUUID()
      await repository.insertQueued({
        ...request(overrides),
        id,
        requested_by: null,
        publish_on_success: options.publish ?? true,
      })
      if (options.createdAt) {
        // no API path sets the creation time: ordering by it is arranged here
        await app
          .knex('model_runs')
          .where({ id })
          .update({ created_at: new Date(options.createdAt) })
      }
      return id
    }

    /** A succeeded run with scores. */
    const succeededRun = async (
      scores: readonly Score[],
      overrides: Partial<RunRequest> = {},
      options: { publish?: boolean; createdAt?: string } = {},
    ) => {
      const id = await queue(overrides, options)
      await repository.succeed(id, result)
      await app.knex.transaction((trx) => repository.insertScores(columnsOf(id, scores), trx))
      return id
    }

    const scoreCount = async (runId: string) => {
      const [{ n }] = await app
        .knex('risk_scores')
        .where({ run_id: runId })
        .count<{ n: number }[]>({ n: '*' })
      return Number(n)
    }

    t.test('insertQueued and findQueued', async (t) => {
      t.test(
        'when a run asking the same is queued, then it is found; a different ask is not',
        async (t) => {
          const open = await queue()
          const windowed = await queue({ from_period: '2020Q1', to_period: '2024Q4' })

          const sameOpen = await repository.findQueued(request())
          const sameWindow = await repository.findQueued(
            request({ from_period: '2020Q1', to_period: '2024Q4' }),
          )
          const otherFrom = await repository.findQueued(request({ from_period: '2020Q1' }))
          const otherHorizon = await repository.findQueued(request({ horizon_quarters: 4 }))

          t.match(sameOpen, { id: open, status: 'queued', progress: 0, published: false })
          t.equal(sameWindow?.id, windowed)
          t.equal(otherFrom, undefined, 'a NULL bound only matches NULL')
          t.equal(otherHorizon, undefined)
        },
      )

      t.test('when two identical runs are queued, then the oldest is found', async (t) => {
        const newer = await queue({}, { createdAt: '2030-01-02T00:00:00Z' })
        const older = await queue({}, { createdAt: '2030-01-01T00:00:00Z' })

        const found = await repository.findQueued(request())

        t.equal(found?.id, older)
        t.not(found?.id, newer)
      })

      t.test('when the run is no longer queued, then it is not found', async (t) => {
        await queue()
        await repository.claimNext('cpu')

        const found = await repository.findQueued(request())

        t.equal(found, undefined)
      })
    })

    t.test('publishOnSuccess', async (t) => {
      t.test(
        'when a queued preview is asked to publish, then it will; a running one does not change',
        async (t) => {
          const preview = await queue({}, { publish: false })
          const running = await queue({ horizon_quarters: 1 }, { publish: false })
          await app.knex('model_runs').where({ id: running }).update({ status: 'running' })

          await repository.publishOnSuccess(preview)
          await repository.publishOnSuccess(running)

          t.equal((await repository.find(preview))?.publish_on_success, true)
          t.equal((await repository.find(running))?.publish_on_success, false)
        },
      )
    })

    t.test('claimNext', async (t) => {
      t.test(
        'when runs are queued, then the oldest is claimed and marked running with the backend',
        async (t) => {
          const second = await queue({ horizon_quarters: 1 }, { createdAt: '2030-01-02T00:00:00Z' })
          const first = await queue({}, { createdAt: '2030-01-01T00:00:00Z' })

          const claimed = await repository.claimNext('wasm')
          const next = await repository.claimNext('cpu')
          const none = await repository.claimNext('cpu')

          t.match(claimed, { id: first, status: 'running', backend: 'wasm', progress: 0 })
          t.ok(claimed?.started_at instanceof Date)
          t.equal(next?.id, second)
          t.equal(none, undefined)
          t.equal((await repository.find(first))?.status, 'running', 'stored')
        },
      )

      t.test(
        'when two connections claim at once, then each run is claimed once',
        { skip: engine === 'postgres' ? false : 'one connection on the embedded engine' },
        async (t) => {
          const ids = await Promise.all(
            Array.from({ length: 4 }, (_, index) => queue({ horizon_quarters: index })),
          )

          const claims = await Promise.all(
            Array.from({ length: 6 }, () => repository.claimNext('cpu')),
          )

          const claimed = claims.filter((run) => run !== undefined).map((run) => run!.id)
          t.same([...claimed].sort(), [...ids].sort(), 'every run once, none twice')
        },
      )
    })

    t.test('succeed, fail and failInterrupted', async (t) => {
      t.test(
        'when a run succeeds, then its results are stored and it publishes as decided when queued',
        async (t) => {
          const publishing = await queue({}, { publish: true })
          const preview = await queue({ horizon_quarters: 1 }, { publish: false })

          await repository.succeed(publishing, result)
          await repository.succeed(preview, result)

          const published = await repository.find(publishing)
          const notPublished = await repository.find(preview)
          t.match(published, {
            status: 'succeeded',
            progress: 1,
            scores_kept: true,
            published: true,
            n_rows: 40,
            converged: true,
            coefficients: result.coefficients,
            quality: result.quality,
            covariance: result.covariance,
            error: null,
          })
          t.ok(published?.finished_at instanceof Date)
          t.ok(published?.published_at instanceof Date)
          t.match(notPublished, { status: 'succeeded', published: false, published_at: null })
        },
      )

      t.test('when a run fails, then its error is stored and it is not published', async (t) => {
        const id = await queue()

        await repository.fail(id, { code: 'no_data', message: 'no neighbourhood rows' })

        t.match(await repository.find(id), {
          status: 'failed',
          error: { code: 'no_data', message: 'no neighbourhood rows' },
          published: false,
        })
      })

      t.test(
        'when runs were left running, then they are marked interrupted and counted; queued ones stay',
        async (t) => {
          const left = await queue()
          const waiting = await queue({ horizon_quarters: 1 })
          await repository.claimNext('cpu')

          const count = await repository.failInterrupted()

          t.equal(count, 1)
          t.match(await repository.find(left), {
            status: 'failed',
            error: { code: 'interrupted' },
          })
          t.equal((await repository.find(waiting))?.status, 'queued')
        },
      )

      t.test('when progress is set, then it is stored', async (t) => {
        const id = await queue()

        await repository.setProgress(id, 0.5)

        t.equal((await repository.find(id))?.progress, 0.5)
      })
    })

    t.test('publish and latestPublished', async (t) => {
      t.test(
        'when a succeeded preview is published, then it is served for its horizon',
        async (t) => {
          const keyId = randomUUID()
          const served = await succeededRun([], {}, { publish: true })
          const preview = await succeededRun([], {}, { publish: false })
          const before = await repository.latestPublished(0)

          const published = await repository.publish(preview, keyId)

          const after = await repository.latestPublished(0)
          t.equal(before?.id, served, 'a preview is not served')
          t.equal(published, true)
          t.match(after, { id: preview, published: true, published_by: keyId })
          t.equal(await repository.latestPublished(4), undefined, 'nothing for another horizon')
        },
      )

      t.test('when the run has not succeeded, then it is not published', async (t) => {
        const queued = await queue({}, { publish: false })
        const failed = await queue({ horizon_quarters: 1 }, { publish: false })
        await repository.fail(failed, { code: 'x', message: 'y' })

        const results = [
          await repository.publish(queued, null),
          await repository.publish(failed, null),
          await repository.publish(randomUUID(), null),
        ]

        t.same(results, [false, false, false])
        t.equal(await repository.latestPublished(0), undefined)
      })
    })

    t.test('list', async (t) => {
      t.test(
        'when filtered by status and horizon, then the newest come first with the total',
        async (t) => {
          const older = await queue({}, { createdAt: '2030-01-01T00:00:00Z' })
          const newer = await queue(
            { from_period: '2021Q1' },
            { createdAt: '2030-01-02T00:00:00Z' },
          )
          const other = await queue({ horizon_quarters: 2 })
          await repository.fail(other, { code: 'x', message: 'y' })

          const queued = await repository.list({ status: 'queued', limit: 10, offset: 0 })
          const horizonTwo = await repository.list({ horizon: 2, limit: 10, offset: 0 })
          const page = await repository.list({ limit: 1, offset: 0 })

          t.same(
            queued.items.map((run) => run.id),
            [newer, older],
          )
          t.equal(queued.total, 2)
          t.same(
            horizonTwo.items.map((run) => run.id),
            [other],
          )
          t.equal(page.total, 3)
          t.equal(page.items.length, 1)
        },
      )
    })

    t.test('insertScores and the score reads', async (t) => {
      t.beforeEach(() =>
        uploadRows(app, admin, [
          snapshotRow({ area_code: centrum, area_name: 'Centrum' }),
          snapshotRow({ area_code: haven, area_name: 'Haven' }),
        ]),
      )

      t.test(
        'when scores are written, then every number comes back exactly and NaN as NULL',
        async (t) => {
          const risk = 0.1 + 0.2
          const id = await succeededRun([
            { area_code: centrum, period: '2024Q3', risk, expected: 1 / 3, observed: 2 },
            { area_code: haven, period: '2024Q3', risk: 1e-300 },
          ])

          const rows = await repository.scoresAt(id, '2024Q3', undefined)

          t.equal(rows.length, 2)
          t.same(
            Object.keys(rows[0]),
            [
              'area_code',
              'area_name',
              'parent_code',
              'period',
              'target_period',
              baseColumn,
              'risk',
              'risk_ci_low',
              'risk_ci_high',
              'expected',
              'observed',
              'standardized_ratio',
              'ratio_ci_low',
              'ratio_ci_high',
              'percentile',
              'rank',
              'percentile_national',
              'rank_national',
            ],
            "the API's risk item fields in order, with the parent (for districts)",
          )
          t.match(rows[0], {
            area_code: centrum,
            area_name: 'Centrum',
            parent_code: 'WK051801',
            target_period: '2024Q3',
            [baseColumn]: 200,
            observed: 2,
            standardized_ratio: null,
            rank: 1,
          })
          t.equal(rows[0].risk, risk, 'a double bit for bit')
          t.equal(rows[0].expected, 1 / 3)
          t.equal(rows[1].risk, 1e-300)
          t.equal(rows[1].expected, null, 'NaN is NULL')
          t.equal(rows[1].observed, null)
        },
      )

      t.test('when many scores are written, then every one is stored', async (t) => {
        const scores = Array.from({ length: 3000 }, (_, index) => ({
          area_code: `BU0518${String(index).padStart(4, '0')}`,
          period: `${2000 + (index % 20)}Q${(index % 4) + 1}`,
          risk: index / 3000,
        }))

        const id = await succeededRun(scores)

        t.equal(await scoreCount(id), 3000)
      })

      t.test(
        'when scores are read at a period, then they come by risk descending, ties by code, within the municipality asked',
        async (t) => {
          const id = await succeededRun([
            { area_code: haven, period: '2024Q3', risk: 0.2 },
            { area_code: centrum, period: '2024Q3', risk: 0.2 },
            { area_code: 'BU05180103', period: '2024Q3', risk: 0.5 },
            { area_code: elders, period: '2024Q3', risk: 0.9 },
            { area_code: centrum, period: '2024Q2', risk: 0.99 },
          ])

          const all = await repository.scoresAt(id, '2024Q3', undefined)
          const own = await repository.scoresAt(id, '2024Q3', 'GM0518')

          t.same(
            all.map((row) => row.area_code),
            [elders, 'BU05180103', centrum, haven],
          )
          t.same(
            own.map((row) => row.area_code),
            ['BU05180103', centrum, haven],
          )
          t.equal(own[0].area_name, null, 'an area without a stored name')
          t.same(await repository.scoresAt(id, '2023Q1', undefined), [])
        },
      )

      t.test('when risk is asked for areas, then it comes per area and period', async (t) => {
        const id = await succeededRun([
          { area_code: centrum, period: '2024Q2', risk: 0.1 },
          { area_code: centrum, period: '2024Q3', risk: 0.3 },
          { area_code: haven, period: '2024Q3', risk: 0.2 },
          { area_code: elders, period: '2024Q3', risk: 0.9 },
        ])
        const otherRun = await succeededRun([{ area_code: centrum, period: '2024Q3', risk: 0.7 }])

        const risk = await repository.riskOf(id, [centrum, elders, 'BU05189999'])
        const none = await repository.riskOf(id, [])

        t.same(
          [...risk.entries()]
            .map(([area, byPeriod]) => [area, [...byPeriod.entries()].sort()])
            .sort(),
          [
            [
              centrum,
              [
                ['2024Q2', 0.1],
                ['2024Q3', 0.3],
              ],
            ],
            [elders, [['2024Q3', 0.9]]],
          ],
        )
        t.equal(none.size, 0)
        t.equal((await repository.riskOf(otherRun, [centrum])).get(centrum)?.get('2024Q3'), 0.7)
      })

      t.test(
        'when the latest scored period is asked, then it is the run’s last, within a municipality when given',
        async (t) => {
          const id = await succeededRun([
            { area_code: centrum, period: '2024Q2', risk: 0.1 },
            { area_code: elders, period: '2024Q4', risk: 0.2 },
          ])
          const empty = await succeededRun([])

          t.equal(await repository.latestScoredPeriod(id), '2024Q4')
          t.equal(await repository.latestScoredPeriod(id, 'GM0518'), '2024Q2')
          t.equal(await repository.latestScoredPeriod(id, 'GM0001'), undefined)
          t.equal(await repository.latestScoredPeriod(empty), undefined)
        },
      )
    })

    t.test('pruneScores', async (t) => {
      t.test(
        'when a horizon has more runs than are kept, then the older ones lose their scores but the latest published and latest succeeded keep theirs',
        async (t) => {
          t.equal(keptRunsPerHorizon, 10)
          const score = [{ area_code: centrum, period: '2024Q3', risk: 0.5 }]
          const runs: string[] = []
          for (let index = 0; index < 14; index += 1) {
            const day = String(index + 1).padStart(2, '0')
            runs.push(
              await succeededRun(
                score,
                {},
                { publish: false, createdAt: `2030-01-${day}T00:00:00Z` },
              ),
            )
          }
          // run 1 is the one published; run 0 finished last (the latest succeeded)
          await repository.publish(runs[1], null)
          await app
            .knex('model_runs')
            .where({ id: runs[0] })
            .update({ finished_at: new Date('2099-01-01T00:00:00Z') })
          const otherHorizon = await succeededRun(
            score,
            { horizon_quarters: 4 },
            { createdAt: '2029-01-01T00:00:00Z' },
          )

          await repository.pruneScores(0)

          const kept = await Promise.all(runs.map(scoreCount))
          t.same(kept, [1, 1, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1])
          const flags = await Promise.all(
            runs.map(async (id) => (await repository.find(id))!.scores_kept),
          )
          t.same(flags, [
            true,
            true,
            false,
            false,
            true,
            true,
            true,
            true,
            true,
            true,
            true,
            true,
            true,
            true,
          ])
          t.equal((await repository.find(runs[2]))?.status, 'succeeded', 'the run itself stays')
          t.equal(await scoreCount(otherHorizon), 1, 'another horizon is not touched')
        },
      )

      t.test('when nothing is beyond the kept runs, then nothing changes', async (t) => {
        const id = await succeededRun([{ area_code: centrum, period: '2024Q3', risk: 0.5 }])

        await repository.pruneScores(0)

        t.equal(await scoreCount(id), 1)
        t.equal((await repository.find(id))?.scores_kept, true)
      })
    })

    t.test('databaseTime', async (t) => {
      t.test('when asked, then the server clock comes as a Date', async (t) => {
        const time = await repository.databaseTime()

        t.ok(time instanceof Date)
        t.notOk(Number.isNaN(time.getTime()))
      })
    })
  })
}

import t from 'tap'
import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { buildTestApp, engines } from '../../helper.js'
import type { SnapshotFixture } from '../../support/snapshot-fixtures.js'
import {
  areaSeries,
  neighbourhoodSeries,
  summedQuarters,
} from '../../../services/use-cases/area-series.js'
import { uploadSnapshots } from '../../../services/use-cases/upload-snapshots.js'
import { importGeometries } from '../../../services/use-cases/import-geometries.js'
import type { DataEvents } from '../../../services/use-cases/data-events.js'
import type { NeighbourhoodSeries, QuarterCounts } from '../../../services/domain/trend-shapes.js'

/**
 * use-cases/area-series.ts: an area's series is its own rows when it has any (with the published
 * run's risk), else the sum over its neighbourhoods under the rules of its doc comment: members
 * are the neighbourhoods with a current snapshot; a quarter counts only when every member has a
 * row; a count is summed only when every member delivered it (else NULL); risk is Σ risk·n / Σ n
 * and NULL unless every member was scored. Expected sums below are worked by hand.
 */

const quarter = (
  period: string,
  population: number,
  counts: [number | null, number | null, number | null, number | null],
): QuarterCounts => ({
  period,
  youth_population: population,
  early_school_leavers: counts[0],
  halt_registrations: counts[1],
  parental_debt: counts[2],
  drug_offence_suspects: counts[3],
})

const member = (code: string, quarters: QuarterCounts[]): NeighbourhoodSeries => ({
  area_code: code,
  area_name: null,
  parent_code: `WK${code.slice(2, 8)}`,
  quarters,
})

t.test('summedQuarters', async (t) => {
  const a = member('BU05180101', [
    quarter('2024Q1', 100, [1, 2, 3, 4]),
    quarter('2024Q2', 110, [5, 6, null, 8]),
    quarter('2024Q3', 120, [1, 1, 1, 1]),
  ])
  const b = member('BU05180102', [
    quarter('2024Q2', 90, [1, 1, 1, 1]),
    quarter('2024Q1', 300, [10, 20, 30, 40]),
  ])

  t.test(
    'when every member has the quarter, then the population and each count are summed; a quarter one member lacks is a gap',
    async (t) => {
      const sums = summedQuarters([a, b], new Map())
      t.same(sums, [
        { ...quarter('2024Q1', 400, [11, 22, 33, 44]), risk: null },
        // parental_debt is NULL in one member: NULL, never the partial 1
        { ...quarter('2024Q2', 200, [6, 7, null, 9]), risk: null },
      ])
    },
  )

  t.test(
    'when every member has a score, then risk is the population-weighted mean; one missing score makes it NULL',
    async (t) => {
      const risk = new Map([
        [
          'BU05180101',
          new Map([
            ['2024Q1', 0.01],
            ['2024Q2', 0.02],
          ]),
        ],
        ['BU05180102', new Map([['2024Q1', 0.03]])],
      ])
      const sums = summedQuarters([a, b], risk)
      // (0.01 · 100 + 0.03 · 300) / 400 = 10 / 400
      t.equal(sums[0].risk, 0.025)
      t.equal(sums[1].risk, null, 'BU05180102 has no score in 2024Q2')
    },
  )

  t.test('when the summed population is 0, then risk is NULL (no division by 0)', async (t) => {
    const empty = [
      member('BU05180101', [quarter('2024Q1', 0, [0, 0, 0, 0])]),
      member('BU05180102', [quarter('2024Q1', 0, [0, 0, 0, 0])]),
    ]
    const risk = new Map(empty.map((m) => [m.area_code, new Map([['2024Q1', 0.5]])]))
    t.same(summedQuarters(empty, risk), [{ ...quarter('2024Q1', 0, [0, 0, 0, 0]), risk: null }])
  })

  t.test('when there are no members, then there are no quarters', async (t) => {
    t.same(summedQuarters([], new Map()), [])
  })
})

const silentEvents: DataEvents = { emit: async () => undefined, on: () => undefined }

const row = (
  code: string,
  period: string,
  population: number,
  suspects: number | null,
  debt: number | null = 3,
): SnapshotFixture => ({
  area_code: code,
  area_name: null,
  period,
  youth_population: population,
  early_school_leavers: 1,
  halt_registrations: 2,
  parental_debt: debt,
  drug_offence_suspects: suspects,
})

/** Two districts of GM0518 and one of GM0599; WK051801's total is also uploaded for 2024Q1. */
const stored: SnapshotFixture[] = [
  row('BU05180101', '2024Q1', 100, 4),
  row('BU05180101', '2024Q2', 100, 5),
  row('BU05180102', '2024Q1', 300, 6),
  row('BU05180102', '2024Q2', 300, 7, null),
  row('BU05180102', '2024Q3', 300, 8),
  row('BU05180201', '2024Q1', 50, 1),
  row('BU05180201', '2024Q2', 50, 2),
  row('BU05990101', '2024Q1', 999, 9),
  row('WK051801', '2024Q1', 1000, 99),
]

for (const engine of engines) {
  t.test(engine, async (t) => {
    const { app } = await buildTestApp(t, engine)
    const dependencies = {
      snapshotsRepository: app.snapshotsRepository,
      riskRepository: app.riskRepository,
    }
    await uploadSnapshots(
      {
        knex: app.knex,
        snapshotsRepository: app.snapshotsRepository,
        areasRepository: app.areasRepository,
        dataEvents: silentEvents,
        limits: { bodyLimitBytes: 1 << 20, maxRows: 1000 },
      },
      { format: 'json', body: stored },
      { keyId: null },
    )
    // A neighbourhood known from its boundary only: no snapshot, so no member of any sum.
    await importGeometries(
      app.knex,
      { areas: app.areasRepository, geometries: app.geometriesRepository },
      {
        type: 'FeatureCollection',
        features: [
          {
            type: 'Feature',
            properties: { BU_CODE: 'BU05180103' },
            geometry: {
              type: 'Polygon',
              coordinates: [
                [
                  [4.3, 52.07],
                  [4.31, 52.07],
                  [4.31, 52.08],
                  [4.3, 52.07],
                ],
              ],
            },
          },
        ],
      },
    )
    const runId = await runWithScores(app, [
      ['BU05180101', '2024Q1', 0.02],
      ['BU05180101', '2024Q2', 0.04],
      ['BU05180102', '2024Q1', 0.01],
      ['BU05180201', '2024Q1', 0.1],
      ['BU05180201', '2024Q2', 0.2],
    ])
    const run = { id: runId }
    const area = async (code: string) => (await app.areasRepository.find(code))!

    t.test('areaSeries', async (t) => {
      t.test(
        'when the area is a neighbourhood, then its own rows come with the run’s risk (null unscored)',
        async (t) => {
          const series = await areaSeries(dependencies, await area('BU05180102'), run)
          t.equal(series.aggregated, false)
          t.same(
            series.quarters.map((q) => [
              q.period,
              q.drug_offence_suspects,
              q.parental_debt,
              q.risk,
            ]),
            [
              ['2024Q1', 6, 3, 0.01],
              ['2024Q2', 7, null, null],
              ['2024Q3', 8, 3, null],
            ],
          )
        },
      )

      t.test('when there is no published run, then every risk is null', async (t) => {
        const series = await areaSeries(dependencies, await area('BU05180101'), undefined)
        t.same(
          series.quarters.map((q) => q.risk),
          [null, null],
        )
      })

      t.test(
        'when a neighbourhood has no snapshot, then its series is its own and empty',
        async (t) => {
          t.same(await areaSeries(dependencies, await area('BU05180103'), run), {
            aggregated: false,
            quarters: [],
          })
        },
      )

      t.test(
        'when a district has a row of its own, then its own rows are its series',
        async (t) => {
          const series = await areaSeries(dependencies, await area('WK051801'), run)
          t.equal(series.aggregated, false)
          t.same(
            series.quarters.map((q) => [q.period, q.youth_population, q.drug_offence_suspects]),
            [['2024Q1', 1000, 99]],
          )
        },
      )

      t.test(
        'when its neighbourhoods are asked for, then the district is their exact sum under the membership and NULL rules',
        async (t) => {
          const series = await areaSeries(dependencies, await area('WK051801'), run, {
            sumOverNeighbourhoods: true,
          })
          t.equal(series.aggregated, true)
          // members BU05180101 and BU05180102 (BU05180103 has no snapshot); 2024Q3 is a gap
          t.same(
            series.quarters.map((q) => [
              q.period,
              q.youth_population,
              q.drug_offence_suspects,
              q.parental_debt,
              q.risk,
            ]),
            [
              // risk (0.02 · 100 + 0.01 · 300) / 400 = 0.0125
              ['2024Q1', 400, 10, 6, 0.0125],
              // parental_debt NULL in BU05180102; BU05180102 unscored
              ['2024Q2', 400, 12, null, null],
            ],
          )
        },
      )

      t.test(
        'when a district has no row of its own, then its series is the sum over its neighbourhoods',
        async (t) => {
          const series = await areaSeries(dependencies, await area('WK051802'), run)
          t.equal(series.aggregated, true)
          t.same(
            series.quarters.map((q) => [
              q.period,
              q.youth_population,
              q.drug_offence_suspects,
              q.risk,
            ]),
            [
              ['2024Q1', 50, 1, 0.1],
              ['2024Q2', 50, 2, 0.2],
            ],
          )
        },
      )

      t.test(
        'when the area is a municipality, then every neighbourhood of it (across districts, no other municipality) is a member',
        async (t) => {
          const series = await areaSeries(dependencies, await area('GM0518'), run)
          t.equal(series.aggregated, true)
          // members BU05180101, BU05180102, BU05180201: the district total WK051801 is no member
          t.same(
            series.quarters.map((q) => [q.period, q.youth_population, q.drug_offence_suspects]),
            [
              ['2024Q1', 450, 11],
              ['2024Q2', 450, 14],
            ],
          )
          t.equal(series.quarters[0].risk, (0.02 * 100 + 0.01 * 300 + 0.1 * 50) / 450)
        },
      )
    })

    t.test('neighbourhoodSeries', async (t) => {
      t.test(
        'when filtered by district and upTo, then its neighbourhoods with rows in range come in code order',
        async (t) => {
          const series = await neighbourhoodSeries(dependencies, {
            district: 'WK051801',
            upTo: '2024Q1',
          })
          t.same(
            series.map((s) => [s.area_code, s.parent_code, s.quarters.map((q) => q.period)]),
            [
              ['BU05180101', 'WK051801', ['2024Q1']],
              ['BU05180102', 'WK051801', ['2024Q1']],
            ],
          )
        },
      )

      t.test('when nothing is filtered, then every neighbourhood with rows comes', async (t) => {
        const series = await neighbourhoodSeries(dependencies, {})
        t.same(
          series.map((s) => s.area_code),
          ['BU05180101', 'BU05180102', 'BU05180201', 'BU05990101'],
        )
      })
    })
  })
}

/** A succeeded run with the given risks (other score columns filled plausibly). */
async function runWithScores(
  app: FastifyInstance,
  scores: Array<[area: string, period: string, risk: number]>,
): Promise<string> {
  const id = randomUUID()
  await app.riskRepository.insertQueued({
    id,
    horizon_quarters: 0,
    from_period: null,
    to_period: null,
    requested_by: null,
    publish_on_success: true,
  })
  await app.riskRepository.claimNext('test')
  await app.riskRepository.succeed(id, { coefficients: [], quality: null, covariance: null })
  await app.knex('risk_scores').insert(
    scores.map(([area, period, risk], index) => ({
      run_id: id,
      area_code: area,
      municipality_code: `GM${area.slice(2, 6)}`,
      period,
      target_period: period,
      youth_population: 100,
      risk,
      risk_ci_low: risk / 2,
      risk_ci_high: risk * 2,
      expected: null,
      observed: null,
      standardized_ratio: null,
      ratio_ci_low: null,
      ratio_ci_high: null,
      percentile: 50,
      rank: index + 1,
      percentile_national: 50,
      rank_national: index + 1,
    })),
  )
  return id
}

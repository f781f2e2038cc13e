import t from 'tap'
import { buildTestApp, engines } from '../../helper.js'
import type { SnapshotFixture } from '../../support/snapshot-fixtures.js'
import { areaTrendAnswer } from '../../../services/use-cases/area-trend.js'
import { uploadSnapshots } from '../../../services/use-cases/upload-snapshots.js'
import { viewerAreaTrend } from '../../../services/use-cases/viewer-trend.js'
import { areaTrend } from '../../../services/use-cases/trend-report.js'
import { exactAreaTrend } from '../../../services/domain/trend-disclosure.js'
import type { DataEvents } from '../../../services/use-cases/data-events.js'
import type { NeighbourhoodSeries, QuarterCounts } from '../../../services/domain/trend-shapes.js'

/**
 * use-cases/area-trend.ts: `GET /v1/areas/:code/trend` as a use case. It reads the area's series
 * (its own rows, or the sum over its neighbourhoods), computes the trend exact for analysts or on
 * the rounded table for viewers, and discloses it. What a viewer gets is checked against the
 * viewer computation fed with the input built here from the fixture rows (not from the database):
 * the neighbourhood with its whole district, a district with totals as the sum of its
 * neighbourhoods.
 */

const thresholds = { minCell: 10, roundTo: 5, minBase: 50 }
const silentEvents: DataEvents = { emit: async () => undefined, on: () => undefined }
const periods = Array.from({ length: 12 }, (_, i) => `${2021 + Math.floor(i / 4)}Q${(i % 4) + 1}`)

function rowsOf(code: string, seed: number, population = 203): SnapshotFixture[] {
  return periods.map((period, i) => ({
    area_code: code,
    area_name: null,
    period,
    youth_population: population + 7 * i + seed,
    early_school_leavers: 13 + i,
    halt_registrations: 21 + 2 * i,
    parental_debt: 33 + ((i * 7 + seed) % 11),
    drug_offence_suspects: 12 + ((i * 3 + seed) % 7) + Math.floor(i / 2),
  }))
}

const quartersOf = (rows: SnapshotFixture[]): QuarterCounts[] =>
  rows.map(({ area_code: _code, area_name: _name, ...quarter }) => quarter as QuarterCounts)

const neighbourhood = (code: string, rows: SnapshotFixture[]): NeighbourhoodSeries => ({
  area_code: code,
  area_name: null,
  parent_code: `WK${code.slice(2, 8)}`,
  quarters: quartersOf(rows),
})

/** WK051801: two neighbourhoods and totals of its own; WK051802: totals only; BU05180201 small. */
const fixture = {
  a: rowsOf('BU05180101', 1),
  b: rowsOf('BU05180102', 4),
  totals: rowsOf('WK051801', 9, 600),
  lone: rowsOf('WK051802', 2, 400),
  small: rowsOf('BU05990101', 3).map((row, i) => ({
    ...row,
    youth_population: 30 + (i % 3),
    early_school_leavers: 1,
    halt_registrations: 2,
    parental_debt: 3,
    drug_offence_suspects: (i % 4) + 1,
  })),
}

for (const engine of engines) {
  t.test(engine, async (t) => {
    const { app } = await buildTestApp(t, engine)
    await uploadSnapshots(
      {
        knex: app.knex,
        snapshotsRepository: app.snapshotsRepository,
        areasRepository: app.areasRepository,
        dataEvents: silentEvents,
        limits: { bodyLimitBytes: 1 << 20, maxRows: 1000 },
      },
      { format: 'json', body: Object.values(fixture).flat() },
      { keyId: null },
    )
    const dependencies = {
      areasRepository: app.areasRepository,
      snapshotsRepository: app.snapshotsRepository,
      riskRepository: app.riskRepository,
    }
    const answer = (code: string, audience: Parameters<typeof areaTrendAnswer>[3], range = {}) =>
      areaTrendAnswer(dependencies, code, range, audience, undefined, thresholds)
    const viewer = { kind: 'viewer', thresholds } as const

    t.test('areaTrendAnswer', async (t) => {
      t.test('when the area is unknown, then undefined', async (t) => {
        t.equal(await answer('BU05189999', { kind: 'exact' }), undefined)
      })

      t.test(
        'when an analyst asks for a neighbourhood, then the exact trend of its own rows',
        async (t) => {
          const result = await answer('BU05180101', { kind: 'exact' }, { from: '2022Q1' })
          const expected = exactAreaTrend(
            areaTrend(
              quartersOf(fixture.a).map((quarter) => ({ ...quarter, risk: null })),
              { from: '2022Q1' },
            ),
            thresholds,
          )
          t.same(result, { area_code: 'BU05180101', aggregated: false, ...expected })
          t.equal(result!.series[0].drug_offence_suspects, fixture.a[4].drug_offence_suspects)
        },
      )

      t.test(
        'when a viewer asks for a neighbourhood, then the rounded-table trend with its whole district as the disclosure table',
        async (t) => {
          const result = await answer('BU05180101', viewer)
          const expected = viewerAreaTrend(
            'BU05180101',
            {
              kind: 'own',
              quarters: quartersOf(fixture.a).map((quarter) => ({ ...quarter, risk: null })),
              district: [
                neighbourhood('BU05180101', fixture.a),
                neighbourhood('BU05180102', fixture.b),
              ],
            },
            null,
            {},
            thresholds,
          )
          t.same(result, { area_code: 'BU05180101', aggregated: false, ...expected })
        },
      )

      t.test(
        'when a district has totals beside its neighbourhoods, then an analyst gets its totals and a viewer the sum of the rounded neighbourhoods',
        async (t) => {
          const exact = await answer('WK051801', { kind: 'exact' })
          t.equal(exact!.aggregated, false)
          t.equal(exact!.series[0].youth_population, fixture.totals[0].youth_population)

          const result = await answer('WK051801', viewer)
          const expected = viewerAreaTrend(
            'WK051801',
            {
              kind: 'sum',
              members: [
                neighbourhood('BU05180101', fixture.a),
                neighbourhood('BU05180102', fixture.b),
              ],
              exactRiskAt: new Map(periods.map((period) => [period, null])),
            },
            null,
            {},
            thresholds,
          )
          t.same(result, { area_code: 'WK051801', aggregated: true, ...expected })
          t.not(
            result!.series[0].youth_population,
            fixture.totals[0].youth_population,
            'not the own totals',
          )
        },
      )

      t.test(
        'when a district has only totals of its own, then a viewer gets the rounded trend of those',
        async (t) => {
          const result = await answer('WK051802', viewer)
          const expected = viewerAreaTrend(
            'WK051802',
            {
              kind: 'own',
              quarters: quartersOf(fixture.lone).map((quarter) => ({ ...quarter, risk: null })),
              district: null,
            },
            null,
            {},
            thresholds,
          )
          t.same(result, { area_code: 'WK051802', aggregated: false, ...expected })
        },
      )

      t.test(
        'when a municipality has no rows of its own, then both audiences get the sum over its neighbourhoods',
        async (t) => {
          const exact = await answer('GM0518', { kind: 'exact' })
          t.equal(exact!.aggregated, true)
          t.equal(
            exact!.series[0].youth_population,
            (fixture.a[0].youth_population as number) + (fixture.b[0].youth_population as number),
            'the district totals are no member',
          )
          const result = await answer('GM0518', viewer)
          t.equal(result!.aggregated, true)
          t.equal(result!.series.length, 12)
        },
      )

      t.test(
        'when an analyst reads a small base, then the values are exact and flagged unreliable',
        async (t) => {
          const result = await answer('BU05990101', { kind: 'exact' })
          t.equal(result!.series[0].youth_population, fixture.small[0].youth_population)
          t.ok(result!.series.every((row) => row.unreliable === true))
        },
      )
    })
  })
}

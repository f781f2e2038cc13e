import fc from 'fast-check'
import t from 'tap'
import { roundToMultiple } from '../../../services/domain/disclosure.js'
import {
  publishedModel,
  toSignificantDigits,
  viewerRiskOf,
  viewerRiskTable,
  type RiskInputRow,
} from '../../../services/domain/viewer-risk.js'
import { withinRelative } from '../../support/tolerance.js'

const thresholds = { minCell: 10, roundTo: 5, minBase: 50 }

const model = {
  coefficients: [-4, 2, 3, 1.5],
  covariance: [
    [0.01, 0, 0, 0],
    [0, 0.2, 0, 0],
    [0, 0, 0.3, 0],
    [0, 0, 0, 0.1],
  ],
}

function row(
  area: string,
  period: string,
  population: number,
  counts: [number, number, number, number],
): RiskInputRow {
  return {
    area_code: area,
    period,
    youth_population: population,
    early_school_leavers: counts[0],
    halt_registrations: counts[1],
    parental_debt: counts[2],
    drug_offence_suspects: counts[3],
  }
}

t.test('toSignificantDigits', async (t) => {
  t.equal(toSignificantDigits(1.23456789), 1.235)
  t.equal(toSignificantDigits(-0.000123456), -0.0001235)
  t.equal(toSignificantDigits(0), 0)
  t.ok(Number.isNaN(toSignificantDigits(Number.NaN)))
})

t.test('publishedModel', async (t) => {
  t.test('when a run has estimates and a covariance, then both are kept to 4 digits', async (t) => {
    const published = publishedModel({
      coefficients: [{ estimate: -4.123456 }, { estimate: 2.987654 }],
      covariance: [
        [0.0123456, -0.00098765],
        [-0.00098765, 0.456789],
      ],
    })
    t.same(published, {
      coefficients: [-4.123, 2.988],
      covariance: [
        [0.01235, -0.0009877],
        [-0.0009877, 0.4568],
      ],
    })
  })
  t.test('when a run has no coefficients, then there is no model', async (t) => {
    t.equal(publishedModel({ coefficients: null, covariance: null }), null)
  })
})

t.test('viewerRiskTable', async (t) => {
  t.test('when scored, then the risk is the model on the rounded rates', async (t) => {
    const rows = [
      row('BU05180101', '2024Q4', 203, [12, 7, 31, 4]),
      row('BU05180102', '2024Q4', 398, [40, 22, 61, 11]),
    ]
    const table = viewerRiskTable(model, rows, '2024Q4', 0, thresholds)
    const first = table.get('BU05180101')!
    // rounded: 205 young people, 10, 5, 30 and an outcome of 5
    const linear = -4 + (2 * 10 + 3 * 5 + 1.5 * 30) / 205
    t.ok(withinRelative(first.risk, 1 / (1 + Math.exp(-linear)), 1e-14))
    t.ok(withinRelative(first.expected!, 205 * first.risk, 1e-14))
    t.ok(withinRelative(first.standardized_ratio!, 5 / (205 * first.risk), 1e-14))
    t.ok(first.risk_ci_low! < first.risk && first.risk < first.risk_ci_high!)
    t.equal(table.get('BU05180102')!.rank, first.risk > table.get('BU05180102')!.risk ? 2 : 1)
  })

  t.test(
    'when the horizon is 4, then expected and observed come from the target quarter',
    async (t) => {
      const rows = [
        row('BU05180101', '2023Q4', 203, [12, 7, 31, 4]),
        row('BU05180101', '2024Q4', 301, [9, 9, 9, 17]),
      ]
      const score = viewerRiskTable(model, rows, '2023Q4', 4, thresholds).get('BU05180101')!
      t.ok(
        withinRelative(score.expected!, 300 * score.risk, 1e-14),
        'the target population rounded',
      )
      t.ok(withinRelative(score.standardized_ratio!, 15 / score.expected!, 1e-14))
    },
  )

  t.test('when the model has no covariance, then the risk has no interval', async (t) => {
    const table = viewerRiskTable(
      { coefficients: model.coefficients, covariance: null },
      [row('BU05180101', '2024Q4', 203, [12, 7, 31, 4])],
      '2024Q4',
      0,
      thresholds,
    )
    t.equal(table.get('BU05180101')!.risk_ci_low, null)
    t.type(table.get('BU05180101')!.risk, 'number')
  })

  t.test(
    'property: moving any exact value within its rounding class changes nothing a viewer sees',
    async (t) => {
      // the guarantee of issue 14 for risk: a viewer's figures are a function of the rounded
      // table, so no figure can tell two tables with the same rounding apart
      const area = fc.record({
        population: fc.integer({ min: 60, max: 900 }),
        counts: fc.tuple(
          fc.integer({ min: 0, max: 60 }),
          fc.integer({ min: 0, max: 60 }),
          fc.integer({ min: 0, max: 60 }),
          fc.integer({ min: 0, max: 60 }),
        ),
        shifts: fc.array(fc.integer({ min: -2, max: 2 }), { minLength: 5, maxLength: 5 }),
      })
      fc.assert(
        fc.property(fc.array(area, { minLength: 2, maxLength: 12 }), (areas) => {
          const exact = areas.map((value, index) =>
            row(
              `BU051801${String(index).padStart(2, '0')}`,
              '2024Q4',
              value.population,
              value.counts,
            ),
          )
          // another table with every value moved to another member of its rounding class
          const twin = areas.map((value, index) => {
            const move = (original: number, shift: number) => {
              const moved = original + shift
              return moved >= 0 && roundToMultiple(moved, 5) === roundToMultiple(original, 5)
                ? moved
                : original
            }
            return row(
              `BU051801${String(index).padStart(2, '0')}`,
              '2024Q4',
              move(value.population, value.shifts[4]),
              value.counts.map((count, column) => move(count, value.shifts[column])) as [
                number,
                number,
                number,
                number,
              ],
            )
          })
          const seen = [...viewerRiskTable(model, exact, '2024Q4', 0, thresholds).values()]
          const seenTwin = [...viewerRiskTable(model, twin, '2024Q4', 0, thresholds).values()]
          return JSON.stringify(seen) === JSON.stringify(seenTwin)
        }),
        { seed: 14, numRuns: 200 },
      )
      t.pass('200 pairs of tables with the same rounding: the same viewer figures')
    },
  )
})

t.test('viewerRiskOf', async (t) => {
  t.equal(
    viewerRiskOf(model, {
      youth_population: 0,
      early_school_leavers: 0,
      halt_registrations: 0,
      parental_debt: 0,
      drug_offence_suspects: 0,
    }),
    null,
    'no risk without young people',
  )
})

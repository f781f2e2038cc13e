import t from 'tap'
import type {
  AreaRiskInput,
  AreaSeriesInput,
  RiskInput,
} from '../../../monitors/rules/alert-input.js'
import { resolveRuleParams } from '../../../monitors/rules/rule-params.js'
import { riskPercentileEvaluator } from '../../../monitors/rules/risk-percentile.js'
import { predictors } from '../../../models/vocabulary/indicators.js'
import { alertInput, areaSeries, constant, quartersFrom } from './area-series.js'

/**
 * Hand-made stored scores: "top p%" is percentile > 100 − p (DESIGN.md §3 GET /v1/risk), read
 * within the municipality for a municipality's rule and nationally for a national one. Series
 * run 2023Q1–2024Q4; the run scored 2024Q3 and 2024Q4.
 */
const periods = quartersFrom('2023Q1', 8)
const population = constant(100, 8)
const debt = predictors.find((predictor) => predictor.term === 'parental_debt')!

/** Suspects 2 a quarter: 8 over the four quarters ending at either scored quarter. */
const area = (code: string, municipality = 'GM0518', outcome = constant<number | null>(2, 8)) =>
  areaSeries(code, { population, outcome }, municipality)

const scores = (values: Partial<AreaRiskInput> = {}): AreaRiskInput => ({
  risk: [0.02, 0.03],
  percentile: [85, 95],
  rank: [7, 3],
  percentile_national: [50, 60],
  rank_national: [500, 400],
  ...values,
})

function riskRun(
  byArea: Record<string, AreaRiskInput>,
  horizon = 0,
  scored = ['2024Q3', '2024Q4'],
): RiskInput {
  return {
    run_id: `run-${horizon}`,
    horizon_quarters: horizon,
    periods: scored,
    byArea: new Map(Object.entries(byArea)),
    municipalitySizes: new Map([['GM0518', [40, 41]]]),
    nationalSizes: [1000, 1001],
  }
}

function evaluate(
  areas: readonly AreaSeriesInput[],
  risks: readonly RiskInput[],
  params: Record<string, unknown> = {},
  municipality: string | null = 'GM0518',
) {
  return riskPercentileEvaluator(
    alertInput(periods, areas, risks),
    areas,
    resolveRuleParams('risk_percentile', params),
    municipality,
  )
}

t.test('riskPercentileEvaluator', async (t) => {
  t.test('when the area is in the municipality top p%, then it fires with its rank', async (t) => {
    const [finding] = evaluate([area('BU01')], [riskRun({ BU01: scores() })]).at(0, [0])
    t.same(finding, {
      fires: true,
      period: '2024Q4',
      value: 95,
      threshold: 90,
      facts: {
        kind: 'risk_percentile',
        period: '2024Q4',
        horizon_quarters: 0,
        risk: 0.03,
        percentile: 95,
        rank: 3,
        of: 41,
        scope: 'GM0518',
        p: 10,
        count: 8,
        population: 400,
        predictor: null,
      },
    })
  })

  t.test(
    'when the percentile equals 100 − p, then it does not fire; just above, then it does',
    async (t) => {
      const at = (percentile: number) =>
        evaluate([area('BU01')], [riskRun({ BU01: scores({ percentile: [0, percentile] }) })]).at(
          0,
          [0],
        )[0]
      t.equal(at(90)?.fires, false)
      t.equal(at(90)?.threshold, 90)
      t.equal(at(90.01)?.fires, true)
      const wider = evaluate([area('BU01')], [riskRun({ BU01: scores({ percentile: [0, 90] }) })], {
        p: 10.5,
      })
      t.equal(wider.at(0, [0])[0]?.fires, true, 'p 10.5: threshold 89.5')
    },
  )

  t.test(
    'when the rule is national, then the national percentile, rank and size are read',
    async (t) => {
      const [quiet] = evaluate([area('BU01')], [riskRun({ BU01: scores() })], {}, null).at(0, [0])
      t.equal(quiet?.fires, false)
      t.equal(quiet?.value, 60)
      t.match(quiet?.facts, { rank: 400, of: 1001, scope: 'national' })
      const top = scores({ percentile: [10, 10], percentile_national: [99, 99.5] })
      const [fires] = evaluate([area('BU01')], [riskRun({ BU01: top })], {}, null).at(0, [0])
      t.equal(fires?.fires, true, 'a low municipal percentile does not matter nationally')
    },
  )

  t.test(
    'when the suspects over four quarters are below min_count, then it does not fire',
    async (t) => {
      const run = [riskRun({ BU01: scores() })]
      t.equal(evaluate([area('BU01')], run, { min_count: 8 }).at(0, [0])[0]?.fires, true)
      const [blocked] = evaluate([area('BU01')], run, { min_count: 9 }).at(0, [0])
      t.equal(blocked?.fires, false)
      t.equal(blocked?.facts.kind === 'risk_percentile' && blocked.facts.count, 8)
    },
  )

  t.test(
    'when a quarter of the four is missing, then it does not fire and the count is 0',
    async (t) => {
      const gap = area('BU01', 'GM0518', [2, 2, 2, 2, 2, null, 2, 2])
      const [finding] = evaluate([gap], [riskRun({ BU01: scores() })], { min_count: 0 }).at(0, [0])
      t.equal(finding?.fires, false)
      t.match(finding?.facts, { count: 0, population: 0 })
    },
  )

  t.test('when the scored quarter is not in the series, then it does not fire', async (t) => {
    const run = riskRun({ BU01: scores() }, 0, ['2025Q1', '2025Q2'])
    const [finding] = evaluate([area('BU01')], [run], { min_count: 0 }).at(0, [0])
    t.equal(finding?.period, '2025Q2')
    t.equal(finding?.fires, false)
  })

  t.test('when no run exists for the rule horizon, then there is no finding', async (t) => {
    const other = riskRun({ BU01: scores() }, 4)
    t.same(evaluate([area('BU01')], [other]).at(0, [0]), [null])
    const [ahead] = evaluate([area('BU01')], [other], { horizon_quarters: 4 }).at(0, [0])
    t.equal(ahead?.fires, true)
    t.equal(ahead?.facts.kind === 'risk_percentile' && ahead.facts.horizon_quarters, 4)
  })

  t.test('when the area has no scores or a score is null, then there is no finding', async (t) => {
    const run = riskRun({
      BU02: scores(),
      BU03: scores({ rank: [1, null] }),
      BU04: scores({ risk: [0.1, null] }),
    })
    const areas = [area('BU01'), area('BU02'), area('BU03'), area('BU04')]
    const findings = evaluate(areas, [run]).at(0, [0, 1, 2, 3])
    t.same(
      findings.map((finding) => finding?.fires ?? null),
      [null, true, null, null],
    )
  })

  t.test(
    'when evaluated back, then the earlier scored quarter is read; past the run, nothing',
    async (t) => {
      const evaluator = evaluate([area('BU01')], [riskRun({ BU01: scores() })])
      const [earlier] = evaluator.at(1, [0])
      t.equal(earlier?.period, '2024Q3')
      t.equal(earlier?.value, 85)
      t.equal(earlier?.fires, false)
      t.same(evaluator.at(2, [0]), [null])
    },
  )

  t.test('when it fires, then the largest predictor rise is attached', async (t) => {
    const rising = areaSeries(
      'BU01',
      {
        population,
        outcome: constant(2, 8),
        predictorCounts: { [debt.column]: [10, 10, 10, 10, 20, 20, 20, 20] },
      },
      'GM0518',
    )
    const [finding] = evaluate([rising], [riskRun({ BU01: scores() })]).at(0, [0])
    t.equal(finding?.facts.predictor?.predictor, debt.term)
    t.equal(finding?.facts.predictor?.relative_change, 1)
  })
})

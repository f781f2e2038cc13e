import t from 'tap'
import { farringtonFlexibleLatest } from '../../../models/aberration/farrington-flexible.js'
import { aberrationEvaluator } from '../../../monitors/rules/aberration.js'
import type { AreaSeriesInput } from '../../../monitors/rules/alert-input.js'
import { resolveRuleParams } from '../../../monitors/rules/rule-params.js'
import { predictors } from '../../../models/vocabulary/indicators.js'
import { describeGap, withinRelative } from '../../support/tolerance.js'
import { alertInput, areaSeries, constant, quartersFrom } from './area-series.js'

/**
 * A hand-made neighbourhood over 2019Q1–2024Q4 (24 quarters, so b = 5 years and w = 1 leave a
 * baseline): about 10 young suspects a quarter out of 1000, then the last quarter varied. The
 * upper bound is whatever `farringtonFlexibleLatest` (matched to R surveillance 1.26 in
 * test/models/aberration/farrington-flexible.test.ts) gives for the same series and options:
 * here 15.54, so 15 stays below it and 16 is above. The rule is checked as a second route to
 * that model, plus its own gates (missing data, min_count, the baseline years it reports).
 */
const periods = quartersFrom('2019Q1', 24)
const history = [
  8, 11, 9, 12, 10, 9, 11, 10, 12, 8, 10, 11, 9, 10, 12, 11, 10, 9, 11, 10, 8, 12, 10,
]
const population = constant(1000, 24)
/** Rates of whole counts over 4000 people are not binary fractions: a few ulps apart. */
const roundingOfRates = 1e-12
const debt = predictors.find((predictor) => predictor.term === 'parental_debt')!

const withLast = (last: number | null, base: readonly (number | null)[] = history) =>
  areaSeries('BU05180101', { population, outcome: [...base, last] })

function evaluate(
  areas: readonly AreaSeriesInput[],
  params: Record<string, unknown> = {},
  quarters: readonly string[] = periods,
) {
  return aberrationEvaluator(
    alertInput(quarters, areas),
    areas,
    resolveRuleParams('aberration', params),
  )
}

/** The model's verdict on the same series and the rule's default options. */
function direct(
  observed: readonly (number | null)[],
  populations: readonly (number | null)[] = population,
) {
  return farringtonFlexibleLatest([{ observed, population: populations, frequency: 4 }], {
    alpha: 0.05,
    b: 5,
    w: 1,
    weightsThreshold: 2.58,
    limit54: [5, 4],
    populationOffset: true,
  })[0]
}

t.test('aberrationEvaluator', async (t) => {
  t.test(
    'when the quarter is above the upper bound, then it fires with the model bound',
    async (t) => {
      const model = direct([...history, 16])
      const [finding] = evaluate([withLast(16)]).at(0, [0])
      t.equal(finding?.fires, true)
      t.equal(model.alarm, true)
      t.equal(finding?.value, 16)
      t.equal(finding?.threshold, model.upperbound)
      t.same(finding?.facts, {
        kind: 'aberration',
        period: '2024Q4',
        observed: 16,
        expected: model.expected,
        upperbound: model.upperbound,
        baseline_from: 2019,
        baseline_to: 2023,
        population: 1000,
        predictor: null,
      })
    },
  )

  t.test(
    'when the quarter is just below the upper bound, then a finding is made that does not fire',
    async (t) => {
      const model = direct([...history, 15])
      const [finding] = evaluate([withLast(15)]).at(0, [0])
      t.equal(finding?.fires, false)
      t.equal(model.alarm, false)
      t.ok(model.upperbound! > 15 && model.upperbound! < 16, `bound ${model.upperbound}`)
      t.equal(finding?.threshold, model.upperbound)
    },
  )

  t.test('when b is 3, then the baseline years reported are the three before', async (t) => {
    const [finding] = evaluate([withLast(16)], { b: 3 }).at(0, [0])
    t.match(finding?.facts, { baseline_from: 2021, baseline_to: 2023 })
  })

  t.test(
    'when the count is at min_count, then it is fitted; below it, then there is no finding',
    async (t) => {
      t.ok(evaluate([withLast(5)], { min_count: 5 }).at(0, [0])[0])
      t.same(evaluate([withLast(4)], { min_count: 5 }).at(0, [0]), [null])
      t.same(evaluate([withLast(16)], { min_count: 17 }).at(0, [0]), [null])
    },
  )

  t.test(
    'when min_count is 0 and the quarter has no cases, then there is no finding',
    async (t) => {
      // the rule never fits a zero count: it could not fire (R's alarm needs y > 0)
      t.same(evaluate([withLast(0)], { min_count: 0 }).at(0, [0]), [null])
    },
  )

  t.test(
    'when the quarter count or population is missing or 0, then there is no finding',
    async (t) => {
      t.same(evaluate([withLast(null)]).at(0, [0]), [null])
      for (const last of [null, 0]) {
        const area = areaSeries('BU05180101', {
          population: [...constant(1000, 23), last],
          outcome: [...history, 16],
        })
        t.same(evaluate([area]).at(0, [0]), [null], `population ${last}`)
      }
    },
  )

  t.test(
    'when the history is shorter than b years and w quarters, then there is no finding',
    async (t) => {
      const short = areaSeries('BU05180101', {
        population: constant(1000, 21),
        outcome: [...history.slice(0, 20), 30],
      })
      t.same(evaluate([short], {}, periods.slice(3)).at(0, [0]), [null])
    },
  )

  t.test(
    'when the last quarters hold fewer cases than limit54 asks, then there is no finding',
    async (t) => {
      // the model withholds its bound ("too_few_cases"): 9 + 11 + 10 + 16 = 46 < 50
      t.same(evaluate([withLast(16)], { limit54: [50, 4] }).at(0, [0]), [null])
      t.ok(evaluate([withLast(16)], { limit54: [46, 4] }).at(0, [0])[0])
    },
  )

  t.test(
    'when the history holds an invalid count, then there is no finding instead of an error',
    async (t) => {
      const broken = withLast(16, [-1, ...history.slice(1)])
      const areas = [broken, withLast(16)]
      const findings = evaluate(areas).at(0, [0, 1])
      t.equal(findings[0], null)
      t.equal(findings[1]?.fires, true, 'the other areas are still evaluated')
    },
  )

  t.test(
    'when the baseline is all zeros, then the model still gives a bound and no error',
    async (t) => {
      // the rule's doc names an all-zero baseline as a series the fit cannot handle; the fit does
      // handle it (expected ≈ 0), so a first cluster after five quiet years fires
      const quiet = withLast(10, constant(0, 23))
      const model = direct([...constant(0, 23), 10])
      const [finding] = evaluate([quiet]).at(0, [0])
      t.equal(finding?.threshold, model.upperbound)
      t.equal(finding?.fires, model.alarm)
      t.equal(finding?.fires, true)
    },
  )

  t.test('when evaluated one quarter back, then later quarters are not used', async (t) => {
    const longer = areaSeries('BU05180101', {
      population: constant(1000, 25),
      outcome: [...history, 16, 40],
    })
    const [back] = evaluate([longer], {}, quartersFrom('2019Q1', 25)).at(1, [0])
    const [now] = evaluate([withLast(16)]).at(0, [0])
    t.same(back, now)
    t.same(evaluate([withLast(16)]).at(24, [0]), [null], 'before the first quarter: nothing')
  })

  t.test('when it fires, then the largest predictor rise is attached', async (t) => {
    const rising = areaSeries('BU05180101', {
      population,
      outcome: [...history, 16],
      predictorCounts: { [debt.column]: [...constant(40, 20), 60, 60, 60, 60] },
    })
    const [finding] = evaluate([rising]).at(0, [0])
    t.equal(finding?.facts.predictor?.predictor, debt.term)
    // (240/4000 − 160/4000) / (160/4000) = 0.5, up to rounding of the decimal rates
    const change = finding?.facts.predictor?.relative_change ?? Number.NaN
    t.ok(withinRelative(change, 0.5, roundingOfRates), describeGap(change, 0.5))
  })
})

import t from 'tap'
import type { AreaSeriesInput } from '../../../monitors/rules/alert-input.js'
import { resolveRuleParams } from '../../../monitors/rules/rule-params.js'
import { yoyRiseEvaluator } from '../../../monitors/rules/yoy-rise.js'
import { predictors } from '../../../models/vocabulary/indicators.js'
import { describeGap, withinRelative } from '../../support/tolerance.js'
import { alertInput, areaSeries, constant, quartersFrom } from './area-series.js'

/**
 * Hand-made neighbourhoods over 2023Q1–2024Q4 (8 quarters: the year before, then the year).
 * Populations are 256 a quarter (1024 a window), so rates are binary fractions and the relative
 * change 30/1024 against 10/1024 is exactly 2. p-values: R 4.2.2 `poisson.test` (the test the
 * rule documents) and `p.adjust(…, "BH")`, printed with 17 digits; our exact binomial tail
 * comes from @stdlib instead of R's pbinom, which differ in the last 2–3 digits.
 */
const agreementWithR = 1e-12
const periods = quartersFrom('2023Q1', 8)
const population = constant(256, 8)
const debt = predictors.find((predictor) => predictor.term === 'parental_debt')!

/** Suspects: four quarters summing to `before`, then four summing to `after`. */
function twoYears(before: number, after: number): number[] {
  const spread = (total: number) =>
    [0, 1, 2, 3].map((index) => Math.floor(total / 4) + (index < total % 4 ? 1 : 0))
  return [...spread(before), ...spread(after)]
}

const risen = areaSeries('BU05180001', { population, outcome: twoYears(10, 30) })
const steady = areaSeries('BU05180002', { population, outcome: twoYears(10, 12) })
const withGap = areaSeries('BU05180003', {
  population,
  outcome: [1, 2, null, 3, 8, 8, 7, 7],
})

function evaluate(
  areas: readonly AreaSeriesInput[],
  params: Record<string, unknown> = {},
  quarters: readonly string[] = periods,
) {
  return yoyRiseEvaluator(alertInput(quarters, areas), areas, resolveRuleParams('yoy_rise', params))
}

t.test('yoyRiseEvaluator', async (t) => {
  t.test(
    'when both windows are complete, then the finding carries rates, change and the exact p-value',
    async (t) => {
      const [finding] = evaluate([risen]).at(0, [0])
      t.ok(finding)
      t.equal(finding!.fires, true)
      t.equal(finding!.period, '2024Q4')
      t.equal(finding!.value, 2)
      t.equal(finding!.threshold, 0.1)
      const facts = finding!.facts
      if (facts.kind !== 'yoy_rise') throw new Error('expected yoy_rise facts')
      t.match(facts, {
        period: '2024Q4',
        count: 30,
        count_prev_year: 10,
        population: 1024,
        population_prev_year: 1024,
        rate: 30 / 1024,
        rate_prev_year: 10 / 1024,
        relative_change: 2,
        q: 0.05,
        min_relative_rise: 0.1,
      })
      // R 4.2.2: poisson.test(c(30, 10), c(1024, 1024))$p.value -> 0.0022214337732293673
      // (equal exposures: the same test as c(4000, 4000)); alone in scope its BH value is itself
      t.ok(
        withinRelative(facts.p_value, 0.0022214337732293673, agreementWithR),
        describeGap(facts.p_value, 0.0022214337732293673),
      )
      t.equal(facts.p_adjusted, facts.p_value)
    },
  )

  t.test(
    'when several areas are in scope, then the p-values are adjusted across them',
    async (t) => {
      const [first, second] = evaluate([risen, steady]).at(0, [0, 1])
      // R 4.2.2: p.adjust(c(poisson.test(c(30, 10), …)$p.value, poisson.test(c(12, 10), …)$p.value), "BH")
      //   -> 0.0044428675464587347 0.8318119049072268956
      const adjusted = [0.0044428675464587347, 0.8318119049072268956]
      const found = [first, second].map((finding) =>
        finding?.facts.kind === 'yoy_rise' ? finding.facts.p_adjusted : null,
      )
      found.forEach((value, index) =>
        t.ok(
          withinRelative(value ?? Number.NaN, adjusted[index], agreementWithR),
          describeGap(value ?? Number.NaN, adjusted[index]),
        ),
      )
      t.equal(first?.fires, true)
      t.equal(second?.fires, false, 'a 20% rise on 10 cases is not significant')
    },
  )

  t.test(
    'when a quarter of a window is missing, then there is no finding and no share in the adjustment',
    async (t) => {
      const [gap, other] = evaluate([withGap, risen]).at(0, [0, 1])
      t.equal(gap, null)
      const facts = other!.facts
      if (facts.kind !== 'yoy_rise') throw new Error('expected yoy_rise facts')
      t.equal(facts.p_adjusted, facts.p_value, 'BH counts one p-value')
      const missingPopulation = areaSeries('BU05180004', {
        population: [256, 256, 256, 256, 256, 256, 256, null],
        outcome: twoYears(10, 30),
      })
      t.same(evaluate([missingPopulation]).at(0, [0]), [null])
    },
  )

  t.test('when a window has no people, then there is no finding', async (t) => {
    const empty = areaSeries('BU05180005', {
      population: [0, 0, 0, 0, 256, 256, 256, 256],
      outcome: twoYears(0, 30),
    })
    t.same(evaluate([empty]).at(0, [0]), [null])
  })

  t.test(
    'when fewer than eight quarters end at the evaluated one, then there is no finding',
    async (t) => {
      t.same(evaluate([risen]).at(1, [0]), [null])
      const short = areaSeries('BU05180006', {
        population: constant(256, 7),
        outcome: twoYears(10, 30).slice(1),
      })
      t.same(evaluate([short], {}, periods.slice(1)).at(0, [0]), [null])
    },
  )

  t.test(
    'when the count is at min_count, then it fires; one above, then it does not',
    async (t) => {
      t.equal(evaluate([risen], { min_count: 30 }).at(0, [0])[0]?.fires, true)
      const blocked = evaluate([risen], { min_count: 31 }).at(0, [0])[0]
      t.equal(blocked?.fires, false)
      t.equal(blocked?.value, 2, 'the finding is still reported')
    },
  )

  t.test(
    'when the rise equals min_relative_rise, then it fires; just above, then it does not',
    async (t) => {
      t.equal(evaluate([risen], { min_relative_rise: 2 }).at(0, [0])[0]?.fires, true)
      t.equal(evaluate([risen], { min_relative_rise: 2.01 }).at(0, [0])[0]?.fires, false)
    },
  )

  t.test(
    'when the adjusted p-value is just under q, then it fires; just over, then it does not',
    async (t) => {
      // adjusted p-value 0.00222143… (one area in scope)
      t.equal(evaluate([risen], { q: 0.0023 }).at(0, [0])[0]?.fires, true)
      t.equal(evaluate([risen], { q: 0.0022 }).at(0, [0])[0]?.fires, false)
    },
  )

  t.test('when the rate fell significantly, then it does not fire', async (t) => {
    const fell = areaSeries('BU05180007', { population, outcome: twoYears(30, 10) })
    const [finding] = evaluate([fell], { min_relative_rise: 0 }).at(0, [0])
    t.equal(finding?.fires, false)
    // (10/1024 − 30/1024) / (30/1024) = −2/3
    t.ok(
      withinRelative(finding!.value!, -2 / 3, agreementWithR),
      describeGap(finding!.value!, -2 / 3),
    )
  })

  t.test(
    'when the year before had no cases, then the relative change is null and it does not fire',
    async (t) => {
      // documented as "rose by at least min_relative_rise": undefined against a rate of 0
      const fromZero = areaSeries('BU05180008', { population, outcome: twoYears(0, 30) })
      const [finding] = evaluate([fromZero], { min_relative_rise: 0 }).at(0, [0])
      t.equal(finding?.fires, false)
      t.equal(finding?.value, null)
      t.ok(
        finding?.facts.kind === 'yoy_rise' && finding.facts.p_value < 1e-6,
        'the test itself is significant',
      )
    },
  )

  t.test(
    'when it fires, then the largest predictor rise is attached; otherwise none',
    async (t) => {
      const withDebt = areaSeries('BU05180009', {
        population,
        outcome: twoYears(10, 30),
        predictorCounts: { [debt.column]: [20, 20, 20, 20, 30, 30, 30, 30] },
      })
      const [finding] = evaluate([withDebt]).at(0, [0])
      const facts = finding!.facts
      t.equal(facts.predictor?.predictor, debt.term)
      t.equal(facts.predictor?.relative_change, 0.5)
      const [quiet] = evaluate([withDebt], { min_count: 100 }).at(0, [0])
      t.equal(quiet!.facts.predictor, null)
    },
  )

  t.test('when evaluated one quarter back, then the windows end at that quarter', async (t) => {
    const ninePeriods = quartersFrom('2022Q4', 9)
    const area = areaSeries('BU05180010', {
      population: constant(256, 9),
      outcome: [...twoYears(10, 30), 50],
    })
    const evaluator = evaluate([area], {}, ninePeriods)
    const [back] = evaluator.at(1, [0])
    t.equal(back?.period, '2024Q3')
    t.equal(back?.facts.kind === 'yoy_rise' && back.facts.count, 30)
    t.equal(evaluator.at(0, [0])[0]?.period, '2024Q4')
  })

  t.test(
    'when positions are asked, then their findings come back in that order, computed once',
    async (t) => {
      const evaluator = evaluate([risen, steady])
      const both = evaluator.at(0, [1, 0])
      t.equal(both[0]?.facts.kind === 'yoy_rise' && both[0].facts.count, 12)
      t.equal(both[1]?.facts.kind === 'yoy_rise' && both[1].facts.count, 30)
      // the adjustment spans every area in scope, not only the positions asked
      const [alone] = evaluator.at(0, [0])
      t.equal(alone, both[1], 'the cached finding is reused')
    },
  )
})

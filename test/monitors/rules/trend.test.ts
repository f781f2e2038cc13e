import t from 'tap'
import fc from 'fast-check'
import { seasonalMannKendall } from '../../../models/trends/seasonal-mann-kendall.js'
import type { AreaSeriesInput } from '../../../monitors/rules/alert-input.js'
import { resolveRuleParams } from '../../../monitors/rules/rule-params.js'
import { trendEvaluator } from '../../../monitors/rules/trend.js'
import { windowSums } from '../../../monitors/rules/series-window.js'
import { describeGap, withinRelative } from '../../support/tolerance.js'
import { alertInput, areaSeries, constant, quartersFrom } from './area-series.js'

/**
 * Hand-made neighbourhoods over 2019Q1–2024Q4 (24 quarters), 1000 young people a quarter. The
 * statistic is `seasonalMannKendall` (pymannkendall `seasonal_test`, matched in
 * test/models/trends/seasonal-mann-kendall.test.ts); the rule is checked against it as a second
 * route, plus its own gates. Critical value at alpha 0.05: R 4.2.2 `qnorm(0.975)` ->
 * 1.959963984540054.
 */
const periods = quartersFrom('2019Q1', 24)
const population = constant(1000, 24)
const agreementWithR = 1e-12
const propertyRuns = { seed: 20240722, numRuns: 150 }

/** Suspects rising by one a quarter from 5: a monotone trend in every season. */
const rising = Array.from({ length: 24 }, (_, index) => 5 + index)

const area = (
  outcome: readonly (number | null)[],
  populations: readonly (number | null)[] = population,
) => areaSeries('BU05180101', { population: populations, outcome })

function evaluate(
  areas: readonly AreaSeriesInput[],
  params: Record<string, unknown> = {},
  quarters: readonly string[] = periods,
) {
  return trendEvaluator(alertInput(quarters, areas), areas, resolveRuleParams('trend', params))
}

const ratesOf = (outcome: readonly (number | null)[], populations: readonly (number | null)[]) =>
  outcome.map((count, index) => {
    const people = populations[index]
    return count === null || people === null || !(people > 0) ? null : count / people
  })

t.test('trendEvaluator', async (t) => {
  t.test('when the rate rises every year, then it fires with the seasonal test z', async (t) => {
    const [finding] = evaluate([area(rising)]).at(0, [0])
    const model = seasonalMannKendall(ratesOf(rising, population), 4, 0.05)
    t.equal(finding?.fires, true)
    t.equal(finding?.value, model.z)
    t.ok(
      withinRelative(finding!.threshold!, 1.959963984540054, agreementWithR),
      describeGap(finding!.threshold!, 1.959963984540054),
    )
    // the sum of the last four quarters: 25 + 26 + 27 + 28 = 106 out of 4000
    t.same(finding?.facts, {
      kind: 'trend',
      period: '2024Q4',
      from_period: '2019Q1',
      z: model.z,
      p: model.p,
      slope_per_year: model.slope,
      alpha: 0.05,
      count: 106,
      population: 4000,
      predictor: null,
    })
  })

  t.test(
    'when alpha changes, then the critical value is the two-sided normal quantile',
    async (t) => {
      // R 4.2.2: qnorm(1 - 0.01/2) -> 2.5758293035489004
      const [finding] = evaluate([area(rising)], { alpha: 0.01 }).at(0, [0])
      t.ok(
        withinRelative(finding!.threshold!, 2.5758293035489004, agreementWithR),
        describeGap(finding!.threshold!, 2.5758293035489004),
      )
    },
  )

  t.test('when the rate is flat or falls, then there is no finding (screened out)', async (t) => {
    t.same(evaluate([area(constant(10, 24))]).at(0, [0]), [null])
    t.same(evaluate([area([...rising].reverse())]).at(0, [0]), [null])
  })

  t.test('when the last four quarters are below min_count, then there is no finding', async (t) => {
    t.ok(evaluate([area(rising)], { min_count: 106 }).at(0, [0])[0])
    t.same(evaluate([area(rising)], { min_count: 107 }).at(0, [0]), [null])
  })

  t.test('when a quarter of the last four is missing, then there is no finding', async (t) => {
    const gap = [...rising.slice(0, 22), null, rising[23]]
    t.same(evaluate([area(gap)]).at(0, [0]), [null])
  })

  t.test(
    'when earlier quarters are missing, then the rest is tested from the first present one',
    async (t) => {
      const late = [...constant<number | null>(null, 10), ...rising.slice(10)]
      const [finding] = evaluate([area(late)]).at(0, [0])
      t.equal(finding?.facts.kind === 'trend' && finding.facts.from_period, '2021Q3')
      t.equal(finding?.value, seasonalMannKendall(ratesOf(late, population)).z)
      const zeroPopulation = [...constant<number | null>(0, 4), ...constant(1000, 20)]
      const [fromPeople] = evaluate([area(rising, zeroPopulation)]).at(0, [0])
      t.equal(
        fromPeople?.facts.kind === 'trend' && fromPeople.facts.from_period,
        '2020Q1',
        'a population of 0 is missing',
      )
    },
  )

  t.test('when fewer than eight quarters are present, then there is no finding', async (t) => {
    // at alpha 0.3 (critical 1.036) two rising values in each season already fire: S = 4,
    // var S = 4, z = (4 − 1)/2 = 1.5; seven (S = 3, var 3, z = 1.15) would fire too but for the gate
    const seven = [...constant<number | null>(null, 17), ...rising.slice(17)]
    t.same(evaluate([area(seven)], { alpha: 0.3 }).at(0, [0]), [null])
    const eight = [...constant<number | null>(null, 16), ...rising.slice(16)]
    const [finding] = evaluate([area(eight)], { alpha: 0.3 }).at(0, [0])
    t.equal(finding?.fires, true, 'eight present quarters are enough')
    t.equal(finding?.value, 1.5)
  })

  t.test(
    'when fewer than eight quarters end at the evaluated one, then there is no finding',
    async (t) => {
      t.same(evaluate([area(rising)], { alpha: 0.3 }).at(17, [0]), [null])
      t.equal(evaluate([area(rising)], { alpha: 0.3 }).at(16, [0])[0]?.fires, true)
    },
  )

  t.test('when evaluated one quarter back, then later quarters are not used', async (t) => {
    const [back] = evaluate([area([...rising.slice(0, 23), 0])]).at(1, [0])
    const [now] = evaluate([area(rising.slice(0, 23))], {}, periods.slice(0, 23)).at(0, [0])
    t.same(back, now)
    t.equal(back?.period, '2024Q3')
  })

  t.test(
    'when series are random, then the verdict is the full seasonal test verdict',
    async (t) => {
      const outcomes = { fired: 0, quiet: 0 }
      // the rule screens on z computed from the test's own steps; the verdict must not change
      const series = fc.integer({ min: 8, max: 24 }).chain((length) =>
        fc.record({
          // noise 0–10 plus a drift of 0–3 a quarter, so that some series do trend
          outcome: fc
            .tuple(
              fc.constantFrom(0, 1, 2, 3),
              fc.array(fc.option(fc.integer({ min: 0, max: 10 }), { freq: 8 }), {
                minLength: length,
                maxLength: length,
              }),
            )
            .map(([drift, noise]) =>
              noise.map((value, index) => (value === null ? null : value + drift * index)),
            ),
          // about 300 people, now and then missing or 0
          populations: fc.array(
            fc.option(
              fc.oneof(
                { arbitrary: fc.integer({ min: 280, max: 320 }), weight: 12 },
                { arbitrary: fc.constant(0), weight: 1 },
              ),
              { freq: 12 },
            ),
            { minLength: length, maxLength: length },
          ),
          alpha: fc.constantFrom(0.01, 0.05, 0.1, 0.3),
          minCount: fc.integer({ min: 0, max: 40 }),
        }),
      )
      fc.assert(
        fc.property(series, ({ outcome, populations, alpha, minCount }) => {
          const length = outcome.length
          const quarters = periods.slice(0, length)
          const [finding] = evaluate(
            [area(outcome, populations)],
            { alpha, min_count: minCount },
            quarters,
          ).at(0, [0])
          const rates = ratesOf(outcome, populations)
          const recent = windowSums(outcome, populations, length - 1, 4)
          const present = rates.filter((rate) => rate !== null).length
          const eligible = recent !== null && recent.count >= minCount && present >= 8
          const expected = eligible && seasonalMannKendall(rates, 4, alpha).trend === 'increasing'
          outcomes[expected ? 'fired' : 'quiet']++
          if ((finding?.fires ?? false) !== expected) return false
          return finding === null || finding.value === seasonalMannKendall(rates, 4, alpha).z
        }),
        propertyRuns,
      )
      t.ok(
        outcomes.fired >= 10 && outcomes.quiet >= 10,
        `both verdicts met: ${JSON.stringify(outcomes)}`,
      )
    },
  )
})

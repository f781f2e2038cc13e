import t from 'tap'
import fc from 'fast-check'
import { scoreRisk, type RiskScores } from '../../../models/risk/score-risk.js'
import { describeGap, withinRelative } from '../../support/tolerance.js'

/** Row `index` of the score columns as one object (NaN read back as null, SQL NULL). */
function scoreAt(scores: RiskScores, index: number) {
  const known = (value: number) => (Number.isNaN(value) ? null : value)
  return {
    risk: scores.risk[index],
    risk_ci_low: scores.risk_ci_low[index],
    risk_ci_high: scores.risk_ci_high[index],
    expected: known(scores.expected[index]),
    observed: known(scores.observed[index]),
    standardized_ratio: known(scores.standardized_ratio[index]),
    ratio_ci_low: known(scores.ratio_ci_low[index]),
    ratio_ci_high: known(scores.ratio_ci_high[index]),
  }
}

const coefficients = [-3, 2]
const covariance = [
  [0.04, -0.01],
  [-0.01, 0.09],
]

t.test(
  'when a row is scored, then risk, its delta-method interval and the ratio follow the definitions',
  async (t) => {
    const score = scoreAt(
      scoreRisk({
        coefficients,
        covariance,
        design: [[1, 0.5]],
        population: [200],
        observed: [7],
      }),
      0,
    )
    // By hand: η = −3 + 2·0.5 = −2; var = 0.04 − 2·0.01·0.5 + 0.09·0.25 = 0.0525.
    const linear = -2
    const halfWidth = 1.959963984540054 * Math.sqrt(0.0525)
    const expit = (value: number) => 1 / (1 + Math.exp(-value))
    t.ok(withinRelative(score.risk, expit(linear), 1e-14))
    t.ok(
      withinRelative(score.risk_ci_low, expit(linear - halfWidth), 1e-12),
      describeGap(score.risk_ci_low, expit(linear - halfWidth)),
    )
    t.ok(withinRelative(score.risk_ci_high, expit(linear + halfWidth), 1e-12))
    const expected = 200 * expit(linear)
    t.ok(withinRelative(score.expected ?? NaN, expected, 1e-14))
    t.ok(withinRelative(score.standardized_ratio ?? NaN, 7 / expected, 1e-14))
    // R: poisson.test(7)$conf.int = 2.81436305151987 14.42267536170238 (divided by expected;
    // the same as poisson.test(7, T = expected)$conf.int).
    t.ok(withinRelative(score.ratio_ci_low ?? NaN, 2.81436305151987 / expected, 1e-9))
    t.ok(withinRelative(score.ratio_ci_high ?? NaN, 14.42267536170238 / expected, 1e-9))
  },
)

t.test(
  'when the target quarter has no data, then observed, expected and the ratio are null',
  async (t) => {
    const scores = scoreRisk({
      coefficients,
      covariance,
      design: Float64Array.from([1, 0.1, 1, 0.2]),
      population: [null, 100],
      observed: [null, null],
    })
    const [withoutPopulation, withoutCount] = [scoreAt(scores, 0), scoreAt(scores, 1)]
    t.equal(withoutPopulation.expected, null)
    t.equal(withoutPopulation.standardized_ratio, null)
    t.ok(withoutCount.expected !== null)
    t.equal(withoutCount.standardized_ratio, null)
    t.equal(withoutCount.ratio_ci_low, null)
    // Unknown given as NaN in Float64Array columns: the same scores.
    const fromColumns = scoreRisk({
      coefficients,
      covariance,
      design: Float64Array.from([1, 0.1, 1, 0.2]),
      population: Float64Array.from([Number.NaN, 100]),
      observed: Float64Array.from([Number.NaN, Number.NaN]),
    })
    t.same(scoreAt(fromColumns, 0), withoutPopulation)
    t.same(scoreAt(fromColumns, 1), withoutCount)
  },
)

t.test('when observed is 0, then the ratio interval starts at 0', async (t) => {
  const score = scoreAt(
    scoreRisk({
      coefficients,
      covariance,
      design: [[1, 0]],
      population: [50],
      observed: [0],
    }),
    0,
  )
  t.equal(score.ratio_ci_low, 0)
  t.equal(score.standardized_ratio, 0)
})

t.test('when any row is scored, then each interval contains its estimate', async (t) => {
  fc.assert(
    fc.property(
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.integer({ min: 1, max: 2000 }),
      fc.integer({ min: 0, max: 60 }),
      (rate, population, count) => {
        const score = scoreAt(
          scoreRisk({
            coefficients: Object.freeze([...coefficients]),
            covariance: Object.freeze(covariance.map((row) => Object.freeze([...row]))),
            design: Object.freeze([Object.freeze([1, rate])]),
            population: Object.freeze([population]),
            observed: Object.freeze([count]),
          }),
          0,
        )
        return (
          score.risk_ci_low <= score.risk &&
          score.risk <= score.risk_ci_high &&
          (score.ratio_ci_low ?? NaN) <= (score.standardized_ratio ?? NaN) &&
          (score.standardized_ratio ?? NaN) <= (score.ratio_ci_high ?? NaN)
        )
      },
    ),
    { numRuns: 200, seed: 11 },
  )
  t.pass('the property held for every generated case')
})

t.test('when lengths disagree or a count is not whole, then it throws a RangeError', async (t) => {
  t.throws(
    () =>
      scoreRisk({
        coefficients,
        covariance,
        design: [[1, 0]],
        population: [1, 2],
        observed: [1, 2],
      }),
    { name: 'RangeError', message: /^scoreRisk requires/ },
  )
  t.throws(
    () =>
      scoreRisk({ coefficients, covariance, design: [[1, 0]], population: [10], observed: [1.5] }),
    { name: 'RangeError' },
  )
})

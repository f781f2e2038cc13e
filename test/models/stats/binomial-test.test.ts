import t from 'tap'
import fc from 'fast-check'
import binomialPmf from '@stdlib/stats-base-dists-binomial-pmf'
import { binomialTest } from '../../../models/stats/binomial-test.js'
import { describeGap, withinRelative } from '../../support/tolerance.js'

/**
 * Agreement with R: R prints 17 significant digits, but R evaluates dbinom/pbinom with Loader's
 * saddle-point and TOMS 708 pbeta while we use @stdlib's log-pmf and betainc, which differ in
 * the last 2–3 digits (seen: ≤ 5e-14 relative). 1e-12 relative states that margin.
 */
const agreementWithR = 1e-12
/** Two algebraic routes to one number (a sum of pmf terms vs cdf tails): a few ulps per term. */
const twoRoutes = 1e-9
const propertyRuns = { seed: 20261125, numRuns: 300 }

t.test('binomialTest', async (t) => {
  t.test('when compared with R binom.test, then the two-sided p-values agree', async (t) => {
    const cases: {
      successes: number
      trials: number
      probability: number
      expected: number
      call: string
    }[] = [
      // R 4.2.2: binom.test(3, 10, 0.5)$p.value -> 0.34375000000000011
      {
        successes: 3,
        trials: 10,
        probability: 0.5,
        expected: 0.34375000000000011,
        call: 'binom.test(3, 10, 0.5)',
      },
      // R 4.2.2: binom.test(682, 925, 0.75)$p.value -> 0.38249155957485192 (R's own help example)
      {
        successes: 682,
        trials: 925,
        probability: 0.75,
        expected: 0.38249155957485192,
        call: 'binom.test(682, 925, 0.75)',
      },
      // R 4.2.2: binom.test(7, 20, 0.3)$p.value -> 0.62949796667667735 (x above n·p)
      {
        successes: 7,
        trials: 20,
        probability: 0.3,
        expected: 0.62949796667667735,
        call: 'binom.test(7, 20, 0.3)',
      },
      // R 4.2.2: binom.test(2, 20, 0.3)$p.value -> 0.052627948729727092 (x below n·p)
      {
        successes: 2,
        trials: 20,
        probability: 0.3,
        expected: 0.052627948729727092,
        call: 'binom.test(2, 20, 0.3)',
      },
      // R 4.2.2: binom.test(0, 10, 0.2)$p.value -> 0.22824806400000019
      {
        successes: 0,
        trials: 10,
        probability: 0.2,
        expected: 0.22824806400000019,
        call: 'binom.test(0, 10, 0.2)',
      },
      // R 4.2.2: binom.test(10, 10, 0.9)$p.value -> 0.61257951100000019
      {
        successes: 10,
        trials: 10,
        probability: 0.9,
        expected: 0.61257951100000019,
        call: 'binom.test(10, 10, 0.9)',
      },
      // R 4.2.2: binom.test(1, 100, 0.3)$p.value -> 1.9653491104799158e-14 (tiny tail keeps its precision)
      {
        successes: 1,
        trials: 100,
        probability: 0.3,
        expected: 1.9653491104799158e-14,
        call: 'binom.test(1, 100, 0.3)',
      },
      // R 4.2.2: binom.test(450, 1000, 0.5)$p.value -> 0.0017305360849763163
      {
        successes: 450,
        trials: 1000,
        probability: 0.5,
        expected: 0.0017305360849763163,
        call: 'binom.test(450, 1000, 0.5)',
      },
      // R 4.2.2: binom.test(1, 2000, 0.01)$p.value -> 6.5062617356206397e-08
      {
        successes: 1,
        trials: 2000,
        probability: 0.01,
        expected: 6.5062617356206397e-8,
        call: 'binom.test(1, 2000, 0.01)',
      },
      // R 4.2.2: binom.test(60, 2000, 0.01)$p.value -> 2.8340760303621317e-13
      {
        successes: 60,
        trials: 2000,
        probability: 0.01,
        expected: 2.8340760303621317e-13,
        call: 'binom.test(60, 2000, 0.01)',
      },
      // R 4.2.2: binom.test(5, 10, 0.5)$p.value -> 1 (x equals n·p)
      { successes: 5, trials: 10, probability: 0.5, expected: 1, call: 'binom.test(5, 10, 0.5)' },
      // R 4.2.2: binom.test(1, 3, 0.5)$p.value -> 1 (sum above 1 capped)
      { successes: 1, trials: 3, probability: 0.5, expected: 1, call: 'binom.test(1, 3, 0.5)' },
      // R 4.2.2: binom.test(2, 6, 1/3)$p.value -> 1 (n·p = 2 only up to rounding)
      { successes: 2, trials: 6, probability: 1 / 3, expected: 1, call: 'binom.test(2, 6, 1/3)' },
    ]
    for (const { successes, trials, probability, expected, call } of cases) {
      const actual = binomialTest(successes, trials, probability)
      t.ok(
        withinRelative(actual, expected, agreementWithR),
        `${call}: ${describeGap(actual, expected)}`,
      )
    }
  })

  t.test('when the null probability is 0 or 1, then the p-value is 1 or 0 as in R', async (t) => {
    // R 4.2.2: binom.test(0, 5, 0)$p.value -> TRUE (coerced to 1)
    t.equal(binomialTest(0, 5, 0), 1)
    // R 4.2.2: binom.test(1, 5, 0)$p.value -> FALSE (0)
    t.equal(binomialTest(1, 5, 0), 0)
    // R 4.2.2: binom.test(5, 5, 1)$p.value -> TRUE (1)
    t.equal(binomialTest(5, 5, 1), 1)
    // R 4.2.2: binom.test(4, 5, 1)$p.value -> FALSE (0)
    t.equal(binomialTest(4, 5, 1), 0)
  })

  t.test(
    'when an argument breaks its precondition, then a RangeError names the rule',
    async (t) => {
      t.throws(() => binomialTest(1, 0, 0.5), {
        name: 'RangeError',
        message: /^binomialTest requires trials/,
      })
      t.throws(() => binomialTest(1, 2.5, 0.5), {
        name: 'RangeError',
        message: /^binomialTest requires trials/,
      })
      t.throws(() => binomialTest(11, 10, 0.5), {
        name: 'RangeError',
        message: /^binomialTest requires successes/,
      })
      t.throws(() => binomialTest(-1, 10, 0.5), {
        name: 'RangeError',
        message: /^binomialTest requires successes/,
      })
      t.throws(() => binomialTest(1.5, 10, 0.5), {
        name: 'RangeError',
        message: /^binomialTest requires successes/,
      })
      t.throws(() => binomialTest(1, 10, 1.5), {
        name: 'RangeError',
        message: /^binomialTest requires a probability/,
      })
      t.throws(() => binomialTest(1, 10, NaN), {
        name: 'RangeError',
        message: /^binomialTest requires a probability/,
      })
    },
  )

  const testCase = fc
    .tuple(fc.integer({ min: 1, max: 300 }), fc.double({ min: 0.001, max: 0.999, noNaN: true }))
    .chain(([trials, probability]) =>
      fc.tuple(fc.integer({ min: 0, max: trials }), fc.constant(trials), fc.constant(probability)),
    )

  t.test('when any valid input is given, then the p-value lies in [0, 1]', async (t) => {
    fc.assert(
      fc.property(testCase, ([successes, trials, probability]) => {
        const pValue = binomialTest(successes, trials, probability)
        return pValue >= 0 && pValue <= 1
      }),
      propertyRuns,
    )
    t.pass('p-values within [0, 1]')
  })

  t.test(
    'when the p-value is summed directly over all outcomes at most as likely, then it agrees with the tail route',
    async (t) => {
      // the definition: Σ P(X = k) over k with P(X = k) ≤ P(X = x)·(1 + 1e-7), capped at 1
      const bySummation = (successes: number, trials: number, probability: number): number => {
        const threshold = binomialPmf(successes, trials, probability) * (1 + 1e-7)
        let total = 0
        for (let k = 0; k <= trials; k++) {
          const mass = binomialPmf(k, trials, probability)
          if (mass <= threshold) total += mass
        }
        return Math.min(1, total)
      }
      fc.assert(
        fc.property(testCase, ([successes, trials, probability]) => {
          const fast = binomialTest(successes, trials, probability)
          const direct = bySummation(successes, trials, probability)
          return withinRelative(fast, direct, twoRoutes) || Math.abs(fast - direct) < 1e-15
        }),
        propertyRuns,
      )
      t.pass('both routes agree')
    },
  )

  t.test('when successes and failures swap roles, then the p-value is unchanged', async (t) => {
    fc.assert(
      fc.property(testCase, ([successes, trials, probability]) => {
        const forward = binomialTest(successes, trials, probability)
        const mirrored = binomialTest(trials - successes, trials, 1 - probability)
        return withinRelative(forward, mirrored, twoRoutes) || Math.abs(forward - mirrored) < 1e-15
      }),
      propertyRuns,
    )
    t.pass('mirror symmetry holds')
  })
})

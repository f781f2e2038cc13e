import t from 'tap'
import fc from 'fast-check'
import { poissonRateTest } from '../../../models/stats/poisson-rate-test.js'
import { describeGap, withinRelative, withinAbsolute } from '../../support/tolerance.js'

/**
 * Agreement with R: values printed by R to 17 significant digits; our binomial tails come from
 * @stdlib (log-pmf, betainc) instead of R's dbinom/pbeta, which differ in the last 2–3 digits.
 */
const agreementWithR = 1e-12
const propertyRuns = { seed: 20261125, numRuns: 300 }

t.test('poissonRateTest', async (t) => {
  t.test('when compared with R poisson.test, then p-value and rate ratio agree', async (t) => {
    const cases: {
      counts: [number, number]
      exposures: [number, number]
      pValue: number
      rateRatio: number | null
      call: string
    }[] = [
      // R 4.2.2: poisson.test(c(30, 18), c(1200, 1100))$p.value -> 0.19303409593866816
      //          poisson.test(c(30, 18), c(1200, 1100))$estimate -> rate ratio 1.5277777777777777
      {
        counts: [30, 18],
        exposures: [1200, 1100],
        pValue: 0.19303409593866816,
        rateRatio: 1.5277777777777777,
        call: 'poisson.test(c(30, 18), c(1200, 1100))',
      },
      // R 4.2.2 (help page example): poisson.test(c(11, 6+8+7), c(800, 1083+1050+878))$p.value -> 0.079668633033329522
      //          $estimate -> rate ratio 1.9714880952380953
      {
        counts: [11, 21],
        exposures: [800, 3011],
        pValue: 0.079668633033329522,
        rateRatio: 1.9714880952380953,
        call: 'poisson.test(c(11, 6+8+7), c(800, 1083+1050+878))',
      },
      // R 4.2.2: poisson.test(c(0, 5), c(100, 100))$p.value -> 0.0625; $estimate -> 0
      {
        counts: [0, 5],
        exposures: [100, 100],
        pValue: 0.0625,
        rateRatio: 0,
        call: 'poisson.test(c(0, 5), c(100, 100))',
      },
      // R 4.2.2: poisson.test(c(5, 0), c(100, 200))$p.value -> 0.0041152263374485574; $estimate -> Inf (we give null)
      {
        counts: [5, 0],
        exposures: [100, 200],
        pValue: 0.0041152263374485574,
        rateRatio: null,
        call: 'poisson.test(c(5, 0), c(100, 200))',
      },
      // R 4.2.2: poisson.test(c(40, 40), c(1000, 1000))$p.value -> 1
      {
        counts: [40, 40],
        exposures: [1000, 1000],
        pValue: 1,
        rateRatio: 1,
        call: 'poisson.test(c(40, 40), c(1000, 1000))',
      },
      // R 4.2.2: poisson.test(c(2, 25), c(500, 520))$p.value -> 6.2077905477431907e-06; $estimate -> 0.083199999999999996
      {
        counts: [2, 25],
        exposures: [500, 520],
        pValue: 6.2077905477431907e-6,
        rateRatio: 0.083199999999999996,
        call: 'poisson.test(c(2, 25), c(500, 520))',
      },
      // R 4.2.2: poisson.test(c(300, 200), c(10000, 10000))$p.value -> 8.9400665422532774e-06; $estimate -> 1.5
      {
        counts: [300, 200],
        exposures: [10000, 10000],
        pValue: 8.9400665422532774e-6,
        rateRatio: 1.5,
        call: 'poisson.test(c(300, 200), c(10000, 10000))',
      },
    ]
    for (const { counts, exposures, pValue, rateRatio, call } of cases) {
      const result = poissonRateTest(counts, exposures)
      t.ok(
        withinRelative(result.p_value, pValue, agreementWithR),
        `${call} p: ${describeGap(result.p_value, pValue)}`,
      )
      if (rateRatio === null) {
        t.equal(result.rate_ratio, null, `${call}: an infinite ratio is null`)
      } else {
        const actual = result.rate_ratio ?? NaN
        t.ok(
          withinRelative(actual, rateRatio, agreementWithR),
          `${call} ratio: ${describeGap(actual, rateRatio)}`,
        )
      }
    }
  })

  t.test('when both counts are 0, then the p-value is 1 and the ratio is null', async (t) => {
    // R 4.2.2: poisson.test(c(0, 0), c(100, 100)) prints p-value = 1, rate ratio NaN
    t.same(poissonRateTest([0, 0], [100, 100]), { p_value: 1, rate_ratio: null })
  })

  t.test('when an input breaks its precondition, then a RangeError names the rule', async (t) => {
    t.throws(() => poissonRateTest([-1, 3], [10, 10]), {
      name: 'RangeError',
      message: /^poissonRateTest requires counts/,
    })
    t.throws(() => poissonRateTest([1.5, 3], [10, 10]), {
      name: 'RangeError',
      message: /^poissonRateTest requires counts/,
    })
    t.throws(() => poissonRateTest([1, 3], [0, 10]), {
      name: 'RangeError',
      message: /^poissonRateTest requires exposures/,
    })
    t.throws(() => poissonRateTest([1, 3], [10, Infinity]), {
      name: 'RangeError',
      message: /^poissonRateTest requires exposures/,
    })
  })

  const testCase = fc.tuple(
    fc.integer({ min: 0, max: 200 }),
    fc.integer({ min: 0, max: 200 }),
    fc.integer({ min: 1, max: 100000 }),
    fc.integer({ min: 1, max: 100000 }),
  )

  t.test('when any valid input is given, then the p-value lies in [0, 1]', async (t) => {
    fc.assert(
      fc.property(testCase, ([count1, count0, exposure1, exposure0]) => {
        const { p_value: pValue } = poissonRateTest([count1, count0], [exposure1, exposure0])
        return pValue >= 0 && pValue <= 1
      }),
      propertyRuns,
    )
    t.pass('p-values within [0, 1]')
  })

  t.test(
    'when the two groups swap places, then the p-value is unchanged and the ratio inverts',
    async (t) => {
      fc.assert(
        fc.property(testCase, ([count1, count0, exposure1, exposure0]) => {
          const forward = poissonRateTest([count1, count0], [exposure1, exposure0])
          const swapped = poissonRateTest([count0, count1], [exposure0, exposure1])
          const samePValue =
            withinRelative(swapped.p_value, forward.p_value, 1e-9) ||
            withinAbsolute(swapped.p_value, forward.p_value, 1e-15)
          const inverse =
            forward.rate_ratio === null || swapped.rate_ratio === null || forward.rate_ratio === 0
              ? true
              : withinRelative(swapped.rate_ratio, 1 / forward.rate_ratio, 1e-12)
          return samePValue && inverse
        }),
        propertyRuns,
      )
      t.pass('swap symmetry holds')
    },
  )

  t.test('when both exposures double, then nothing changes', async (t) => {
    fc.assert(
      fc.property(testCase, ([count1, count0, exposure1, exposure0]) => {
        const base = poissonRateTest([count1, count0], [exposure1, exposure0])
        const doubled = poissonRateTest([count1, count0], [2 * exposure1, 2 * exposure0])
        return base.p_value === doubled.p_value && base.rate_ratio === doubled.rate_ratio
      }),
      propertyRuns,
    )
    t.pass('scale invariance holds')
  })

  t.test('when the inputs are frozen, then the test still runs (no mutation)', async (t) => {
    const counts = Object.freeze([30, 18] as [number, number])
    const exposures = Object.freeze([1200, 1100] as [number, number])
    t.doesNotThrow(() => poissonRateTest(counts, exposures))
    t.same(counts, [30, 18])
    t.same(exposures, [1200, 1100])
  })
})

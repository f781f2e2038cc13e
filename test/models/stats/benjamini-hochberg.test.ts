import t, { type Test } from 'tap'
import fc from 'fast-check'
import { benjaminiHochberg } from '../../../models/stats/benjamini-hochberg.js'
import { describeGap, withinRelative } from '../../support/tolerance.js'

/** R prints 17 significant digits; the arithmetic (m / i · p, running minimum) is the same as R's. */
const agreementWithR = 1e-15
const propertyRuns = { seed: 20261125, numRuns: 300 }

function expectClose(
  t: Test,
  actual: (number | null)[],
  expected: (number | null)[],
  call: string,
): void {
  t.equal(actual.length, expected.length, `${call}: length`)
  expected.forEach((value, index) => {
    if (value === null) {
      t.equal(actual[index], null, `${call}[${index}] stays null`)
    } else {
      const got = actual[index] ?? NaN
      t.ok(
        withinRelative(got, value, agreementWithR),
        `${call}[${index}]: ${describeGap(got, value)}`,
      )
    }
  })
}

t.test('benjaminiHochberg', async (t) => {
  t.test('when compared with R p.adjust(p, "BH"), then every adjusted value agrees', async (t) => {
    // R 4.2.2: p.adjust(c(0.01, 0.04, 0.03, 0.005, 0.2), "BH")
    //   -> 0.025000000000000001 0.050000000000000003 0.050000000000000003 0.025000000000000001 0.200000000000000011
    expectClose(
      t,
      benjaminiHochberg([0.01, 0.04, 0.03, 0.005, 0.2]),
      [0.025, 0.05, 0.05, 0.025, 0.2],
      'five values',
    )
    // R 4.2.2: p.adjust(c(0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.324, 0.4262, 0.5719, 0.6528, 0.759, 1), "BH")
    //   -> 0.0015000000000000000 0.0030000000000000001 0.0094999999999999998 0.0356249999999999969
    //      0.0602999999999999994 0.0638571428571428623 0.0638571428571428623 0.0645000000000000018
    //      0.0765000000000000124 0.4859999999999999876 0.5811818181818181328 0.7148749999999999272
    //      0.7532307692307692593 0.8132142857142856673 1.0000000000000000000
    // (the 15 p-values of Benjamini & Hochberg 1995, section 4.2)
    expectClose(
      t,
      benjaminiHochberg([
        0.0001, 0.0004, 0.0019, 0.0095, 0.0201, 0.0278, 0.0298, 0.0344, 0.0459, 0.324, 0.4262,
        0.5719, 0.6528, 0.759, 1,
      ]),
      [
        0.0015, 0.0030000000000000001, 0.0094999999999999998, 0.0356249999999999969,
        0.0602999999999999994, 0.0638571428571428623, 0.0638571428571428623, 0.0645000000000000018,
        0.0765000000000000124, 0.4859999999999999876, 0.5811818181818181328, 0.7148749999999999272,
        0.7532307692307692593, 0.8132142857142856673, 1,
      ],
      'Benjamini-Hochberg 1995 example',
    )
    // R 4.2.2: p.adjust(c(0.05, 0.05, 0.01, 0.5), "BH")
    //   -> 0.066666666666666666 0.066666666666666666 0.040000000000000001 0.500000000000000000
    expectClose(
      t,
      benjaminiHochberg([0.05, 0.05, 0.01, 0.5]),
      [0.066666666666666666, 0.066666666666666666, 0.04, 0.5],
      'ties',
    )
    // R 4.2.2: p.adjust(c(0.9, 0.95, 0.99), "BH") -> 0.98999999999999999 0.98999999999999999 0.98999999999999999
    expectClose(t, benjaminiHochberg([0.9, 0.95, 0.99]), [0.99, 0.99, 0.99], 'running minimum')
    // R 4.2.2: p.adjust(0.3, "BH") -> 0.29999999999999999
    expectClose(t, benjaminiHochberg([0.3]), [0.3], 'single value')
  })

  t.test('when some p-values are missing, then they stay null and do not count in m', async (t) => {
    // R 4.2.2: p.adjust(c(0.01, NA, 0.04, 0.03), "BH")
    //   -> 0.029999999999999999 NA 0.040000000000000001 0.040000000000000001   (m = 3, not 4)
    expectClose(
      t,
      benjaminiHochberg([0.01, null, 0.04, 0.03]),
      [0.03, null, 0.04, 0.04],
      'with null',
    )
    expectClose(t, benjaminiHochberg([0.01, NaN, 0.04, 0.03]), [0.03, null, 0.04, 0.04], 'with NaN')
    // R 4.2.2: p.adjust(c(NA, NA), "BH") -> NA NA
    t.same(benjaminiHochberg([null, null]), [null, null])
    t.same(benjaminiHochberg([]), [])
  })

  t.test('when a p-value lies outside [0, 1], then a RangeError names it', async (t) => {
    t.throws(() => benjaminiHochberg([0.1, 1.2]), {
      name: 'RangeError',
      message: /^benjaminiHochberg requires p-values from 0 to 1 or null, got 1.2 at index 1$/,
    })
    t.throws(() => benjaminiHochberg([-0.1]), {
      name: 'RangeError',
      message: /^benjaminiHochberg requires/,
    })
  })

  const pValueLists = fc.array(
    fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null, freq: 5 }),
    { maxLength: 60 },
  )

  t.test(
    'when any p-values are adjusted, then each adjusted value is ≥ its raw value and ≤ 1',
    async (t) => {
      fc.assert(
        fc.property(pValueLists, (raw) => {
          const adjusted = benjaminiHochberg(raw)
          return raw.every((value, index) => {
            const result = adjusted[index]
            if (value === null) return result === null
            return result !== null && result >= value && result <= 1
          })
        }),
        propertyRuns,
      )
      t.pass('adjusted ≥ raw, ≤ 1')
    },
  )

  t.test(
    'when one raw p-value is smaller than another, then its adjusted value is not larger',
    async (t) => {
      fc.assert(
        fc.property(pValueLists, (raw) => {
          const adjusted = benjaminiHochberg(raw)
          for (let i = 0; i < raw.length; i++) {
            for (let j = 0; j < raw.length; j++) {
              const pi = raw[i]
              const pj = raw[j]
              if (pi === null || pj === null || pi > pj) continue
              if ((adjusted[i] as number) > (adjusted[j] as number)) return false
            }
          }
          return true
        }),
        propertyRuns,
      )
      t.pass('monotone')
    },
  )

  t.test('when the input order changes, then every area keeps its adjusted value', async (t) => {
    fc.assert(
      fc.property(
        pValueLists.chain((raw) =>
          fc.tuple(
            fc.constant(raw),
            fc.shuffledSubarray(
              raw.map((_, index) => index),
              { minLength: raw.length, maxLength: raw.length },
            ),
          ),
        ),
        ([raw, order]) => {
          const adjusted = benjaminiHochberg(raw)
          const shuffled = benjaminiHochberg(order.map((index) => raw[index]))
          return order.every((index, position) => shuffled[position] === adjusted[index])
        },
      ),
      propertyRuns,
    )
    t.pass('row-order invariant')
  })

  t.test('when computed by the textbook double loop, then the step-up result agrees', async (t) => {
    // adjusted_i = min(1, min over j with p_j ≥ p_i of m · p_j / rank_j), rank by ascending p
    const byDefinition = (raw: (number | null)[]): (number | null)[] => {
      const present = raw.filter((value): value is number => value !== null)
      const sorted = [...present].sort((a, b) => a - b)
      const testCount = sorted.length
      return raw.map((value) => {
        if (value === null) return null
        let best = Infinity
        sorted.forEach((candidate, index) => {
          if (candidate >= value) best = Math.min(best, (testCount / (index + 1)) * candidate)
        })
        return Math.min(1, best)
      })
    }
    fc.assert(
      fc.property(pValueLists, (raw) => {
        const fast = benjaminiHochberg(raw)
        const slow = byDefinition(raw)
        return fast.every((value, index) => value === slow[index])
      }),
      propertyRuns,
    )
    t.pass('two routes agree')
  })

  t.test('when the input is frozen, then it is not mutated', async (t) => {
    const raw = Object.freeze([0.04, null, 0.01, 0.03])
    t.doesNotThrow(() => benjaminiHochberg(raw))
    t.same(raw, [0.04, null, 0.01, 0.03])
  })
})

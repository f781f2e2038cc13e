import t from 'tap'
import fc from 'fast-check'
import { poissonExactInterval } from '../../../models/stats/poisson-exact-interval.js'
import { describeGap, withinRelative } from '../../support/tolerance.js'

// Expected values from R 4.2 (Debian bookworm r-base), printed with options(digits = 15):
// > poisson.test(0)$conf.int       0.00000000000000   3.68887945411394
// > poisson.test(1)$conf.int       0.0253178079842899 5.5716433909388989
// > poisson.test(7)$conf.int       2.81436305151987  14.42267536170238
// > poisson.test(100)$conf.int     81.3639912509232  121.6267937924264
// > poisson.test(1000)$conf.int    938.973018407695  1063.952136016302
// > poisson.test(5, conf.level = 0.9)$conf.int   1.97014956805953 10.51303490874153
// Printed with 15 significant digits: compared at 1e-9 relative (root finding and Stirling's
// series agree with R to ~1e-12).
const cases: [number, number, number, number][] = [
  [0, 0.95, 0, 3.68887945411394],
  [1, 0.95, 0.0253178079842899, 5.5716433909388989],
  [7, 0.95, 2.81436305151987, 14.42267536170238],
  [100, 0.95, 81.3639912509232, 121.6267937924264],
  [1000, 0.95, 938.973018407695, 1063.952136016302],
  [5, 0.9, 1.97014956805953, 10.51303490874153],
]

t.test('when compared with R poisson.test, then both limits agree', async (t) => {
  for (const [observed, level, lower, upper] of cases) {
    const interval = poissonExactInterval(observed, level)
    t.ok(
      withinRelative(interval.lower, lower, 1e-9),
      `${observed} lower: ${describeGap(interval.lower, lower)}`,
    )
    t.ok(
      withinRelative(interval.upper, upper, 1e-9),
      `${observed} upper: ${describeGap(interval.upper, upper)}`,
    )
  }
})

t.test(
  "when the count is near 1000, then the upper limit is R's, not @stdlib gamma-quantile's (regression: stdlib gives 1064.117 for qgamma(0.975, 1001))",
  async (t) => {
    t.ok(withinRelative(poissonExactInterval(1000).upper, 1063.952136016302, 1e-9))
  },
)

t.test(
  'when any count is given, then the interval contains it and widens with the level',
  async (t) => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3000 }), (observed) => {
        const narrow = poissonExactInterval(observed, 0.8)
        const wide = poissonExactInterval(observed, 0.95)
        return (
          wide.lower <= observed &&
          observed <= wide.upper &&
          wide.lower <= narrow.lower &&
          narrow.upper <= wide.upper
        )
      }),
      { numRuns: 200, seed: 1 },
    )
    t.pass('the property held for every generated case')
  },
)

t.test('when the count or level is invalid, then it throws a RangeError', async (t) => {
  t.throws(() => poissonExactInterval(-1), {
    name: 'RangeError',
    message: /^poissonExactInterval requires an observed count/,
  })
  t.throws(() => poissonExactInterval(1.5), { name: 'RangeError' })
  t.throws(() => poissonExactInterval(3, 1), {
    name: 'RangeError',
    message: /confidenceLevel between 0 and 1/,
  })
})

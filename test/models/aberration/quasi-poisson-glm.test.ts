import t, { type Test } from 'tap'
import fc from 'fast-check'
import { quasiPoissonGlm } from '../../../models/aberration/quasi-poisson-glm.js'
import { describeGap, withinRelative } from '../../support/tolerance.js'

// Reference: R 4.2.2 (stats::glm), run once with these lines; CI does not run R:
//   response <- c(13, 7, 3, 9, 10, 5, 12, 9, 6, 4, 6, 8, 9, 11, 6)
//   wtime <- c(2, 3, 4, 6, 7, 8, 10, 11, 12, 14, 15, 16, 18, 19, 20)
//   population <- c(2020, 2040, 2060, 2100, 2120, 2140, 2180, 2200, 2220, 2260, 2280, 2300,
//                   2340, 2360, 2380)
//   m <- glm(response ~ 1 + wtime + offset(log(population)), family = quasipoisson(link = "log"))
//   omega <- c(1, 1, 1, 1, 0.5, 1, 1, 2, 1, 1, 1, 1, 0.25, 1, 1)
//   mw <- update(m, weights = omega); m0 <- glm(response ~ 1, family = quasipoisson)
const response = Object.freeze([13, 7, 3, 9, 10, 5, 12, 9, 6, 4, 6, 8, 9, 11, 6])
const wtime = Object.freeze([2, 3, 4, 6, 7, 8, 10, 11, 12, 14, 15, 16, 18, 19, 20])
const population = [
  2020, 2040, 2060, 2100, 2120, 2140, 2180, 2200, 2220, 2260, 2280, 2300, 2340, 2360, 2380,
]
const ones = Object.freeze(response.map(() => 1))
const offset = Object.freeze(population.map(Math.log))
const omega = Object.freeze([1, 1, 1, 1, 0.5, 1, 1, 2, 1, 1, 1, 1, 0.25, 1, 1])
// Agreement with R: both stop IRLS at the same iteration, so only rounding separates them.
const rTolerance = 1e-9

function checkAll(t: Test, actual: readonly number[], expected: readonly number[]): void {
  expected.forEach((value, i) => {
    t.ok(withinRelative(actual[i], value, rTolerance), describeGap(actual[i], value))
  })
}

t.test('quasiPoissonGlm', async (t) => {
  t.test("when fitted with a trend and a population offset, then it equals R's glm", async (t) => {
    const model = quasiPoissonGlm({ response, design: [ones, wtime], offset })
    // Source: R coef(m), printed with digits = 15.
    checkAll(t, model.coefficients, [-5.4781808342399181, -0.0140402129083673])
    // Source: R summary(m)$dispersion.
    t.ok(
      withinRelative(model.dispersion, 1.15241630820989, rTolerance),
      describeGap(model.dispersion, 1.15241630820989),
    )
    t.equal(model.phi, model.dispersion)
    // Source: R deviance(m) and m$iter.
    t.ok(withinRelative(model.deviance, 15.7173343394695, rTolerance))
    t.equal(model.iterations, 4)
    t.equal(model.dfResidual, 13)
    t.ok(model.converged)
    // Source: R hatvalues(m).
    checkAll(
      t,
      model.hatValues,
      [
        0.2360521325649581, 0.1996650468350457, 0.1677893269382017, 0.1173828350688926,
        0.0987519448054101, 0.0844324465344639, 0.0685057865104497, 0.0667834145969627,
        0.0691422432401295, 0.085856631954436, 0.1000855565572378, 0.1181426093317707,
        0.1654758519246134, 0.1946171617917101, 0.2273170113457182,
      ],
    )
  })

  t.test("when prior weights are given, then it equals R's weighted glm", async (t) => {
    const model = quasiPoissonGlm({ response, design: [ones, wtime], offset, priorWeights: omega })
    // Source: R coef(mw), summary(mw)$dispersion, hatvalues(mw).
    checkAll(t, model.coefficients, [-5.4745113379689263, -0.0151329933889728])
    t.ok(withinRelative(model.dispersion, 1.13689358063051, rTolerance))
    checkAll(
      t,
      model.hatValues,
      [
        0.2466490522399034, 0.2071361362940816, 0.1727096905364895, 0.118839399260347,
        0.0496258572859127, 0.0844631366470373, 0.0689750490834162, 0.1362349472569434,
        0.0717431434310163, 0.0921136115752115, 0.1086904458051248, 0.1294148274761381,
        0.0457402589907868, 0.2156086925888607, 0.2520557515287307,
      ],
    )
  })

  t.test('when only an intercept is fitted, then it is the log mean and X²/df', async (t) => {
    const model = quasiPoissonGlm({ response, design: [ones] })
    // Source: R coef(m0) = 2.06263442336581 = log(mean(response)); summary(m0)$dispersion.
    t.ok(withinRelative(model.coefficients[0], 2.06263442336581, rTolerance))
    t.ok(withinRelative(model.dispersion, 1.08716942809711, rTolerance))
  })

  t.test('when the counts are underdispersed, then phi is floored at 1', async (t) => {
    const model = quasiPoissonGlm({ response: [5, 5, 5, 5, 5], design: [[1, 1, 1, 1, 1]] })
    // Source: Farrington et al. 1996 §3.2, phi = max(1, X²/df); here X² = 0.
    t.ok(model.dispersion < 1e-12)
    t.equal(model.phi, 1)
  })

  t.test('when a column repeats another, then it throws naming the rank rule', async (t) => {
    t.throws(() => quasiPoissonGlm({ response, design: [ones, ones] }), {
      name: 'RangeError',
      message: /quasiPoissonGlm requires a design of full column rank/,
    })
  })

  t.test('when the rows are permuted, then the coefficients do not change', async (t) => {
    fc.assert(
      fc.property(
        fc.shuffledSubarray([...response.keys()], { minLength: 15, maxLength: 15 }),
        (order) => {
          const model = quasiPoissonGlm({
            response: order.map((i) => response[i]),
            design: [ones, order.map((i) => wtime[i])],
            offset: order.map((i) => offset[i]),
          })
          return withinRelative(model.coefficients[1], -0.0140402129083673, 1e-8)
        },
      ),
      { numRuns: 30 },
    )
    t.pass('property held')
  })
})

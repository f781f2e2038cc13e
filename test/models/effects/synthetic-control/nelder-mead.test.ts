import t from 'tap'
import fc from 'fast-check'
import { nelderMead } from '../../../../models/effects/synthetic-control/nelder-mead.js'
import { describeGap, withinAbsolute, withinRelative } from '../../../support/tolerance.js'

const propertyRuns = { seed: 20240715, numRuns: 100 }

/** Rosenbrock's banana valley, minimum 0 at (1, 1) (Rosenbrock 1960; R's ?optim example `fr`). */
const rosenbrock = (point: Float64Array) =>
  100 * (point[1] - point[0] ** 2) ** 2 + (1 - point[0]) ** 2

/** A convex quadratic: Hessian [[2, 0.5], [0.5, 4]] (determinant 7.75 > 0), minimum 0 at (3, −1). */
const convexQuadratic = (point: Float64Array) =>
  (point[0] - 3) ** 2 + 2 * (point[1] + 1) ** 2 + 0.5 * (point[0] - 3) * (point[1] + 1)

/** Near a minimum a smooth objective is quadratic, so with the default relative tolerance 1e-8
 * on the values the point is only resolved to about √1e-8 = 1e-4; 1e-3 leaves room for that. */
const pointTolerance = 1e-3

/** The value at a minimum of 0: the stopping rule leaves the values within 1e-8 · (|lowest| +
 * 1e-8) of each other, so the best value is ~1e-16 on the quadratic; Rosenbrock's flat valley
 * floor gets 1e-6 (R's own stop there is 8.8e-8). */
const quadraticValueTolerance = 1e-8
const rosenbrockValueTolerance = 1e-6

/** R 4.2.2 prints 17 significant digits; both sides do the same float64 steps. */
const agreementWithR = 1e-12

t.test('nelderMead', async (t) => {
  t.test('when minimising a convex quadratic, then it reaches the analytic minimum', async (t) => {
    // minimum by hand: gradient (2(x−3) + 0.5(y+1), 4(y+1) + 0.5(x−3)) = 0 at (3, −1), value 0
    const result = nelderMead(convexQuadratic, [0, 0])
    t.ok(withinAbsolute(result.point[0], 3, pointTolerance), describeGap(result.point[0], 3))
    t.ok(withinAbsolute(result.point[1], -1, pointTolerance), describeGap(result.point[1], -1))
    t.ok(withinAbsolute(result.value, 0, quadraticValueTolerance), describeGap(result.value, 0))
    t.equal(result.value, convexQuadratic(result.point))
  })

  t.test(
    'when minimising Rosenbrock from the classic start (−1.2, 1), then it reaches (1, 1)',
    async (t) => {
      // R 4.2.2: optim(c(-1.2, 1), fr) stops at (1.000260, 1.000506), value 8.825241e-08, within
      // the same 1e-3 (R's nmmin differs in its contraction steps, so the paths are not identical)
      const result = nelderMead(rosenbrock, [-1.2, 1])
      t.ok(withinAbsolute(result.point[0], 1, pointTolerance), describeGap(result.point[0], 1))
      t.ok(withinAbsolute(result.point[1], 1, pointTolerance), describeGap(result.point[1], 1))
      t.ok(withinAbsolute(result.value, 0, rosenbrockValueTolerance), describeGap(result.value, 0))
      t.ok(result.evaluations <= 500, `${result.evaluations} evaluations`)
    },
  )

  t.test('when minimising cos in one dimension from 1, then it matches R optim', async (t) => {
    // R 4.2.2: optim(1, cos) (with its 1-D warning) -> $par 3.141406250000002,
    // $value -0.99999998262685086, $counts 32; the true minimum is −1 at π
    const result = nelderMead((point) => Math.cos(point[0]), [1])
    t.ok(
      withinRelative(result.point[0], 3.141406250000002, agreementWithR),
      describeGap(result.point[0], 3.141406250000002),
    )
    t.ok(
      withinRelative(result.value, -0.99999998262685086, agreementWithR),
      describeGap(result.value, -0.99999998262685086),
    )
    t.equal(result.evaluations, 32)
    t.ok(
      withinAbsolute(result.point[0], Math.PI, pointTolerance),
      describeGap(result.point[0], Math.PI),
    )
  })

  t.test(
    'when a 1-D simplex straddles the minimum symmetrically, then it stops early as R does',
    async (t) => {
      // R 4.2.2: optim(0, function(x) (x - 2)^2 + 1) -> $par 1.9000000000000006,
      // $value 1.0099999999999998, $counts 14: the two vertices 1.9 and 2.1 have equal values, so
      // the value-only stopping rule ends there (R warns that 1-D Nelder–Mead is unreliable;
      // fitSyntheticControl only searches with two or more predictors)
      const result = nelderMead((point) => (point[0] - 2) ** 2 + 1, [0])
      t.ok(
        withinRelative(result.point[0], 1.9000000000000006, agreementWithR),
        describeGap(result.point[0], 1.9000000000000006),
      )
      t.ok(
        withinRelative(result.value, 1.0099999999999998, agreementWithR),
        describeGap(result.value, 1.0099999999999998),
      )
      t.equal(result.evaluations, 14)
    },
  )

  t.test(
    'when the budget is small, then it stops within one step of it and counts every call',
    async (t) => {
      // the budget is checked before each step; one step costs at most d + 2 evaluations
      // (reflection, contraction, shrink of d vertices), so a run ends by budget + d + 1
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 120 }),
          fc.integer({ min: 1, max: 6 }),
          (maxEvaluations, dimension) => {
            let calls = 0
            const objective = (point: Float64Array) => {
              calls++
              let sum = 0
              for (let index = 0; index < point.length; index++)
                sum += (index + 1) * (point[index] - index) ** 2
              return sum
            }
            const start = Array.from({ length: dimension }, () => 5)
            const result = nelderMead(objective, start, {
              maxEvaluations,
              relativeTolerance: 1e-14,
            })
            return (
              result.evaluations === calls &&
              calls <= Math.max(maxEvaluations, dimension + 1) + dimension + 1
            )
          },
        ),
        propertyRuns,
      )
      const result = nelderMead(rosenbrock, [-1.2, 1], { maxEvaluations: 20 })
      t.ok(result.evaluations >= 20 && result.evaluations <= 23, `${result.evaluations} used`)
    },
  )

  t.test(
    'when the objective is never finite, then it runs to the budget and reports Infinity',
    async (t) => {
      // non-finite values count as +Infinity, so the simplex never converges
      const result = nelderMead(() => Number.NaN, [1, 2], { maxEvaluations: 40 })
      t.equal(result.value, Number.POSITIVE_INFINITY)
      t.ok(result.evaluations >= 40 && result.evaluations <= 43, `${result.evaluations} used`)
    },
  )

  t.test('when run twice on the same input, then the results are identical', async (t) => {
    const first = nelderMead(rosenbrock, [-1.2, 1], { maxEvaluations: 300 })
    const second = nelderMead(rosenbrock, [-1.2, 1], { maxEvaluations: 300 })
    t.same(Array.from(second.point), Array.from(first.point))
    t.equal(second.value, first.value)
    t.equal(second.evaluations, first.evaluations)
  })

  t.test(
    'when given a start and options, then neither is mutated and the point is a fresh array',
    async (t) => {
      const frozenStart = Object.freeze([-1.2, 1])
      const options = Object.freeze({ maxEvaluations: 200, relativeTolerance: 1e-6 })
      const fromFrozen = nelderMead(rosenbrock, frozenStart, options)
      t.same(frozenStart, [-1.2, 1])
      const typedStart = Float64Array.of(-1.2, 1)
      const fromTyped = nelderMead(rosenbrock, typedStart, options)
      t.same(Array.from(typedStart), [-1.2, 1])
      t.not(fromTyped.point, typedStart)
      t.same(Array.from(fromTyped.point), Array.from(fromFrozen.point))
    },
  )
})

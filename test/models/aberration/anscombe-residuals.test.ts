import t from 'tap'
import { anscombeResiduals } from '../../../models/aberration/anscombe-residuals.js'
import { quasiPoissonGlm } from '../../../models/aberration/quasi-poisson-glm.js'
import { describeGap, withinRelative } from '../../support/tolerance.js'

// The baseline of a seeded quarterly series (series A of farrington-flexible.test.ts, k = 23 in
// R's 1-based time): counts, time and youth population of the 15 baseline quarters.
const response = Object.freeze([13, 7, 3, 9, 10, 5, 12, 9, 6, 4, 6, 8, 9, 11, 6])
const wtime = Object.freeze([2, 3, 4, 6, 7, 8, 10, 11, 12, 14, 15, 16, 18, 19, 20])
const population = [
  2020, 2040, 2060, 2100, 2120, 2140, 2180, 2200, 2220, 2260, 2280, 2300, 2340, 2360, 2380,
]

t.test('anscombeResiduals', async (t) => {
  t.test("when given R's quasi-Poisson fit, then it equals surveillance's residuals", async (t) => {
    const model = quasiPoissonGlm({
      response,
      design: [response.map(() => 1), wtime],
      offset: population.map(Math.log),
    })
    const residuals = anscombeResiduals({
      response,
      fitted: Object.freeze([...model.fitted]),
      hatValues: Object.freeze([...model.hatValues]),
      phi: model.phi,
    })
    // Source: R 1.20.3, m <- glm(response ~ 1 + wtime + offset(log(population)),
    //   family = quasipoisson); surveillance:::anscombe.residuals(m, max(1, summary(m)$dispersion))
    //   printed with digits = 15 (R 4.2.2, surveillance 1.20.3; the glm call is in quasi-poisson-glm.test.ts).
    const expected = [
      1.644795622836382, -0.436911117947636, -2.121927349639131, 0.321203413023461,
      0.658301201093925, -1.10749346173334, 1.303074827832127, 0.378195803720805,
      -0.660642594793755, -1.452354698313742, -0.631273654201446, 0.115918184233438,
      0.50643917540962, 1.220279904853389, -0.604448631077614,
    ]
    expected.forEach((value, i) => {
      t.ok(withinRelative(residuals[i], value, 1e-9), describeGap(residuals[i], value))
    })
  })

  t.test('when the count equals its mean, then the residual is zero', async (t) => {
    // Source: the formula, (3/2)·(y^(2/3)·mu^(−1/6) − mu^(1/2)) = 0 at y = mu.
    const [residual] = anscombeResiduals({ response: [8], fitted: [8], hatValues: [0.2], phi: 1.3 })
    t.ok(Math.abs(residual) < 1e-12)
  })

  t.test('when lengths differ or phi is not positive, then it throws', async (t) => {
    t.throws(() => anscombeResiduals({ response: [1, 2], fitted: [1], hatValues: [0.1], phi: 1 }), {
      message: /anscombeResiduals requires response, fitted and hatValues of one length/,
    })
    t.throws(() => anscombeResiduals({ response: [1], fitted: [1], hatValues: [0.1], phi: 0 }), {
      message: /anscombeResiduals requires a positive dispersion/,
    })
  })
})

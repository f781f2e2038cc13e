import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import fc from 'fast-check'
import {
  farringtonThreshold,
  type PowerTransform,
  type ThresholdMethod,
} from '../../../models/aberration/farrington-threshold.js'
import {
  decimalsOf,
  describeGap,
  printedTolerance,
  withinAbsolute,
} from '../../support/tolerance.js'

const casesPath = fileURLToPath(
  new URL('../../../../shared/reference/aberration_cases.json', import.meta.url),
)
interface ThresholdCase {
  predFit: number
  predSeFit: number
  phi: number
  alpha: number
  y: number
  skewness_transform?: PowerTransform
  method?: ThresholdMethod
  expected: number[]
}
const cases = JSON.parse(readFileSync(casesPath, 'utf8')) as {
  farrington_unit_cases: {
    threshold_farrington_delta: { cases: ThresholdCase[] }
    threshold_noufaily: { cases: ThresholdCase[] }
  }
}
const names = ['lower', 'upper', 'prob', 'score']

t.test('farringtonThreshold', async (t) => {
  for (const published of cases.farrington_unit_cases.threshold_farrington_delta.cases) {
    t.test(
      `when the delta method uses power ${published.skewness_transform}, then it gives the published bounds`,
      async (t) => {
        const result = farringtonThreshold(
          Object.freeze({
            predFit: published.predFit,
            predSeFit: published.predSeFit,
            phi: published.phi,
            alpha: published.alpha,
            observed: published.y,
            powerTransform: published.skewness_transform,
          }),
        )
        // Source: aberration_cases.json threshold_farrington_delta (surveillance 1.26
        // tests/testthat/test-farringtonFlexible.R, predFit 5, se 0.2, phi 1, alpha 0.05, y 8);
        // tolerance half a unit in the printed last place (README: max diff < 5e-8).
        published.expected.forEach((expected, i) => {
          const tolerance = printedTolerance(decimalsOf(String(expected)))
          t.ok(
            withinAbsolute(result[i], expected, tolerance),
            `${names[i]}: ${describeGap(result[i], expected)}`,
          )
        })
      },
    )
  }

  for (const published of cases.farrington_unit_cases.threshold_noufaily.cases) {
    t.test(
      `when Noufaily's ${published.method} has phi ${published.phi}, then it gives the published bounds`,
      async (t) => {
        const result = farringtonThreshold({
          predFit: published.predFit,
          predSeFit: published.predSeFit,
          phi: published.phi,
          alpha: published.alpha,
          observed: published.y,
          method: published.method,
        })
        // Source: aberration_cases.json threshold_noufaily (surveillance 1.26
        // tests/testthat/test-farringtonFlexible.R, eta0 = log 5, se = log 2, y = 11).
        published.expected.forEach((expected, i) => {
          const tolerance = printedTolerance(decimalsOf(String(expected)))
          t.ok(
            withinAbsolute(result[i], expected, tolerance),
            `${names[i]}: ${describeGap(result[i], expected)}`,
          )
        })
      },
    )
  }

  t.test('when alpha grows, then the upper bound does not grow', async (t) => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.1, max: 200, noNaN: true }),
        fc.double({ min: 0, max: 5, noNaN: true }),
        fc.double({ min: 1, max: 6, noNaN: true }),
        fc.double({ min: 0.001, max: 0.49, noNaN: true }),
        fc.double({ min: 0.001, max: 0.49, noNaN: true }),
        fc.constantFrom<PowerTransform>('none', '1/2', '2/3'),
        (predFit, predSeFit, phi, alphaOne, alphaTwo, powerTransform) => {
          const [small, large] = alphaOne < alphaTwo ? [alphaOne, alphaTwo] : [alphaTwo, alphaOne]
          const input = { predFit, predSeFit, phi, observed: 3, powerTransform }
          const strict = farringtonThreshold({ ...input, alpha: small })
          const loose = farringtonThreshold({ ...input, alpha: large })
          return strict[1] >= loose[1] && strict[1] >= predFit
        },
      ),
    )
    t.pass('property held')
  })

  t.test('when the dispersion is not positive, then it throws', async (t) => {
    t.throws(
      () => farringtonThreshold({ predFit: 5, predSeFit: 0.2, phi: 0, alpha: 0.05, observed: 8 }),
      { name: 'RangeError', message: /farringtonThreshold requires a positive dispersion/ },
    )
    t.throws(
      () => farringtonThreshold({ predFit: 5, predSeFit: 0.2, phi: 1, alpha: 1, observed: 8 }),
      { message: /farringtonThreshold requires alpha in \(0, 1\)/ },
    )
  })
})

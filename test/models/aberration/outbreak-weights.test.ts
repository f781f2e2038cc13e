import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import fc from 'fast-check'
import { outbreakWeights } from '../../../models/aberration/outbreak-weights.js'
import {
  decimalsOf,
  describeGap,
  printedTolerance,
  withinAbsolute,
} from '../../support/tolerance.js'

const casesPath = fileURLToPath(
  new URL('../../../../shared/reference/aberration_cases.json', import.meta.url),
)
const cases = JSON.parse(readFileSync(casesPath, 'utf8')) as {
  farrington_unit_cases: {
    assign_weights: { cases: { s: number[]; weightsThreshold: number; expected: number[] }[] }
  }
}

t.test('outbreakWeights', async (t) => {
  for (const published of cases.farrington_unit_cases.assign_weights.cases) {
    t.test(
      `when s = (${published.s.join(', ')}) at threshold ${published.weightsThreshold}, then the published weights come back`,
      async (t) => {
        // Source: aberration_cases.json farrington_unit_cases.assign_weights (surveillance 1.26
        // tests/testthat/test-farringtonFlexible.R), e.g. s = (0×5, 2×5) → (1.6×5, 0.4×5).
        const weights = outbreakWeights(Object.freeze([...published.s]), published.weightsThreshold)
        published.expected.forEach((expected, i) => {
          const tolerance = printedTolerance(Math.max(1, decimalsOf(String(expected))))
          t.ok(withinAbsolute(weights[i], expected, tolerance), describeGap(weights[i], expected))
        })
      },
    )
  }

  t.test(
    'when residuals straddle 2.58, then only those strictly above are downweighted',
    async (t) => {
      // Source: R 4.2.2, surveillance 1.20.3, surveillance:::algo.farrington.assign.weights(
      //   c(-1.2, 0.3, 3.1, 0.8, 2.58, 4.4, -0.5), 2.58), printed with digits = 15:
      //   1.3577176408282579 ×2, 0.1412817524274982, 1.3577176408282579 ×2,
      //   0.0701300434312117, 1.3577176408282579.
      const weights = outbreakWeights([-1.2, 0.3, 3.1, 0.8, 2.58, 4.4, -0.5], 2.58)
      const expected = [
        1.3577176408282579, 1.3577176408282579, 0.1412817524274982, 1.3577176408282579,
        1.3577176408282579, 0.0701300434312117, 1.3577176408282579,
      ]
      expected.forEach((value, i) => {
        t.ok(
          withinAbsolute(weights[i], value, printedTolerance(15)),
          describeGap(weights[i], value),
        )
      })
    },
  )

  t.test('when any residuals are given, then the weights are positive and sum to n', async (t) => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -5, max: 8, noNaN: true }), { minLength: 1, maxLength: 30 }),
        fc.double({ min: 0.5, max: 3, noNaN: true }),
        (residuals, threshold) => {
          const frozen = Object.freeze([...residuals])
          const weights = outbreakWeights(frozen, threshold)
          const sum = weights.reduce((total, weight) => total + weight, 0)
          return (
            weights.every((weight) => weight > 0) &&
            Math.abs(sum - residuals.length) < 1e-9 * residuals.length
          )
        },
      ),
    )
    t.pass('property held')
  })

  t.test('when there are no residuals, then it throws', async (t) => {
    t.throws(() => outbreakWeights([], 2.58), {
      message: /outbreakWeights requires at least one residual/,
    })
  })
})

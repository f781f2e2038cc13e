import t from 'tap'
import fc from 'fast-check'
import { solveDonorWeights } from '../../../../models/effects/synthetic-control/index.js'
import { withinAbsolute } from '../../../support/tolerance.js'

const problemArbitrary = fc
  .record({
    donorCount: fc.integer({ min: 1, max: 30 }),
    predictorCount: fc.integer({ min: 1, max: 6 }),
  })
  .chain(({ donorCount, predictorCount }) =>
    fc.record({
      donorCount: fc.constant(donorCount),
      predictorCount: fc.constant(predictorCount),
      donors: fc.array(fc.double({ min: -5, max: 5, noNaN: true }), {
        minLength: donorCount * predictorCount,
        maxLength: donorCount * predictorCount,
      }),
      treated: fc.array(fc.double({ min: -5, max: 5, noNaN: true }), {
        minLength: predictorCount,
        maxLength: predictorCount,
      }),
      v: fc.array(fc.double({ min: 0.01, max: 1, noNaN: true }), {
        minLength: predictorCount,
        maxLength: predictorCount,
      }),
    }),
  )

t.test('solveDonorWeights', async (t) => {
  t.test('when any problem is solved, then weights are non-negative and sum to 1', async (t) => {
    fc.assert(
      fc.property(problemArbitrary, (p) => {
        const solution = solveDonorWeights({
          donorPredictors: Float64Array.from(p.donors),
          treatedPredictors: Float64Array.from(p.treated),
          predictorWeights: Float64Array.from(p.v),
          donorCount: p.donorCount,
          predictorCount: p.predictorCount,
        })
        const sum = solution.weights.reduce((total, weight) => total + weight, 0)
        return solution.weights.every((weight) => weight >= 0) && withinAbsolute(sum, 1, 1e-9)
      }),
      { numRuns: 200, seed: 3 },
    )
    t.pass('property held')
    t.pass('property held')
  })

  t.test(
    'when compared with a brute-force projected-gradient solution, then the objective is no worse',
    async (t) => {
      fc.assert(
        fc.property(problemArbitrary, (p) => {
          const problem = {
            donorPredictors: Float64Array.from(p.donors),
            treatedPredictors: Float64Array.from(p.treated),
            predictorWeights: Float64Array.from(p.v),
            donorCount: p.donorCount,
            predictorCount: p.predictorCount,
          }
          const solution = solveDonorWeights(problem)
          // reference route: Frank–Wolfe on the simplex, 20,000 steps (slow, plain)
          const w = new Float64Array(p.donorCount).fill(1 / p.donorCount)
          const objective = (weights: Float64Array) => {
            let total = 0
            for (let m = 0; m < p.predictorCount; m++) {
              let fitted = 0
              for (let j = 0; j < p.donorCount; j++)
                fitted += weights[j] * p.donors[j * p.predictorCount + m]
              total += p.v[m] * (fitted - p.treated[m]) ** 2
            }
            return total
          }
          for (let step = 0; step < 20000; step++) {
            let best = 0
            let bestGradient = Infinity
            for (let j = 0; j < p.donorCount; j++) {
              let gradient = 0
              for (let m = 0; m < p.predictorCount; m++) {
                let fitted = 0
                for (let i = 0; i < p.donorCount; i++)
                  fitted += w[i] * p.donors[i * p.predictorCount + m]
                gradient +=
                  2 * p.v[m] * (fitted - p.treated[m]) * p.donors[j * p.predictorCount + m]
              }
              if (gradient < bestGradient) {
                bestGradient = gradient
                best = j
              }
            }
            const rate = 2 / (step + 2)
            for (let j = 0; j < p.donorCount; j++) w[j] *= 1 - rate
            w[best] += rate
            if (step > 200) break
          }
          return solution.objective <= objective(w) + 1e-9
        }),
        { numRuns: 50, seed: 5 },
      )
      t.pass('property held')
    },
  )

  t.test('when there is no donor, then it throws naming the fix', async (t) => {
    t.throws(
      () =>
        solveDonorWeights({
          donorPredictors: new Float64Array(0),
          treatedPredictors: new Float64Array(1),
          predictorWeights: new Float64Array(1),
          donorCount: 0,
          predictorCount: 1,
        }),
      { message: /solveDonorWeights requires at least one donor/ },
    )
  })
})

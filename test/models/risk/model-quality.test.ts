import t from 'tap'
import * as tf from '@tensorflow/tfjs'
import { assessModelQuality } from '../../../models/risk/model-quality.js'
import { mulberry32 } from '../../../models/stats/seeded-random.js'
import { initTensorflowBackend } from '../../../services/plugins/tensorflow-backend.js'
import { withinRelative } from '../../support/tolerance.js'

t.before(async () => {
  await initTensorflowBackend('cpu')
})

function dataset(seed: number, areas: number, quarters: number) {
  const random = mulberry32(seed)
  const rows = areas * quarters
  const design = new Float64Array(rows * 2)
  const successes = new Float64Array(rows)
  const trials = new Float64Array(rows)
  const fittedRisk = new Float64Array(rows)
  const groups: string[] = []
  for (let row = 0; row < rows; row += 1) {
    const x = random()
    design[row * 2] = 1
    design[row * 2 + 1] = x
    const probability = 1 / (1 + Math.exp(-(-2 + 1.5 * x)))
    trials[row] = 50
    for (let trial = 0; trial < 50; trial += 1) if (random() < probability) successes[row] += 1
    fittedRisk[row] = probability
    groups.push(`BU${String(Math.floor(row / quarters)).padStart(8, '0')}`)
  }
  return { design, successes, trials, fittedRisk, groups, termNames: ['intercept', 'x'] }
}

t.test('when scored by hand, then the Brier score per young person matches', async (t) => {
  // Two rows: y=1 of n=2 at p=0.5 → 1·0.25 + 1·0.25; y=0 of n=3 at p=0.2 → 3·0.04. Σn = 5.
  const base = dataset(1, 10, 1)
  const quality = assessModelQuality(tf, {
    ...base,
    design: Float64Array.from([1, 0, 1, 1]),
    successes: [1, 0],
    trials: [2, 3],
    fittedRisk: [0.5, 0.2],
    groups: ['A', 'B'],
    seed: 1,
  })
  t.ok(withinRelative(quality.brier, (0.25 + 0.25 + 0.12) / 5, 1e-14))
  t.equal(quality.cv_deviance, null)
  t.match(quality.warnings[0], /at least 5 areas/)
})

t.test(
  'when calibrated, then deciles hold equal numbers of rows and add up to the totals',
  async (t) => {
    const data = dataset(2, 40, 5)
    const quality = assessModelQuality(tf, { ...data, seed: 7 })
    t.equal(quality.calibration.length, 10)
    t.ok(quality.calibration.every((decile) => decile.n_rows === 20))
    const observed = quality.calibration.reduce((sum, decile) => sum + decile.observed, 0)
    const expected = quality.calibration.reduce((sum, decile) => sum + decile.expected, 0)
    t.equal(
      observed,
      data.successes.reduce((sum, value) => sum + value, 0),
    )
    t.ok(
      withinRelative(
        expected,
        data.fittedRisk.reduce((sum, p, row) => sum + p * data.trials[row], 0),
        1e-12,
      ),
    )
    t.ok(quality.calibration[0].expected < quality.calibration[9].expected)
  },
)

t.test(
  'when cross-validated twice with one seed, then the result is the same and the seed recorded',
  async (t) => {
    const data = dataset(3, 40, 5)
    const first = assessModelQuality(tf, { ...data, seed: 123 })
    const second = assessModelQuality(tf, { ...data, seed: 123 })
    const other = assessModelQuality(tf, { ...data, seed: 124 })
    t.equal(first.cv_seed, 123)
    t.equal(first.cv_folds, 5)
    t.equal(first.cv_deviance, second.cv_deviance)
    t.not(first.cv_deviance, other.cv_deviance)
  },
)

t.test(
  'when rows are reversed, then quality is unchanged (folds follow areas, not rows)',
  async (t) => {
    const data = dataset(4, 30, 4)
    const rows = data.trials.length
    const reverse = <T>(values: ArrayLike<T>) => Array.from(values).reverse()
    const reversedDesign = new Float64Array(rows * 2)
    for (let row = 0; row < rows; row += 1)
      reversedDesign.set(data.design.subarray(row * 2, row * 2 + 2), (rows - 1 - row) * 2)
    const forward = assessModelQuality(tf, { ...data, seed: 5 })
    const backward = assessModelQuality(tf, {
      design: reversedDesign,
      termNames: data.termNames,
      successes: reverse(data.successes),
      trials: reverse(data.trials),
      fittedRisk: reverse(data.fittedRisk),
      groups: reverse(data.groups),
      seed: 5,
    })
    t.ok(withinRelative(backward.cv_deviance ?? NaN, forward.cv_deviance ?? NaN, 1e-9))
    t.same(backward.calibration, forward.calibration)
    t.ok(withinRelative(backward.brier, forward.brier, 1e-12))
  },
)

t.test('when a fitted risk is outside (0, 1), then it throws a RangeError', async (t) => {
  const data = dataset(5, 10, 1)
  data.fittedRisk[0] = 1
  t.throws(() => assessModelQuality(tf, { ...data, seed: 1 }), {
    name: 'RangeError',
    message: /^assessModelQuality requires fittedRisk/,
  })
})

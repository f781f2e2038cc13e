import t from 'tap'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import * as tf from '@tensorflow/tfjs'
import fc from 'fast-check'
import { fitBinomialGlm, NotIdentifiableError } from '../../../models/risk/binomial-glm.js'
import { plainBinomialIrls } from '../../../models/risk/plain-binomial-irls.js'
import { mulberry32 } from '../../../models/stats/seeded-random.js'
import { initTensorflowBackend } from '../../../services/plugins/tensorflow-backend.js'
import {
  decimalsOf,
  describeGap,
  printedTolerance,
  withinAbsolute,
  withinRelative,
} from '../../support/tolerance.js'

// Star98 (statsmodels/datasets/star98, Jeff Gill's data), read by path from the shared reference
// folder, never copied. Published values: statsmodels genmod/tests/results/results_glm.py::Star98
// ("hard-coded from R or Stata"), R: glm(cbind(PR50M, MATHTOT - PR50M) ~ LOWINC + ... +
// PERSPEN_PTRATIO_PCTAF, family = binomial). See ../shared/reference/README.md §5.
const referenceJson = fileURLToPath(
  new URL('../../../../shared/reference/glm_binomial_star98.json', import.meta.url),
)
const referenceCsv = fileURLToPath(
  new URL('../../../../shared/reference/glm_binomial_star98.csv', import.meta.url),
)

interface Star98Reference {
  coef_names: string[]
  params: number[]
  bse: number[]
  deviance: number
  null_deviance: number
  df_resid: number
  llf_R: number
  aic_R: number
  supplementary_self_computed_budworm: {
    data_rows: { ldose: number; sex: string; numdead: number; trials: number }[]
    params: number[]
    bse: number[]
    deviance: number
  }
}

const reference = JSON.parse(readFileSync(referenceJson, 'utf8')) as Star98Reference
const star98 = (() => {
  const lines = readFileSync(referenceCsv, 'utf8').trim().split(/\r?\n/)
  const header = lines[0].split(',').map((name) => name.replaceAll('"', ''))
  const records = lines.slice(1).map((line) => line.split(',').map(Number))
  const trialsColumn = header.indexOf('MATHTOT')
  const successesColumn = header.indexOf('PR50M')
  // The 20 covariates in file order, then the intercept (listed last, as in the JSON).
  const covariates = header.slice(2)
  return {
    termNames: [...covariates, 'const'],
    design: records.map((record) => [...covariates.map((name) => record[header.indexOf(name)]), 1]),
    successes: records.map((record) => record[successesColumn]),
    trials: records.map((record) => record[trialsColumn]),
  }
})()

/** Seeded logistic data with planted coefficients (intercept first). */
function plantedData(seed: number, rows: number, coefficients: number[]) {
  const random = mulberry32(seed)
  const design: number[][] = []
  const successes: number[] = []
  const trials: number[] = []
  for (let row = 0; row < rows; row += 1) {
    const values = [1, ...coefficients.slice(1).map(() => random() * 2 - 1)]
    const linear = values.reduce((sum, value, j) => sum + value * coefficients[j], 0)
    const probability = 1 / (1 + Math.exp(-linear))
    const n = 20 + Math.floor(random() * 80)
    let y = 0
    for (let trial = 0; trial < n; trial += 1) if (random() < probability) y += 1
    design.push(values)
    successes.push(y)
    trials.push(n)
  }
  return { design, successes, trials }
}

for (const backend of ['wasm', 'cpu'] as const) {
  t.test(`on the ${backend} backend`, async (t) => {
    const selection = await initTensorflowBackend(backend)
    t.equal(selection.backend, backend)

    t.test(
      'when Star98 is fitted, then it matches the published R/statsmodels values',
      async (t) => {
        const tensorsBefore = tf.memory().numTensors
        const fit = fitBinomialGlm(tf, star98)
        t.ok(fit.converged)
        t.same(
          fit.coefficients.map((coefficient) => coefficient.term),
          reference.coef_names,
        )
        fit.coefficients.forEach((coefficient, j) => {
          // Tolerances of the issue and README §5: 1e-6 relative (params), 1e-5 relative (bse).
          t.ok(
            withinRelative(coefficient.estimate, reference.params[j], 1e-6),
            `${coefficient.term} estimate: ${describeGap(coefficient.estimate, reference.params[j])}`,
          )
          t.ok(
            withinRelative(coefficient.std_error, reference.bse[j], 1e-5),
            `${coefficient.term} std_error: ${describeGap(coefficient.std_error, reference.bse[j])}`,
          )
          t.ok(withinRelative(coefficient.odds_ratio, Math.exp(reference.params[j]), 1e-6))
          t.ok(
            coefficient.ci_low < coefficient.estimate && coefficient.estimate < coefficient.ci_high,
          )
        })
        // Published to the printed digits: deviance 4078.76541772, null 34345.3688931, AIC 6039.22511799.
        for (const [name, actual, expected] of [
          ['deviance', fit.deviance, reference.deviance],
          ['null_deviance', fit.null_deviance, reference.null_deviance],
          ['aic', fit.aic, reference.aic_R],
        ] as const) {
          const tolerance = printedTolerance(decimalsOf(String(expected)))
          t.ok(
            withinAbsolute(actual, expected, tolerance),
            `${name}: ${describeGap(actual, expected)}`,
          )
        }
        // llf_R is printed with 11 decimals, more than the reference's own float64 IRLS reproduces
        // (-2998.6125589939766); 1e-12 relative is what float64 sums over 303 rows support.
        t.ok(
          withinRelative(fit.log_likelihood, reference.llf_R, 1e-12),
          describeGap(fit.log_likelihood, reference.llf_R),
        )
        t.equal(fit.df_residual, reference.df_resid)
        t.equal(tf.memory().numTensors, tensorsBefore, 'no tensor is left behind')
      },
    )

    t.test(
      'when Star98 is fitted by the plain float64 IRLS too, then the two routes agree to 1e-8',
      async (t) => {
        const fit = fitBinomialGlm(tf, star98)
        const plain = plainBinomialIrls({
          design: Float64Array.from(star98.design.flat()),
          columns: star98.termNames.length,
          successes: star98.successes,
          trials: star98.trials,
          epsilon: 1e-15,
          maxIterations: 50,
        })
        fit.coefficients.forEach((coefficient, j) => {
          t.ok(
            withinRelative(coefficient.estimate, plain.coefficients[j], 1e-8),
            `${coefficient.term}: ${describeGap(coefficient.estimate, plain.coefficients[j])}`,
          )
          t.ok(withinRelative(coefficient.std_error, plain.standardErrors[j], 1e-8))
        })
        t.ok(withinRelative(fit.deviance, plain.deviance, 1e-10))
      },
    )

    t.test(
      'when a start near the estimate is given, then float64 steps alone reach the same fit',
      async (t) => {
        const fit = fitBinomialGlm(tf, star98)
        // Half a standard error away from the estimate, as a fit on a cross-validation fold is.
        const start = fit.coefficients.map(
          (coefficient, j) =>
            coefficient.estimate + (j % 2 === 0 ? 0.5 : -0.5) * coefficient.std_error,
        )
        const warm = fitBinomialGlm(tf, { ...star98, start: Object.freeze(start) })
        t.ok(warm.converged)
        t.equal(warm.float32_iterations, 0)
        warm.coefficients.forEach((coefficient, j) => {
          t.ok(
            withinRelative(coefficient.estimate, reference.params[j], 1e-6),
            `${coefficient.term}: ${describeGap(coefficient.estimate, reference.params[j])}`,
          )
          t.ok(withinRelative(coefficient.estimate, fit.coefficients[j].estimate, 1e-8))
          t.ok(withinRelative(coefficient.std_error, fit.coefficients[j].std_error, 1e-8))
        })
        t.ok(withinRelative(warm.deviance, fit.deviance, 1e-10))
        t.throws(() => fitBinomialGlm(tf, { ...star98, start: [0] }), {
          name: 'RangeError',
          message: /^fitBinomialGlm requires start/,
        })
      },
    )

    t.test(
      'when a subset of rows is given, then the fit equals one on those rows alone',
      async (t) => {
        const subset = Int32Array.from({ length: 200 }, (_, index) => (index * 7) % 303)
        const fit = fitBinomialGlm(tf, { ...star98, subset })
        const copied = fitBinomialGlm(tf, {
          design: Array.from(subset, (row) => star98.design[row]),
          successes: Array.from(subset, (row) => star98.successes[row]),
          trials: Array.from(subset, (row) => star98.trials[row]),
          termNames: star98.termNames,
        })
        t.equal(fit.n_rows, 200)
        t.same(fit.coefficients, copied.coefficients)
        t.equal(fit.deviance, copied.deviance)
        t.equal(fit.log_likelihood, copied.log_likelihood)
        t.throws(() => fitBinomialGlm(tf, { ...star98, subset: Int32Array.of(303) }), {
          name: 'RangeError',
          message: /^fitBinomialGlm requires subset rows/,
        })
      },
    )

    t.test(
      'when the budworm example (self-computed only, no published values) is fitted, then it matches to 1e-6',
      async (t) => {
        const budworm = reference.supplementary_self_computed_budworm
        const fit = fitBinomialGlm(tf, {
          design: budworm.data_rows.map((row) => {
            const male = row.sex === 'M' ? 1 : 0
            return [1, male, row.ldose, male * row.ldose]
          }),
          successes: budworm.data_rows.map((row) => row.numdead),
          trials: budworm.data_rows.map((row) => row.trials),
          termNames: ['intercept', 'sexM', 'ldose', 'sexM:ldose'],
        })
        fit.coefficients.forEach((coefficient, j) => {
          t.ok(withinRelative(coefficient.estimate, budworm.params[j], 1e-6), coefficient.term)
          t.ok(withinRelative(coefficient.std_error, budworm.bse[j], 1e-6), coefficient.term)
        })
        t.ok(withinRelative(fit.deviance, budworm.deviance, 1e-6))
      },
    )

    t.test(
      'when data are drawn with known coefficients, then each is recovered within 3 standard errors',
      async (t) => {
        const planted = [-1.2, 0.8, -0.5, 0]
        const data = plantedData(20240607, 2000, planted)
        const fit = fitBinomialGlm(tf, {
          ...data,
          termNames: ['intercept', 'a', 'b', 'null_effect'],
        })
        fit.coefficients.forEach((coefficient, j) => {
          const gap = Math.abs(coefficient.estimate - planted[j]) / coefficient.std_error
          t.ok(gap < 3, `${coefficient.term}: ${gap.toFixed(2)} standard errors from ${planted[j]}`)
        })
      },
    )

    t.test('when rows are permuted or inputs frozen, then the fit is unchanged', async (t) => {
      const data = plantedData(7, 300, [-0.4, 1.1, -0.7])
      const termNames = ['intercept', 'x1', 'x2']
      const base = fitBinomialGlm(tf, { ...data, termNames })
      fc.assert(
        fc.property(fc.array(fc.nat(), { minLength: 300, maxLength: 300 }), (keys) => {
          const order = keys
            .map((key, index) => [key, index])
            .sort((a, b) => a[0] - b[0] || a[1] - b[1])
          const permuted = {
            design: Object.freeze(order.map(([, index]) => Object.freeze([...data.design[index]]))),
            successes: Object.freeze(order.map(([, index]) => data.successes[index])),
            trials: Object.freeze(order.map(([, index]) => data.trials[index])),
            termNames: Object.freeze([...termNames]),
          }
          const fit = fitBinomialGlm(tf, permuted)
          return fit.coefficients.every(
            (coefficient, j) =>
              withinRelative(coefficient.estimate, base.coefficients[j].estimate, 1e-8) &&
              coefficient.p_value >= 0 &&
              coefficient.p_value <= 1,
          )
        }),
        { numRuns: 8, seed: 42 },
      )
      t.pass('the property held for every generated case')
    })

    t.test('when the data cannot identify the model, then it refuses with the cause', async (t) => {
      const names = ['intercept', 'x']
      const cases: {
        reason: string
        input: Parameters<typeof fitBinomialGlm>[1]
        message: RegExp
      }[] = [
        {
          reason: 'no_rows',
          input: { design: [], successes: [], trials: [], termNames: names },
          message: /without rows/,
        },
        {
          reason: 'no_events',
          input: {
            design: [
              [1, 0],
              [1, 1],
              [1, 2],
            ],
            successes: [0, 0, 0],
            trials: [5, 5, 5],
            termNames: names,
          },
          message: /without events/,
        },
        {
          reason: 'all_events',
          input: {
            design: [
              [1, 0],
              [1, 1],
              [1, 2],
            ],
            successes: [5, 4, 3],
            trials: [5, 4, 3],
            termNames: names,
          },
          message: /every trial is a success/,
        },
        {
          reason: 'constant_predictor',
          input: {
            design: [
              [1, 3],
              [1, 3],
              [1, 3],
            ],
            successes: [1, 2, 3],
            trials: [5, 5, 5],
            termNames: names,
          },
          message: /cannot estimate x: the predictor is constant/,
        },
        {
          reason: 'collinear',
          input: {
            design: [
              [1, 0, 0],
              [1, 1, 2],
              [1, 2, 4],
              [1, 3, 6],
            ],
            successes: [1, 2, 3, 2],
            trials: [5, 5, 5, 5],
            termNames: ['intercept', 'x', 'twice_x'],
          },
          message: /cannot estimate twice_x: it is a linear combination of intercept, x/,
        },
        {
          reason: 'separation',
          input: {
            design: [
              [1, 0],
              [1, 1],
              [1, 2],
              [1, 3],
            ],
            successes: [0, 0, 5, 5],
            trials: [5, 5, 5, 5],
            termNames: names,
          },
          message: /cannot estimate x: the data are separated/,
        },
      ]
      for (const { reason, input, message } of cases) {
        try {
          fitBinomialGlm(tf, input)
          t.fail(`${reason}: no error`)
        } catch (error) {
          t.ok(error instanceof NotIdentifiableError, `${reason}: a NotIdentifiableError`)
          t.equal((error as NotIdentifiableError).reason, reason)
          t.match((error as Error).message, message)
        }
      }
      t.equal(tf.memory().numTensors, 0, 'refusals leave no tensor behind')
    })

    t.test('when input is malformed, then it throws a RangeError naming the rule', async (t) => {
      t.throws(
        () =>
          fitBinomialGlm(tf, {
            design: [
              [1, 0],
              [1, 1],
            ],
            successes: [0, 1],
            trials: [0, 2],
            termNames: ['intercept', 'x'],
          }),
        { name: 'RangeError', message: /^fitBinomialGlm requires trials of 1 or more/ },
      )
      t.throws(
        () =>
          fitBinomialGlm(tf, {
            design: [
              [1, 0],
              [1, 1],
            ],
            successes: [3, 1],
            trials: [2, 2],
            termNames: ['intercept', 'x'],
          }),
        { name: 'RangeError', message: /^fitBinomialGlm requires successes between 0 and trials/ },
      )
      t.throws(
        () =>
          fitBinomialGlm(tf, {
            design: [[1, 0], [1]],
            successes: [1, 1],
            trials: [2, 2],
            termNames: ['intercept', 'x'],
          }),
        { name: 'RangeError', message: /^fitBinomialGlm requires design rows of termNames.length/ },
      )
      t.throws(
        () =>
          fitBinomialGlm(tf, {
            design: [
              [1, NaN],
              [1, 1],
            ],
            successes: [1, 1],
            trials: [2, 2],
            termNames: ['intercept', 'x'],
          }),
        { name: 'RangeError', message: /^fitBinomialGlm requires finite design values/ },
      )
    })
  })
}

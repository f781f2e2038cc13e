import { CholeskyDecomposition, Matrix } from 'ml-matrix'

export interface PlainBinomialIrlsInput {
  /** Row-major design, rows × columns, no standardisation. */
  design: Float64Array
  columns: number
  successes: Float64Array | readonly number[]
  trials: Float64Array | readonly number[]
  /** Convergence on the relative deviance change, as R's `glm.control(epsilon)`; default 1e-8. */
  epsilon?: number
  /** Default 25, as R's `glm.control(maxit)`. */
  maxIterations?: number
}

export interface PlainBinomialIrlsFit {
  coefficients: number[]
  standardErrors: number[]
  deviance: number
  iterations: number
  converged: boolean
}

/**
 * Plain float64 iteratively reweighted least squares for the binomial GLM with logit link, the
 * textbook algorithm of R's `glm.fit` written out without refinements: start at
 * μ = (y + 0.5)/(n + 1); per iteration one pass over the rows computes the working weights
 * w = n·μ·(1−μ) and working response z = η + (y − n·μ)/w, accumulates X'WX and X'Wz, and solves
 * X'WX·β = X'Wz by Cholesky (`ml-matrix`); stops when |deviance − previous| / (|deviance| + 0.1)
 * < epsilon (R's rule). Standard errors from the last X'WX.
 *
 * It is the reference route: `fitBinomialGlm` (TensorFlow.js float32, finished in float64) must
 * agree with it, and the `model_fit_ms` benchmark's baseline (DESIGN.md §4). No standardisation,
 * no step halving, no identifiability checks: give it data that has an estimate.
 *
 * @param input design (rows × columns, row-major), successes, trials, epsilon, maxIterations
 * @returns coefficients and standard errors in column order, deviance, iterations, converged
 * @throws RangeError when X'WX is not positive definite
 */
export function plainBinomialIrls(input: PlainBinomialIrlsInput): PlainBinomialIrlsFit {
  const { design, columns, successes, trials } = input
  const epsilon = input.epsilon ?? 1e-8
  const maxIterations = input.maxIterations ?? 25
  const rows = trials.length
  const linear = new Float64Array(rows)
  for (let row = 0; row < rows; row += 1) {
    const start = (successes[row] + 0.5) / (trials[row] + 1)
    linear[row] = Math.log(start / (1 - start))
  }
  let coefficients: number[] = new Array<number>(columns).fill(0)
  let information = new Matrix(columns, columns)
  let previousDeviance = Infinity
  let deviance = Infinity
  let iterations = 0
  let converged = false
  while (iterations < maxIterations) {
    iterations += 1
    const crossProducts = new Float64Array(columns * columns)
    const rightHandSide = new Float64Array(columns)
    for (let row = 0; row < rows; row += 1) {
      const probability = 1 / (1 + Math.exp(-linear[row]))
      const weight = trials[row] * probability * (1 - probability)
      const working = linear[row] + (successes[row] - trials[row] * probability) / weight
      const offset = row * columns
      for (let j = 0; j < columns; j += 1) {
        const weighted = design[offset + j] * weight
        rightHandSide[j] += weighted * working
        for (let k = j; k < columns; k += 1)
          crossProducts[j * columns + k] += weighted * design[offset + k]
      }
    }
    information = new Matrix(columns, columns)
    for (let j = 0; j < columns; j += 1) {
      for (let k = j; k < columns; k += 1) {
        information.set(j, k, crossProducts[j * columns + k])
        information.set(k, j, crossProducts[j * columns + k])
      }
    }
    const cholesky = new CholeskyDecomposition(information)
    if (!cholesky.isPositiveDefinite()) {
      throw new RangeError("plainBinomialIrls requires a positive definite X'WX")
    }
    coefficients = cholesky.solve(Matrix.columnVector(Array.from(rightHandSide))).getColumn(0)
    deviance = 0
    for (let row = 0; row < rows; row += 1) {
      let value = 0
      const offset = row * columns
      for (let j = 0; j < columns; j += 1) value += design[offset + j] * coefficients[j]
      linear[row] = value
      const probability = 1 / (1 + Math.exp(-value))
      const y = successes[row]
      const n = trials[row]
      if (y > 0) deviance += 2 * y * Math.log(y / (n * probability))
      if (y < n) deviance += 2 * (n - y) * Math.log((n - y) / (n * (1 - probability)))
    }
    if (Math.abs(deviance - previousDeviance) / (Math.abs(deviance) + 0.1) < epsilon) {
      converged = true
      break
    }
    previousDeviance = deviance
  }
  const inverse = new CholeskyDecomposition(information).solve(Matrix.eye(columns))
  return {
    coefficients,
    standardErrors: coefficients.map((_, j) => Math.sqrt(inverse.get(j, j))),
    deviance,
    iterations,
    converged,
  }
}

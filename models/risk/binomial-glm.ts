import type * as TensorflowNamespace from '@tensorflow/tfjs'
import normalCdf from '@stdlib/stats-base-dists-normal-cdf'
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile'
import { CholeskyDecomposition, Matrix } from 'ml-matrix'
// ln(k!) for the log-likelihood, AIC and deviance
import factorialln from '@stdlib/math-base-special-factorialln'

/** The `@tensorflow/tfjs` namespace, passed in so `models/` never chooses a backend itself. */
export type Tensorflow = typeof TensorflowNamespace

/** A numeric column: one value per row. */
export type NumericColumn = Float64Array | readonly number[]

export interface BinomialGlmInput {
  /**
   * The design matrix, rows × p: either a row-major `Float64Array` of length rows·p or one array
   * of p numbers per row. A column of all ones is the intercept.
   */
  design: Float64Array | readonly (readonly number[])[]
  /** Successes per row (whole numbers, 0 ≤ successes ≤ trials). */
  successes: NumericColumn
  /** Trials per row (whole numbers, 1 or more). */
  trials: NumericColumn
  /** One name per design column, used in the result and in error messages. */
  termNames: readonly string[]
  /** Newton steps allowed in each phase (float32, then float64 refinement); default 25. */
  maxIterations?: number
  /**
   * Accuracy asked of the coefficients, in standard errors; default 1e-10. The float64 phase
   * stops when its Newton step is at most √tolerance standard errors: Newton converges
   * quadratically, so the error left after that step is of the order of `tolerance`.
   */
  tolerance?: number
  /**
   * Coefficients on the original scale to start from, one per term, e.g. the estimates of a fit
   * on a superset of the rows (cross-validation). Given a start that close, the float32 phase is
   * skipped: float64 Newton steps begin there. Default: the intercept-only estimate, float32 first.
   */
  start?: readonly number[]
  /**
   * Fit on these rows only (indices into design, successes and trials, as R `glm`'s `subset`),
   * e.g. a cross-validation training set, read in place rather than copied; default: every row.
   */
  subset?: Int32Array
}

export interface BinomialGlmCoefficient {
  term: string
  /** Log odds ratio per unit of the predictor (original scale). */
  estimate: number
  /** Square root of the diagonal of the inverse Fisher information. */
  std_error: number
  /** estimate / std_error. */
  z: number
  /** Two-sided Wald p-value, 2·Φ(−|z|). */
  p_value: number
  /** exp(estimate). */
  odds_ratio: number
  /** Wald 95% interval of the estimate, estimate ∓ 1.959964·std_error (log-odds scale). */
  ci_low: number
  ci_high: number
}

export interface BinomialGlmFit {
  coefficients: BinomialGlmCoefficient[]
  /** Newton steps taken in total (float32 phase plus float64 refinement). */
  iterations: number
  /** Steps of the float32 TensorFlow.js phase. */
  float32_iterations: number
  /** Float64 refinement passes over the rows. */
  refinement_steps: number
  /** True when the float64 Newton step met the tolerance. */
  converged: boolean
  /** Residual deviance 2·(saturated − model log-likelihood). */
  deviance: number
  /** Deviance of the intercept-only model (of η = 0 when the design has no intercept). */
  null_deviance: number
  /** −2·log_likelihood + 2·p, as R's `AIC(glm(...))`. */
  aic: number
  /** Binomial log-likelihood including the log binomial coefficients, as R's `logLik`. */
  log_likelihood: number
  n_rows: number
  df_residual: number
  df_null: number
  /** Inverse Fisher information on the original scale, p × p, in `termNames` order. */
  covariance: number[][]
}

/** Why the data cannot identify the model. */
export type NotIdentifiableReason =
  'no_rows' | 'no_events' | 'all_events' | 'constant_predictor' | 'collinear' | 'separation'

/**
 * The data cannot identify the model: no maximum likelihood estimate exists or it is not unique.
 * `reason` says why; `term` names the predictor at fault when there is one.
 */
export class NotIdentifiableError extends Error {
  readonly reason: NotIdentifiableReason
  readonly term: string | undefined

  constructor(reason: NotIdentifiableReason, message: string, term?: string) {
    super(message)
    this.name = 'NotIdentifiableError'
    this.reason = reason
    this.term = term
  }
}

const functionName = 'fitBinomialGlm'
/** Above this many float32 cells the p(p+1)/2 column products are not precomputed. */
const maxProductCells = 40_000_000
/** The float32 phase hands over once its Newton step is this many standard errors or less. */
const float32HandoverStep = 1e-2
/** Residual variance share below which a standardized column counts as a combination of earlier ones. */
const collinearityThreshold = 1e-9
/** |linear predictor| beyond which a fitted probability is numerically 0 or 1 (p < 3.1e-7). */
const separationLinearPredictor = 15
const normalQuantile975 = normalQuantile(0.975, 0, 1)

/**
 * ln(k!) from @stdlib's `factorialln`, remembered per k for one data set: a national fit asks it
 * three times for each of 720,000 rows but for a few thousand distinct counts, and the lookups
 * keep the model-fit bench where it was with a hand-written Stirling series.
 */
function logFactorials(): (k: number) => number {
  const limit = 1 << 16
  const known = new Float64Array(limit).fill(Number.NaN)
  return (k) => {
    if (k >= limit) return factorialln(k)
    let value = known[k]
    if (Number.isNaN(value)) {
      value = factorialln(k)
      known[k] = value
    }
    return value
  }
}

// ---------------------------------------------------------------------------------------------
// Validation and standardisation
// ---------------------------------------------------------------------------------------------

interface PreparedData {
  /** Rows fitted: the subset's length, else every row. */
  rows: number
  columns: number
  /** Row-major design as given. */
  design: Float64Array
  /** The fitted rows' indices; undefined: rows 0 … rows − 1. */
  subset: Int32Array | undefined
  /**
   * Row-major standardized design, rows × columns, when every row is fitted; a subset's rows are
   * standardized on the fly instead (`standardizedRow`), so a fold costs no copy of the data.
   */
  standardized: Float64Array | undefined
  successes: Float64Array
  trials: Float64Array
  interceptColumn: number
  means: Float64Array
  scales: Float64Array
  totalSuccesses: number
  totalTrials: number
  /** Σ log C(n, y) over the rows. */
  logBinomialCoefficients: number
  /** Σ y·log(y/n) + (n−y)·log(1−y/n): the saturated model's log-likelihood minus the above. */
  saturatedKernel: number
}

function readColumn(values: NumericColumn, name: string): Float64Array {
  if (!(values instanceof Float64Array) && !Array.isArray(values)) {
    throw new TypeError(`${functionName} requires ${name} as an array of numbers`)
  }
  return values instanceof Float64Array ? values : Float64Array.from(values)
}

function readDesign(
  design: BinomialGlmInput['design'],
  rows: number,
  columns: number,
): Float64Array {
  if (design instanceof Float64Array) {
    if (design.length !== rows * columns) {
      throw new RangeError(
        `${functionName} requires a design of rows × termNames.length values (${rows} × ${columns}), got ${design.length}`,
      )
    }
    return design
  }
  if (!Array.isArray(design)) {
    throw new TypeError(`${functionName} requires design as a Float64Array or an array of rows`)
  }
  if (design.length !== rows) {
    throw new RangeError(
      `${functionName} requires one design row per trials value (${rows}), got ${design.length}`,
    )
  }
  const flat = new Float64Array(rows * columns)
  for (let row = 0; row < rows; row += 1) {
    const values = design[row]
    if (!Array.isArray(values) || values.length !== columns) {
      throw new RangeError(
        `${functionName} requires design rows of termNames.length (${columns}) values, row ${row + 1} differs`,
      )
    }
    for (let column = 0; column < columns; column += 1)
      flat[row * columns + column] = values[column]
  }
  return flat
}

function prepare(input: BinomialGlmInput): PreparedData {
  const termNames = input.termNames
  if (!Array.isArray(termNames) || termNames.length === 0) {
    throw new TypeError(`${functionName} requires termNames with one name per design column`)
  }
  const columns = termNames.length
  const successes = readColumn(input.successes, 'successes')
  const trials = readColumn(input.trials, 'trials')
  const length = trials.length
  if (successes.length !== length) {
    throw new RangeError(
      `${functionName} requires as many successes as trials, got ${successes.length} and ${length}`,
    )
  }
  const design = readDesign(input.design, length, columns)
  const subset = input.subset
  if (subset !== undefined) {
    if (!(subset instanceof Int32Array)) {
      throw new TypeError(`${functionName} requires subset as an Int32Array of row indices`)
    }
    for (let index = 0; index < subset.length; index += 1) {
      if (!(subset[index] >= 0 && subset[index] < length)) {
        throw new RangeError(
          `${functionName} requires subset rows between 0 and ${length - 1}, got ${subset[index]}`,
        )
      }
    }
  }
  const rows = subset === undefined ? length : subset.length
  if (rows === 0) {
    throw new NotIdentifiableError('no_rows', `${functionName} cannot fit a model without rows`)
  }

  // Pass 1: validate, totals, saturated log-likelihood, column means and extremes.
  const sums = new Float64Array(columns)
  const minima = new Float64Array(columns).fill(Infinity)
  const maxima = new Float64Array(columns).fill(-Infinity)
  let totalSuccesses = 0
  let totalTrials = 0
  let logBinomialCoefficients = 0
  let saturatedKernel = 0
  const logFactorial = logFactorials()
  for (let index = 0; index < rows; index += 1) {
    const row = subset === undefined ? index : subset[index]
    const n = trials[row]
    const y = successes[row]
    if (!Number.isInteger(n) || n < 1) {
      throw new RangeError(
        `${functionName} requires trials of 1 or more (whole numbers), row ${row + 1} has ${n}`,
      )
    }
    if (!Number.isInteger(y) || y < 0 || y > n) {
      throw new RangeError(
        `${functionName} requires successes between 0 and trials (whole numbers), row ${row + 1} has ${y} of ${n}`,
      )
    }
    totalSuccesses += y
    totalTrials += n
    logBinomialCoefficients += logFactorial(n) - logFactorial(y) - logFactorial(n - y)
    if (y > 0) saturatedKernel += y * Math.log(y / n)
    if (y < n) saturatedKernel += (n - y) * Math.log((n - y) / n)
    const offset = row * columns
    for (let column = 0; column < columns; column += 1) {
      const value = design[offset + column]
      if (!Number.isFinite(value)) {
        throw new RangeError(
          `${functionName} requires finite design values, row ${row + 1} ${termNames[column]} is ${value}`,
        )
      }
      sums[column] += value
      if (value < minima[column]) minima[column] = value
      if (value > maxima[column]) maxima[column] = value
    }
  }

  if (totalSuccesses === 0) {
    throw new NotIdentifiableError(
      'no_events',
      `${functionName} cannot fit a model without events: all ${rows} rows have 0 successes`,
    )
  }
  if (totalSuccesses === totalTrials) {
    throw new NotIdentifiableError(
      'all_events',
      `${functionName} cannot fit a model where every trial is a success (${rows} rows)`,
    )
  }

  let interceptColumn = -1
  for (let column = 0; column < columns; column += 1) {
    if (minima[column] !== maxima[column]) continue
    if (minima[column] === 1 && interceptColumn === -1) {
      interceptColumn = column
      continue
    }
    throw new NotIdentifiableError(
      'constant_predictor',
      `${functionName} cannot estimate ${termNames[column]}: the predictor is constant (${minima[column]}) in every row`,
      termNames[column],
    )
  }

  // Centre (when there is an intercept to absorb it) and scale every column but the intercept.
  const means = new Float64Array(columns)
  const scales = new Float64Array(columns).fill(1)
  const centre = interceptColumn !== -1
  for (let column = 0; column < columns; column += 1) {
    if (column === interceptColumn) continue
    if (centre) means[column] = sums[column] / rows
  }
  const squares = new Float64Array(columns)
  for (let index = 0; index < rows; index += 1) {
    const offset = (subset === undefined ? index : subset[index]) * columns
    for (let column = 0; column < columns; column += 1) {
      const deviation = design[offset + column] - means[column]
      squares[column] += deviation * deviation
    }
  }
  for (let column = 0; column < columns; column += 1) {
    if (column !== interceptColumn) scales[column] = Math.sqrt(squares[column] / rows)
  }
  let standardized: Float64Array | undefined
  if (subset === undefined) {
    standardized = new Float64Array(rows * columns)
    for (let row = 0; row < rows; row += 1) {
      const offset = row * columns
      for (let column = 0; column < columns; column += 1) {
        standardized[offset + column] = (design[offset + column] - means[column]) / scales[column]
      }
    }
  }
  return {
    rows,
    columns,
    design,
    subset,
    standardized,
    successes,
    trials,
    interceptColumn,
    means,
    scales,
    totalSuccesses,
    totalTrials,
    logBinomialCoefficients,
    saturatedKernel,
  }
}

/** Writes the standardized values of fitted row `index` (the subset's index-th row) into `into`. */
function standardizedRow(data: PreparedData, index: number, into: Float64Array): void {
  const { columns, standardized } = data
  if (standardized !== undefined) {
    for (let column = 0; column < columns; column += 1)
      into[column] = standardized[index * columns + column]
    return
  }
  const { design, subset, means, scales } = data
  const offset = (subset === undefined ? index : subset[index]) * columns
  for (let column = 0; column < columns; column += 1)
    into[column] = (design[offset + column] - means[column]) / scales[column]
}

/** The fitted rows' successes and trials, in fitted order (copies only for a subset). */
function fittedCounts(data: PreparedData): { successes: Float64Array; trials: Float64Array } {
  const { subset } = data
  if (subset === undefined) return { successes: data.successes, trials: data.trials }
  return {
    successes: Float64Array.from(subset, (row) => data.successes[row]),
    trials: Float64Array.from(subset, (row) => data.trials[row]),
  }
}

/**
 * Refuses a design whose columns are linearly dependent: a Cholesky factorisation of the
 * standardized cross-product matrix Z'Z/rows, column by column; the squared diagonal of the
 * factor is the share of a column's variance not explained by the columns before it.
 */
function checkCollinearity(data: PreparedData, termNames: readonly string[]): void {
  const { rows, columns } = data
  const crossProducts = new Float64Array(columns * columns)
  const values = new Float64Array(columns)
  for (let row = 0; row < rows; row += 1) {
    standardizedRow(data, row, values)
    for (let j = 0; j < columns; j += 1) {
      const value = values[j]
      for (let k = j; k < columns; k += 1) crossProducts[j * columns + k] += value * values[k]
    }
  }
  const factor = new Float64Array(columns * columns)
  for (let j = 0; j < columns; j += 1) {
    const own = crossProducts[j * columns + j] / rows
    let residual = own
    for (let k = 0; k < j; k += 1) residual -= factor[j * columns + k] ** 2
    if (!(residual > collinearityThreshold * own)) {
      const earlier = termNames.slice(0, j).join(', ')
      throw new NotIdentifiableError(
        'collinear',
        `${functionName} cannot estimate ${termNames[j]}: it is a linear combination of ${earlier || 'nothing'} (collinear predictors${rows <= j ? `, only ${rows} rows for ${columns} terms` : ''})`,
        termNames[j],
      )
    }
    const diagonal = Math.sqrt(residual)
    factor[j * columns + j] = diagonal
    for (let i = j + 1; i < columns; i += 1) {
      let value = crossProducts[j * columns + i] / rows
      for (let k = 0; k < j; k += 1) value -= factor[i * columns + k] * factor[j * columns + k]
      factor[i * columns + j] = value / diagonal
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Newton steps
// ---------------------------------------------------------------------------------------------

interface NewtonStep {
  step: Float64Array
  /** Standard errors implied by this information matrix. */
  standardErrors: Float64Array
  inverse: Matrix
}

/** Solves information · step = score in float64 by Cholesky; undefined when not positive definite. */
function newtonStep(
  information: Float64Array,
  score: Float64Array,
  columns: number,
): NewtonStep | undefined {
  const matrix = new Matrix(columns, columns)
  for (let j = 0; j < columns; j += 1) {
    for (let k = j; k < columns; k += 1) {
      const value = information[j * columns + k]
      matrix.set(j, k, value)
      matrix.set(k, j, value)
    }
  }
  for (let j = 0; j < columns; j += 1) if (!Number.isFinite(score[j])) return undefined
  if (!matrix.to1DArray().every(Number.isFinite)) return undefined
  const cholesky = new CholeskyDecomposition(matrix)
  if (!cholesky.isPositiveDefinite()) return undefined
  const inverse = cholesky.solve(Matrix.eye(columns))
  const solution = cholesky.solve(Matrix.columnVector(Array.from(score)))
  const step = new Float64Array(columns)
  const standardErrors = new Float64Array(columns)
  for (let j = 0; j < columns; j += 1) {
    step[j] = solution.get(j, 0)
    standardErrors[j] = Math.sqrt(inverse.get(j, j))
    if (!Number.isFinite(step[j]) || !(standardErrors[j] > 0)) return undefined
  }
  return { step, standardErrors, inverse }
}

function largestStepInStandardErrors(newton: NewtonStep): number {
  let largest = 0
  for (let j = 0; j < newton.step.length; j += 1) {
    largest = Math.max(largest, Math.abs(newton.step[j]) / newton.standardErrors[j])
  }
  return largest
}

/**
 * The float32 phase on TensorFlow.js: per step one pass of tensor operations over all rows gives
 * the score X'(y − n·μ) and the information X'WX (W = n·μ·(1−μ), μ = sigmoid(Xβ)); the p × p
 * solve is float64. Stops when the step is within float32's reach (`float32HandoverStep`).
 */
function float32Phase(
  tf: Tensorflow,
  data: PreparedData,
  start: Float64Array,
  maxIterations: number,
): { coefficients: Float64Array; iterations: number } {
  const { rows, columns } = data
  const productCount = (columns * (columns + 1)) / 2
  const useProducts = rows * productCount <= maxProductCells
  let coefficients = start
  let iterations = 0
  const tensors: TensorflowNamespace.Tensor[] = []
  try {
    // Column products z_j·z_k (j ≤ k) once, so X'WX is one matrix product w'·products per step.
    const precomputed = data.standardized
    const standardized =
      precomputed !== undefined ? Float32Array.from(precomputed) : new Float32Array(rows * columns)
    const productValues = new Float32Array(useProducts ? rows * productCount : 0)
    const values = new Float64Array(columns)
    for (let row = 0; row < rows && (useProducts || precomputed === undefined); row += 1) {
      standardizedRow(data, row, values)
      if (precomputed === undefined) {
        for (let j = 0; j < columns; j += 1) standardized[row * columns + j] = values[j]
      }
      if (!useProducts) continue
      let slot = row * productCount
      for (let j = 0; j < columns; j += 1) {
        for (let k = j; k < columns; k += 1) productValues[slot++] = values[j] * values[k]
      }
    }
    const design = tf.tensor2d(standardized, [rows, columns], 'float32')
    tensors.push(design)
    const counts = fittedCounts(data)
    const successes = tf.tensor2d(Float32Array.from(counts.successes), [1, rows], 'float32')
    tensors.push(successes)
    const trials = tf.tensor2d(Float32Array.from(counts.trials), [1, rows], 'float32')
    tensors.push(trials)
    let products: TensorflowNamespace.Tensor2D | undefined
    if (useProducts) {
      products = tf.tensor2d(productValues, [rows, productCount], 'float32')
      tensors.push(products)
    }

    while (iterations < maxIterations) {
      const current = coefficients
      const summary = tf.tidy(() => {
        const beta = tf.tensor2d(Float32Array.from(current), [columns, 1], 'float32')
        const linear = tf.reshape(tf.matMul(design, beta), [1, rows])
        const expectedCount = tf.mul(trials, tf.sigmoid(linear))
        // n·μ·(1−μ) as n·sigmoid(η)·sigmoid(−η): no 1 − μ cancellation in float32.
        const weights = tf.mul(expectedCount, tf.sigmoid(tf.neg(linear)))
        const residuals = tf.sub(successes, expectedCount)
        const score = tf.matMul(residuals, design)
        const information =
          products !== undefined
            ? tf.matMul(weights, products)
            : tf.reshape(
                tf.matMul(tf.mul(design, tf.reshape(weights, [rows, 1])), design, true, false),
                [1, columns * columns],
              )
        return tf.concat([score, information], 1)
      })
      const values = summary.dataSync()
      summary.dispose()
      const score = Float64Array.from(values.subarray(0, columns))
      const information = new Float64Array(columns * columns)
      let slot = columns
      for (let j = 0; j < columns; j += 1) {
        for (let k = useProducts ? j : 0; k < columns; k += 1)
          information[j * columns + k] = values[slot++]
      }
      const newton = newtonStep(information, score, columns)
      if (newton === undefined) break
      iterations += 1
      const next = new Float64Array(columns)
      for (let j = 0; j < columns; j += 1) next[j] = current[j] + newton.step[j]
      coefficients = next
      if (largestStepInStandardErrors(newton) <= float32HandoverStep) break
    }
  } finally {
    for (const tensor of tensors) tensor.dispose()
  }
  return { coefficients, iterations }
}

interface Float64Pass {
  /** Σ y·η − n·log(1 + e^η): the log-likelihood without the binomial coefficients. */
  logLikelihoodKernel: number
  score: Float64Array
  information: Float64Array
  /** Largest |η| among rows whose successes sit at the bound the fit runs towards. */
  largestBoundaryLinearPredictor: number
}

/** One float64 pass over the rows at `coefficients`: log-likelihood, score and information. */
function float64Pass(data: PreparedData, coefficients: Float64Array): Float64Pass {
  const { rows, columns, subset, successes, trials } = data
  const score = new Float64Array(columns)
  const information = new Float64Array(columns * columns)
  const values = new Float64Array(columns)
  let logLikelihoodKernel = 0
  let largestBoundaryLinearPredictor = 0
  for (let index = 0; index < rows; index += 1) {
    standardizedRow(data, index, values)
    let linear = 0
    for (let j = 0; j < columns; j += 1) linear += values[j] * coefficients[j]
    const row = subset === undefined ? index : subset[index]
    const n = trials[row]
    const y = successes[row]
    const tail = Math.exp(-Math.abs(linear))
    const probability = linear >= 0 ? 1 / (1 + tail) : tail / (1 + tail)
    // log(1 + e^η) without overflow.
    logLikelihoodKernel += y * linear - n * (Math.max(linear, 0) + Math.log1p(tail))
    if ((linear < 0 && y === 0) || (linear > 0 && y === n)) {
      const size = Math.abs(linear)
      if (size > largestBoundaryLinearPredictor) largestBoundaryLinearPredictor = size
    }
    const weight = (n * tail) / ((1 + tail) * (1 + tail))
    const residual = y - n * probability
    for (let j = 0; j < columns; j += 1) {
      const value = values[j]
      score[j] += value * residual
      const weighted = value * weight
      for (let k = j; k < columns; k += 1) information[j * columns + k] += weighted * values[k]
    }
  }
  return { logLikelihoodKernel, score, information, largestBoundaryLinearPredictor }
}

/**
 * Original-scale coefficients as the standardized design's: the inverse of the map back
 * (β_standardized_j = β_j·scale_j; the intercept absorbs Σ β_j·mean_j).
 */
function standardizedStart(data: PreparedData, start: readonly number[]): Float64Array {
  const { columns, interceptColumn, means, scales } = data
  if (!Array.isArray(start) || start.length !== columns || !start.every(Number.isFinite)) {
    throw new RangeError(
      `${functionName} requires start as one finite coefficient per term (${columns})`,
    )
  }
  const coefficients = new Float64Array(columns)
  for (let j = 0; j < columns; j += 1) {
    if (j === interceptColumn) continue
    coefficients[j] = start[j] * scales[j]
    if (interceptColumn !== -1) coefficients[interceptColumn] += start[j] * means[j]
  }
  if (interceptColumn !== -1) coefficients[interceptColumn] += start[interceptColumn]
  return coefficients
}

// ---------------------------------------------------------------------------------------------
// The fit
// ---------------------------------------------------------------------------------------------

/**
 * Binomial generalized linear model with logit link (logistic regression on grouped data),
 * fitted by maximum likelihood with Newton's method (for the canonical logit link identical to
 * iteratively reweighted least squares, IRLS).
 *
 * Model: y_i ~ Binomial(n_i, μ_i) with logit(μ_i) = η_i = x_i·β, where y_i is `successes[i]`,
 * n_i is `trials[i]`, x_i is row i of `design` and β the coefficients (one per `termNames` entry).
 * Each Newton step solves (X'WX)·δ = X'(y − n·μ), W = diag(n·μ·(1−μ)); standard errors are the
 * square roots of the diagonal of the inverse Fisher information (X'WX)⁻¹ at the estimate;
 * z = estimate / std_error, two-sided Wald p-values 2·Φ(−|z|), Wald 95% intervals
 * estimate ± 1.959964·std_error, odds_ratio = exp(estimate). Deviance is
 * 2·Σ[y·log(y/(n·μ)) + (n−y)·log((n−y)/(n·(1−μ)))]; the null deviance is that of the
 * intercept-only model; the log-likelihood includes log C(n, y) and AIC = −2·logLik + 2·p.
 *
 * Matches R `glm(cbind(y, n - y) ~ x1 + ..., family = binomial)` (R 4.x: coefficients, standard
 * errors, `deviance`, `null.deviance`, `logLik`, `AIC`), checked against the Star98 example of
 * statsmodels' `results_glm.py` (Gill 2001, Generalized Linear Models: A Unified Approach;
 * McCullagh & Nelder 1989, Generalized Linear Models, §4.4).
 *
 * Numerics: predictors (every column but an all-ones intercept) are centred and scaled to unit
 * variance inside; results are reported on the original scale (covariance transformed with the
 * same linear map). TensorFlow.js (the `tf` namespace passed in, any backend) does the
 * data-parallel float32 work, linear predictor, weights, X'WX and X'(y − nμ), until the step is
 * about 1% of a standard error, the most float32 sums over many rows allow; the p × p solves are
 * float64 Cholesky (`ml-matrix`). Float64 Newton refinement follows, one plain-JavaScript pass
 * over the rows per step (with step halving should the log-likelihood drop), until the step is at
 * most √tolerance standard errors; that last step is applied, so the result equals a float64 fit
 * to about 1e-8 relative whatever the backend. Tensors are disposed before returning; no tensor
 * crosses this function's boundary. With a `start` (estimates of a fit on similar data) only
 * the float64 steps run, from there. Cost: O(rows·p²) per step.
 *
 * @param tf the `@tensorflow/tfjs` namespace, its backend already initialised
 * @param input design (rows × p), successes and trials per row (whole numbers, 1 ≤ trials),
 *   termNames (p names), maxIterations per phase (default 25), tolerance (default 1e-10), an
 *   optional start (p coefficients, original scale) and subset (row indices to fit on)
 * @returns coefficients per term, iterations, converged, deviance, null_deviance, aic,
 *   log_likelihood, n_rows, df_residual, df_null and the covariance matrix (original scale)
 * @throws NotIdentifiableError with `reason` `no_rows`, `no_events`, `all_events`,
 *   `constant_predictor`, `collinear` (a column is a linear combination of the columns before
 *   it) or `separation` (a fitted probability runs to 0 or 1: the estimate does not exist)
 * @throws RangeError or TypeError for malformed input (lengths, non-whole or negative counts,
 *   successes above trials, non-finite design values, a start of the wrong length, a subset row
 *   out of range)
 */
export function fitBinomialGlm(tf: Tensorflow, input: BinomialGlmInput): BinomialGlmFit {
  const maxIterations = input.maxIterations ?? 25
  const tolerance = input.tolerance ?? 1e-10
  if (!Number.isInteger(maxIterations) || maxIterations < 1) {
    throw new RangeError(
      `${functionName} requires maxIterations of 1 or more, got ${maxIterations}`,
    )
  }
  if (!(tolerance > 0 && tolerance < 1)) {
    throw new RangeError(`${functionName} requires a tolerance between 0 and 1, got ${tolerance}`)
  }
  const termNames = input.termNames
  const data = prepare(input)
  checkCollinearity(data, termNames)
  const { rows, columns, interceptColumn } = data

  let float32: { coefficients: Float64Array; iterations: number }
  if (input.start !== undefined) {
    float32 = { coefficients: standardizedStart(data, input.start), iterations: 0 }
  } else {
    const start = new Float64Array(columns)
    if (interceptColumn !== -1) {
      const share = data.totalSuccesses / data.totalTrials
      start[interceptColumn] = Math.log(share / (1 - share))
    }
    float32 = float32Phase(tf, data, start, maxIterations)
  }

  // Float64 refinement.
  const stepLimit = Math.sqrt(tolerance)
  let coefficients = float32.coefficients
  let accepted: { coefficients: Float64Array; pass: Float64Pass } | undefined
  let newton: NewtonStep | undefined
  let converged = false
  let refinementSteps = 0
  let halvings = 0
  while (refinementSteps < maxIterations + 30) {
    const pass = float64Pass(data, coefficients)
    refinementSteps += 1
    if (
      accepted !== undefined &&
      !(
        pass.logLikelihoodKernel >=
        accepted.pass.logLikelihoodKernel - 1e-12 * Math.abs(accepted.pass.logLikelihoodKernel)
      )
    ) {
      // The step overshot (far from the optimum, or float32 start): halve it.
      halvings += 1
      if (halvings > 30) break
      const previous = accepted.coefficients
      coefficients = previous.map((value, j) => (value + coefficients[j]) / 2)
      continue
    }
    if (refinementSteps - halvings > maxIterations) break
    accepted = { coefficients, pass }
    newton = newtonStep(pass.information, pass.score, columns)
    if (newton === undefined) break
    const next = new Float64Array(columns)
    for (let j = 0; j < columns; j += 1) next[j] = coefficients[j] + newton.step[j]
    if (largestStepInStandardErrors(newton) <= stepLimit) {
      converged = true
      coefficients = next
      break
    }
    coefficients = next
  }

  if (accepted === undefined) {
    throw new NotIdentifiableError(
      'collinear',
      `${functionName} cannot estimate the model: the information matrix is not positive definite`,
    )
  }
  const largestPredictor = (): string => {
    let term = termNames[0]
    let largest = -1
    for (let j = 0; j < columns; j += 1) {
      if (j === interceptColumn && columns > 1) continue
      if (Math.abs(coefficients[j]) > largest) {
        largest = Math.abs(coefficients[j])
        term = termNames[j]
      }
    }
    return term
  }
  if (
    accepted.pass.largestBoundaryLinearPredictor > separationLinearPredictor ||
    newton === undefined
  ) {
    const term = largestPredictor()
    throw new NotIdentifiableError(
      'separation',
      `${functionName} cannot estimate ${term}: the data are separated (fitted probabilities numerically 0 or 1 occurred), so the maximum likelihood estimate does not exist`,
      term,
    )
  }
  if (!converged) {
    // Not converged: report the last accepted point, whose information matrix we hold.
    coefficients = accepted.coefficients
  }

  // Back to the original scale: β_original = A·β_standardized, covariance A·V·A'.
  const transform = new Matrix(columns, columns)
  for (let j = 0; j < columns; j += 1) {
    if (j === interceptColumn) {
      transform.set(j, j, 1)
      continue
    }
    transform.set(j, j, 1 / data.scales[j])
    if (interceptColumn !== -1) transform.set(interceptColumn, j, -data.means[j] / data.scales[j])
  }
  const estimates = transform.mmul(Matrix.columnVector(Array.from(coefficients)))
  const covarianceMatrix = transform.mmul(newton.inverse).mmul(transform.transpose())
  const covariance = covarianceMatrix.to2DArray()
  // Symmetrise exactly (A·V·A' is symmetric up to rounding).
  for (let j = 0; j < columns; j += 1) {
    for (let k = 0; k < j; k += 1) {
      const mean = (covariance[j][k] + covariance[k][j]) / 2
      covariance[j][k] = mean
      covariance[k][j] = mean
    }
  }

  const coefficientRows: BinomialGlmCoefficient[] = termNames.map((term, j) => {
    const estimate = estimates.get(j, 0)
    const stdError = Math.sqrt(covariance[j][j])
    const z = estimate / stdError
    return {
      term,
      estimate,
      std_error: stdError,
      z,
      p_value: 2 * normalCdf(-Math.abs(z), 0, 1),
      odds_ratio: Math.exp(estimate),
      ci_low: estimate - normalQuantile975 * stdError,
      ci_high: estimate + normalQuantile975 * stdError,
    }
  })

  const logLikelihood = data.logBinomialCoefficients + accepted.pass.logLikelihoodKernel
  const saturatedLogLikelihood = data.logBinomialCoefficients + data.saturatedKernel
  let nullKernel: number
  if (interceptColumn !== -1) {
    const share = data.totalSuccesses / data.totalTrials
    nullKernel =
      data.totalSuccesses * Math.log(share) +
      (data.totalTrials - data.totalSuccesses) * Math.log1p(-share)
  } else {
    nullKernel = -data.totalTrials * Math.LN2
  }
  const nullLogLikelihood = data.logBinomialCoefficients + nullKernel
  return {
    coefficients: coefficientRows,
    iterations: float32.iterations + refinementSteps,
    float32_iterations: float32.iterations,
    refinement_steps: refinementSteps,
    converged,
    deviance: Math.max(0, 2 * (saturatedLogLikelihood - logLikelihood)),
    null_deviance: Math.max(0, 2 * (saturatedLogLikelihood - nullLogLikelihood)),
    aic: -2 * logLikelihood + 2 * columns,
    log_likelihood: logLikelihood,
    n_rows: rows,
    df_residual: rows - columns,
    df_null: interceptColumn !== -1 ? rows - 1 : rows,
    covariance,
  }
}

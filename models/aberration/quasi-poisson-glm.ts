/**
 * Quasi-Poisson generalised linear model with log link, fitted by iteratively reweighted least
 * squares (IRLS) in float64: the baseline model of the Farrington aberration detector.
 *
 * Model: E(y_i) = mu_i = exp(offset_i + x_i·beta), Var(y_i) = phi·mu_i / omega_i, with prior
 * weights omega_i. IRLS repeats a weighted least-squares fit of the working response
 * z_i = eta_i − offset_i + (y_i − mu_i)/mu_i on x_i with working weights w_i = omega_i·mu_i until
 * the Poisson deviance D = 2·Σ omega_i·(y_i·log(y_i/mu_i) − (y_i − mu_i)) changes by less than
 * `tolerance`·(|D| + 0.1). The dispersion is Pearson's X²/df =
 * Σ w_i·((y_i − mu_i)/mu_i)² / (n − p) over the observations with positive weight; Farrington
 * uses phi = max(1, X²/df) (never less dispersed than Poisson).
 *
 * Symbols: y → `response`, x_i → row i of the `design` columns, beta → `coefficients`, mu →
 * `fitted`, eta → `linearPredictor`, omega → `priorWeights`, w → `workingWeights`,
 * (X'WX)^−1 → `covarianceUnscaled`, h_ii = w_i·x_i'(X'WX)^−1·x_i → `hatValues`, X²/df →
 * `dispersion`, max(1, X²/df) → `phi`.
 *
 * Variant: R's `glm.fit` step for step, so the numbers match R's to rounding: start at
 * mu = y + 0.1, at most 25 iterations, convergence |D − D_old|/(|D| + 0.1) < 1e-8; like R, the
 * working weights, covariance, leverages and dispersion are those of the last weighted
 * least-squares step (computed from the mean before its update). The least-squares step solves
 * the p×p normal equations by Cholesky in place: p is 1 or 2 here, and 15,000 areas × up to four
 * fits must not allocate matrices per iteration (DESIGN.md's ml-matrix is for larger systems).
 * R's step halving is not needed for the log link (every finite eta is valid); a non-finite
 * deviance stops the fit with `converged: false`.
 *
 * Reference: McCullagh & Nelder (1989), Generalized Linear Models, 2nd ed., §2.5 and §9.2;
 * Farrington et al. (1996), JRSS A 159(3), 547–563, §3.2. Software matched: R 4.2
 * `glm(response ~ …, family = quasipoisson(link = "log"), weights = omega)` with
 * `summary.glm(model)$dispersion`, `hatvalues(model)`, as called by surveillance's
 * `algo.farrington.fitGLM.flexible`.
 *
 * @param input `response` (counts ≥ 0, length n), `design` (p columns of length n, intercept
 *   included as a column of ones), optional `offset` (length n, finite; log population for
 *   rates) and `priorWeights` (length n, ≥ 0; zero drops the observation as R does)
 * @param options `maxIterations` (default 25), `tolerance` (default 1e-8)
 * @returns coefficients, fitted means, linear predictor, working weights, (X'WX)^−1, leverages,
 *   deviance, Pearson dispersion (unfloored, as `summary.glm`), phi = max(1, dispersion),
 *   residual degrees of freedom, iterations and whether IRLS converged. With no residual
 *   degree of freedom the dispersion is NaN (as in R) and phi is 1.
 * @throws RangeError on lengths that differ, bad values, or a design that is not of full column
 *   rank (Cholesky pivot below 1e-10 of its diagonal)
 *
 * Complexity: O(iterations · n · p²).
 */
export interface QuasiPoissonGlmInput {
  readonly response: ArrayLike<number>
  /** Columns of the design matrix, each of length n; include a column of ones for an intercept. */
  readonly design: readonly ArrayLike<number>[]
  readonly offset?: ArrayLike<number>
  readonly priorWeights?: ArrayLike<number>
}

export interface QuasiPoissonGlmOptions {
  readonly maxIterations?: number
  readonly tolerance?: number
}

export interface QuasiPoissonGlmResult {
  coefficients: number[]
  fitted: number[]
  linearPredictor: number[]
  workingWeights: number[]
  /** (X'WX)^−1, row-major p×p; multiply by the dispersion for the covariance of beta. */
  covarianceUnscaled: number[][]
  hatValues: number[]
  deviance: number
  dispersion: number
  phi: number
  dfResidual: number
  iterations: number
  converged: boolean
}

function poissonDeviance(response: number[], fitted: number[], prior: number[]): number {
  let deviance = 0
  for (let i = 0; i < response.length; i += 1) {
    const y = response[i]
    const mu = fitted[i]
    deviance += 2 * prior[i] * ((y > 0 ? y * Math.log(y / mu) : 0) - (y - mu))
  }
  return deviance
}

export function quasiPoissonGlm(
  input: QuasiPoissonGlmInput,
  options: QuasiPoissonGlmOptions = {},
): QuasiPoissonGlmResult {
  const { response, design, offset, priorWeights } = input
  const maxIterations = options.maxIterations ?? 25
  const tolerance = options.tolerance ?? 1e-8
  const n = response.length
  const p = design.length
  if (p === 0) throw new RangeError('quasiPoissonGlm requires at least one design column')
  if (n === 0) throw new RangeError('quasiPoissonGlm requires at least one observation')
  for (const column of design) {
    if (column.length !== n) {
      throw new RangeError(
        `quasiPoissonGlm requires design columns of the response length ${n}, got ${column.length}`,
      )
    }
  }
  if (offset !== undefined && offset.length !== n) {
    throw new RangeError(`quasiPoissonGlm requires an offset of length ${n}, got ${offset.length}`)
  }
  if (priorWeights !== undefined && priorWeights.length !== n) {
    throw new RangeError(
      `quasiPoissonGlm requires priorWeights of length ${n}, got ${priorWeights.length}`,
    )
  }
  if (!Number.isInteger(maxIterations) || maxIterations < 1) {
    throw new RangeError(
      `quasiPoissonGlm requires maxIterations to be a positive whole number, got ${maxIterations}`,
    )
  }
  let observationsUsed = 0
  for (let i = 0; i < n; i += 1) {
    const y = response[i]
    if (!(y >= 0) || !Number.isFinite(y)) {
      throw new RangeError(`quasiPoissonGlm requires finite responses ≥ 0, got ${y} at ${i}`)
    }
    if (offset !== undefined && !Number.isFinite(offset[i])) {
      throw new RangeError(`quasiPoissonGlm requires a finite offset, got ${offset[i]} at ${i}`)
    }
    const weight = priorWeights === undefined ? 1 : priorWeights[i]
    if (!(weight >= 0) || !Number.isFinite(weight)) {
      throw new RangeError(
        `quasiPoissonGlm requires finite priorWeights ≥ 0, got ${weight} at ${i}`,
      )
    }
    if (weight > 0) observationsUsed += 1
    for (let j = 0; j < p; j += 1) {
      if (!Number.isFinite(design[j][i])) {
        throw new RangeError(
          `quasiPoissonGlm requires finite design values, got ${design[j][i]} in column ${j} at ${i}`,
        )
      }
    }
  }

  // Monomorphic float64 copies: the loops below run up to 25 times per fit.
  const y = copyOf(response)
  const x = filled(n * p, 0) // row-major: x[i * p + j]
  for (let j = 0; j < p; j += 1) {
    const column = design[j]
    for (let i = 0; i < n; i += 1) x[i * p + j] = column[i]
  }
  const shifts = offset === undefined ? filled(n, 0) : copyOf(offset)
  const prior = priorWeights === undefined ? filled(n, 1) : copyOf(priorWeights)

  const fitted = filled(n, 0)
  const linearPredictor = filled(n, 0)
  const workingWeights = filled(n, 0)
  const coefficients = filled(p, 0)
  const crossProduct = filled(p * p, 0) // X'WX, then its Cholesky factor L (lower)
  const rightHandSide = filled(p, 0) // X'Wz, then the solution

  // R's poisson()$initialize: mustart = y + 0.1, eta = log(mustart).
  for (let i = 0; i < n; i += 1) {
    fitted[i] = y[i] + 0.1
    linearPredictor[i] = Math.log(fitted[i])
  }
  let devianceOld = poissonDeviance(y, fitted, prior)
  let deviance = devianceOld
  let converged = false
  let iterations = 0

  for (let iteration = 1; iteration <= maxIterations; iteration += 1) {
    iterations = iteration
    crossProduct.fill(0)
    rightHandSide.fill(0)
    for (let i = 0; i < n; i += 1) {
      const mu = fitted[i]
      const weight = prior[i] * mu
      const z = linearPredictor[i] - shifts[i] + (y[i] - mu) / mu
      workingWeights[i] = weight
      if (weight === 0) continue
      const row = i * p
      for (let j = 0; j < p; j += 1) {
        const weightedX = weight * x[row + j]
        rightHandSide[j] += weightedX * z
        for (let l = 0; l <= j; l += 1) crossProduct[j * p + l] += weightedX * x[row + l]
      }
    }
    choleskyInPlace(crossProduct, p)
    solveCholeskyInPlace(crossProduct, rightHandSide, p)
    for (let j = 0; j < p; j += 1) coefficients[j] = rightHandSide[j]
    for (let i = 0; i < n; i += 1) {
      let eta = shifts[i]
      for (let j = 0; j < p; j += 1) eta += x[i * p + j] * coefficients[j]
      linearPredictor[i] = eta
      fitted[i] = Math.exp(eta)
    }
    deviance = poissonDeviance(y, fitted, prior)
    if (!Number.isFinite(deviance)) break
    if (Math.abs(deviance - devianceOld) / (Math.abs(deviance) + 0.1) < tolerance) {
      converged = true
      break
    }
    devianceOld = deviance
  }

  // (X'WX)^−1 from the last factor, column by column.
  const inverse = filled(p * p, 0)
  const unit = filled(p, 0)
  for (let column = 0; column < p; column += 1) {
    unit.fill(0)
    unit[column] = 1
    solveCholeskyInPlace(crossProduct, unit, p)
    for (let row = 0; row < p; row += 1) inverse[row * p + column] = unit[row]
  }
  const hatValues = new Array<number>(n)
  let pearson = 0
  for (let i = 0; i < n; i += 1) {
    const weight = workingWeights[i]
    let quadratic = 0
    for (let j = 0; j < p; j += 1) {
      for (let l = 0; l < p; l += 1) quadratic += x[i * p + j] * inverse[j * p + l] * x[i * p + l]
    }
    hatValues[i] = weight * quadratic
    if (weight > 0) {
      const workingResidual = (y[i] - fitted[i]) / fitted[i]
      pearson += weight * workingResidual * workingResidual
    }
  }
  const dfResidual = observationsUsed - p
  const dispersion = dfResidual > 0 ? pearson / dfResidual : Number.NaN
  const covarianceUnscaled: number[][] = []
  for (let row = 0; row < p; row += 1) {
    covarianceUnscaled.push(inverse.slice(row * p, row * p + p))
  }
  return {
    coefficients,
    fitted,
    linearPredictor,
    workingWeights,
    covarianceUnscaled,
    hatValues,
    deviance,
    dispersion,
    phi: dfResidual > 0 ? Math.max(1, dispersion) : 1,
    dfResidual,
    iterations,
    converged,
  }
}

/** A plain array of doubles (cheaper than a typed array at these small sizes). */
function filled(length: number, value: number): number[] {
  const values: number[] = []
  for (let i = 0; i < length; i += 1) values.push(value)
  return values
}

function copyOf(values: ArrayLike<number>): number[] {
  const copy: number[] = []
  for (let i = 0; i < values.length; i += 1) copy.push(values[i])
  return copy
}

/** Lower Cholesky factor of the symmetric p×p matrix whose lower triangle is in `matrix`. */
function choleskyInPlace(matrix: number[], p: number): void {
  for (let j = 0; j < p; j += 1) {
    const diagonal = matrix[j * p + j]
    let sum = diagonal
    for (let k = 0; k < j; k += 1) sum -= matrix[j * p + k] * matrix[j * p + k]
    if (!(sum > 1e-10 * Math.abs(diagonal)) || !Number.isFinite(sum)) {
      throw new RangeError(
        'quasiPoissonGlm requires a design of full column rank; drop a column that the others determine',
      )
    }
    const pivot = Math.sqrt(sum)
    matrix[j * p + j] = pivot
    for (let i = j + 1; i < p; i += 1) {
      let value = matrix[i * p + j]
      for (let k = 0; k < j; k += 1) value -= matrix[i * p + k] * matrix[j * p + k]
      matrix[i * p + j] = value / pivot
    }
  }
}

/** Solves L·L'·x = b in place of b, L the lower factor in `factor`. */
function solveCholeskyInPlace(factor: number[], vector: number[], p: number): void {
  for (let i = 0; i < p; i += 1) {
    let value = vector[i]
    for (let k = 0; k < i; k += 1) value -= factor[i * p + k] * vector[k]
    vector[i] = value / factor[i * p + i]
  }
  for (let i = p - 1; i >= 0; i -= 1) {
    let value = vector[i]
    for (let k = i + 1; k < p; k += 1) value -= factor[k * p + i] * vector[k]
    vector[i] = value / factor[i * p + i]
  }
}

import quadprog from 'quadprog'

/** The inner problem of the synthetic control for one predictor weighting V. */
export interface DonorWeightsProblem {
  /** Scaled donor predictors, donor-major: `donorPredictors[donor * predictorCount + m]`. */
  readonly donorPredictors: Float64Array
  /** Scaled predictors of the treated unit, length `predictorCount`. */
  readonly treatedPredictors: Float64Array
  /** Diagonal of V, non-negative, length `predictorCount`. */
  readonly predictorWeights: Float64Array
  readonly donorCount: number
  readonly predictorCount: number
}

/** Solution of {@link solveDonorWeights}. */
export interface DonorWeightsSolution {
  /** W, one weight per donor, each ≥ 0, summing to 1. */
  readonly weights: Float64Array
  /** Donors with a positive weight, ascending. */
  readonly support: readonly number[]
  /** (X1 − X0 W)ᵀ V (X1 − X0 W) at the solution. */
  readonly objective: number
}

const relativeRidge = 1e-10
const maximumRounds = 500

/**
 * Synthetic-control donor weights for a given predictor weighting: the quadratic programme of
 * Abadie, Diamond & Hainmueller (2010, eq. 5 and section 2.3)
 *
 *   W = argmin (X1 − X0 W)ᵀ V (X1 − X0 W)  subject to  W ≥ 0, Σ W = 1,
 *
 * X1 the treated unit's scaled predictors (`treatedPredictors`), X0 the donors' (`donorPredictors`),
 * V diagonal (`predictorWeights`). Solved exactly by column generation around quadprog's
 * Goldfarb–Idnani solver (`solveQP`): quadprog solves the problem restricted to a small working
 * set of donors; every donor's gradient 2·X0_jᵀ V (X0 W − X1) is then checked against the
 * simplex multiplier, and the most violating donor joins the set, until the Karush–Kuhn–Tucker
 * conditions hold for all donors. The solution has at most (number of predictors + 1) positive
 * weights, so each quadprog call is tiny even with hundreds of donors, and a warm start from the
 * previous support (the nested V search moves V a little at a time) usually needs one round.
 * A ridge of 1e−10 × the mean diagonal makes the restricted Hessian positive definite (quadprog
 * requires it; the weights move by about that relative amount), the role of Synth's `ipop` margin.
 *
 * Reference: Abadie, A., Diamond, A. & Hainmueller, J. (2010), Synthetic Control Methods for
 * Comparative Case Studies, JASA 105(490), 493–505. Software matched: R Synth 1.1 `synth()`
 * (inner `ipop` QP), Stata `synth`.
 *
 * @param problem predictors (scaled) and V
 * @param startSupport optional donors to start the working set from (a previous solution)
 * @returns W, its support and the objective
 * @throws RangeError when there is no donor
 * Complexity: O(R · (J·k + s³)) for R rounds, J donors, k predictors, working set s ≤ k + 1.
 */
export function solveDonorWeights(
  problem: DonorWeightsProblem,
  startSupport: readonly number[] = [],
): DonorWeightsSolution {
  const { donorPredictors, treatedPredictors, predictorWeights, donorCount, predictorCount } =
    problem
  if (donorCount < 1) {
    throw new RangeError('solveDonorWeights requires at least one donor, enlarge the donor pool')
  }
  const k = predictorCount
  const weights = new Float64Array(donorCount)
  const residual = new Float64Array(k)
  const weightedResidual = new Float64Array(k)
  const computeResidual = (set: readonly number[], setWeights: readonly number[]): number => {
    for (let m = 0; m < k; m++) residual[m] = -treatedPredictors[m]
    set.forEach((donor, position) => {
      const weight = setWeights[position]
      const offset = donor * k
      for (let m = 0; m < k; m++) residual[m] += weight * donorPredictors[offset + m]
    })
    let objective = 0
    for (let m = 0; m < k; m++) {
      weightedResidual[m] = predictorWeights[m] * residual[m]
      objective += weightedResidual[m] * residual[m]
    }
    return objective
  }
  if (donorCount === 1) {
    weights[0] = 1
    return { weights, support: [0], objective: computeResidual([0], [1]) }
  }

  // ---- working set: the warm start, else the single closest donor ----
  let set = [...new Set(startSupport.filter((donor) => donor >= 0 && donor < donorCount))]
  if (set.length === 0) {
    let best = 0
    let bestDistance = Number.POSITIVE_INFINITY
    for (let donor = 0; donor < donorCount; donor++) {
      let distance = 0
      for (let m = 0; m < k; m++) {
        const difference = donorPredictors[donor * k + m] - treatedPredictors[m]
        distance += predictorWeights[m] * difference * difference
      }
      if (distance < bestDistance) {
        bestDistance = distance
        best = donor
      }
    }
    set = [best]
  }
  set.sort((a, b) => a - b)

  let setWeights: number[] = [1]
  let objective = Number.POSITIVE_INFINITY
  // an exact fit (objective ≈ 0 relative to the treated predictors' weighted size) cannot improve
  let treatedSize = 0
  for (let m = 0; m < k; m++) treatedSize += predictorWeights[m] * treatedPredictors[m] ** 2
  const exactFit = 1e-14 * treatedSize + 1e-300
  const inSet = new Uint8Array(donorCount)
  for (let round = 0; round < maximumRounds; round++) {
    setWeights = solveRestricted(problem, set)
    objective = computeResidual(set, setWeights)
    if (objective <= exactFit) break
    // ---- pricing: gradient of every donor against the simplex multiplier ----
    let multiplier = 0
    for (let position = 0; position < set.length; position++) {
      multiplier += setWeights[position] * gradientOf(set[position])
      inSet[set[position]] = 1
    }
    let mostViolating = -1
    let smallestGradient = Number.POSITIVE_INFINITY
    let gradientScale = Math.abs(multiplier)
    for (let donor = 0; donor < donorCount; donor++) {
      const gradient = gradientOf(donor)
      const size = gradient < 0 ? -gradient : gradient
      if (size > gradientScale) gradientScale = size
      if (inSet[donor] === 0 && gradient < smallestGradient) {
        smallestGradient = gradient
        mostViolating = donor
      }
    }
    for (const donor of set) inSet[donor] = 0
    const tolerance = 1e-9 * gradientScale + 1e-300
    if (mostViolating < 0 || multiplier - smallestGradient <= tolerance) break
    const kept = set.filter((_, position) => setWeights[position] > 0)
    kept.push(mostViolating)
    set = kept.sort((a, b) => a - b)
  }
  const support: number[] = []
  set.forEach((donor, position) => {
    if (setWeights[position] > 0) {
      weights[donor] = setWeights[position]
      support.push(donor)
    }
  })
  return { weights, support, objective }

  function gradientOf(donor: number): number {
    let gradient = 0
    const offset = donor * k
    for (let m = 0; m < k; m++) gradient += donorPredictors[offset + m] * weightedResidual[m]
    return 2 * gradient
  }
}

/** Weights on the working set by quadprog; non-positive solver noise is set to 0 and renormalised. */
function solveRestricted(problem: DonorWeightsProblem, set: readonly number[]): number[] {
  const size = set.length
  if (size === 1) return [1]
  const { donorPredictors, treatedPredictors, predictorWeights, predictorCount: k } = problem
  const hessian: number[][] = [[]]
  const linear: number[] = [0]
  let diagonalMean = 0
  for (let a = 0; a < size; a++) {
    const row: number[] = [0]
    const offsetA = set[a] * k
    for (let b = 0; b < size; b++) {
      const offsetB = set[b] * k
      let value = 0
      for (let m = 0; m < k; m++) {
        value += predictorWeights[m] * donorPredictors[offsetA + m] * donorPredictors[offsetB + m]
      }
      row.push(2 * value)
    }
    diagonalMean += row[a + 1] / size
    hessian.push(row)
    let linearValue = 0
    for (let m = 0; m < k; m++) {
      linearValue += predictorWeights[m] * donorPredictors[offsetA + m] * treatedPredictors[m]
    }
    linear.push(2 * linearValue)
  }
  let ridge = diagonalMean > 1e-200 ? relativeRidge * diagonalMean : 1e-12
  for (let attempt = 0; attempt < 8; attempt++) {
    const dmat = hessian.map((row, a) =>
      row.map((value, b) => (a > 0 && a === b ? value + ridge : value)),
    )
    const constraints: number[][] = [[]]
    for (let a = 1; a <= size; a++) {
      const column: number[] = [0, 1]
      for (let c = 1; c <= size; c++) column.push(a === c ? 1 : 0)
      constraints.push(column)
    }
    const bounds: number[] = [0, 1]
    for (let c = 1; c <= size; c++) bounds.push(0)
    const result = quadprog.solveQP(dmat, linear.slice(), constraints, bounds, 1)
    if (result.message === '') {
      const raw = result.solution.slice(1, size + 1)
      const rawSum = raw.reduce((sum, value) => sum + value, 0)
      const solution = raw.map((value) => (value > 1e-14 ? value : 0))
      const total = solution.reduce((sum, value) => sum + value, 0)
      // a degenerate (numerically singular) Hessian can return a point off the simplex: retry
      if (total > 0 && Math.abs(rawSum - 1) < 1e-6 && raw.every((value) => value > -1e-8)) {
        return solution.map((value) => value / total)
      }
    }
    ridge = ridge * 1000 + 1e-12 * (diagonalMean + 1)
  }
  throw new RangeError(
    'solveDonorWeights requires predictors that are not all identical across donors, remove constant predictors',
  )
}

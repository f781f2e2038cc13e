/** Settings of {@link nelderMead}. */
export interface NelderMeadOptions {
  /** Stop when the simplex's highest and lowest values differ by at most
   * relativeTolerance · (|lowest| + relativeTolerance); R `optim`'s `reltol`, default 1e-8. */
  readonly relativeTolerance?: number
  /** Stop after this many objective evaluations; default 500 (R `optim`'s `maxit`). */
  readonly maxEvaluations?: number
}

/** Result of {@link nelderMead}. */
export interface NelderMeadResult {
  /** The best point found. */
  readonly point: Float64Array
  /** The objective there. */
  readonly value: number
  /** Objective evaluations used. */
  readonly evaluations: number
}

/**
 * Nelder–Mead downhill simplex minimisation, deterministic: the derivative-free search R's
 * `optim(method = "Nelder-Mead")` uses and R Synth uses for the predictor weights V.
 *
 * The simplex starts at `start` plus one vertex per coordinate moved by 10% of the largest
 * |start| coordinate (0.1 if all are 0), as R's `nmmin`. Each step reflects the worst vertex
 * through the centroid of the others (coefficient 1), expands (2), contracts (0.5) or shrinks
 * towards the best vertex (0.5) — the standard coefficients of Nelder & Mead (1965).
 *
 * Reference: Nelder, J. A. & Mead, R. (1965), A simplex method for function minimization,
 * Computer Journal 7(4), 308–313.
 *
 * @param objective function to minimise; must not keep the array it is given
 * @param start starting point (not mutated)
 * @param options tolerance and evaluation budget
 * Complexity: O(E · (cost of objective + d)) for E evaluations in d dimensions.
 */
export function nelderMead(
  objective: (point: Float64Array) => number,
  start: ArrayLike<number>,
  options: NelderMeadOptions = {},
): NelderMeadResult {
  const relativeTolerance = options.relativeTolerance ?? 1e-8
  const maxEvaluations = options.maxEvaluations ?? 500
  const dimension = start.length
  let evaluations = 0
  const evaluate = (point: Float64Array): number => {
    evaluations++
    const value = objective(point)
    return Number.isFinite(value) ? value : Number.POSITIVE_INFINITY
  }
  let size = 0
  for (let index = 0; index < dimension; index++)
    size = Math.max(size, 0.1 * Math.abs(start[index]))
  if (size === 0) size = 0.1
  const vertices: Float64Array[] = []
  const values: number[] = []
  const first = Float64Array.from(start)
  vertices.push(first)
  values.push(evaluate(first))
  for (let index = 0; index < dimension; index++) {
    const vertex = Float64Array.from(start)
    vertex[index] += size
    vertices.push(vertex)
    values.push(evaluate(vertex))
  }
  const centroid = new Float64Array(dimension)
  const trial = new Float64Array(dimension)
  const second = new Float64Array(dimension)
  const order = vertices.map((_, index) => index)
  while (evaluations < maxEvaluations) {
    order.sort((a, b) => values[a] - values[b] || a - b)
    const best = order[0]
    const worst = order[dimension]
    const nextWorst = order[dimension - 1]
    if (
      values[worst] - values[best] <=
      relativeTolerance * (Math.abs(values[best]) + relativeTolerance)
    ) {
      break
    }
    centroid.fill(0)
    for (const index of order) {
      if (index === worst) continue
      const vertex = vertices[index]
      for (let coordinate = 0; coordinate < dimension; coordinate++) {
        centroid[coordinate] += vertex[coordinate] / dimension
      }
    }
    const worstVertex = vertices[worst]
    for (let coordinate = 0; coordinate < dimension; coordinate++) {
      trial[coordinate] = 2 * centroid[coordinate] - worstVertex[coordinate]
    }
    const reflected = evaluate(trial)
    if (reflected < values[best]) {
      for (let coordinate = 0; coordinate < dimension; coordinate++) {
        second[coordinate] = 3 * centroid[coordinate] - 2 * worstVertex[coordinate]
      }
      const expanded = evaluate(second)
      if (expanded < reflected) {
        worstVertex.set(second)
        values[worst] = expanded
      } else {
        worstVertex.set(trial)
        values[worst] = reflected
      }
      continue
    }
    if (reflected < values[nextWorst]) {
      worstVertex.set(trial)
      values[worst] = reflected
      continue
    }
    const outside = reflected < values[worst]
    for (let coordinate = 0; coordinate < dimension; coordinate++) {
      second[coordinate] = outside
        ? centroid[coordinate] + 0.5 * (trial[coordinate] - centroid[coordinate])
        : centroid[coordinate] + 0.5 * (worstVertex[coordinate] - centroid[coordinate])
    }
    const contracted = evaluate(second)
    if (contracted < Math.min(reflected, values[worst])) {
      worstVertex.set(second)
      values[worst] = contracted
      continue
    }
    const bestVertex = vertices[best]
    for (const index of order) {
      if (index === best) continue
      const vertex = vertices[index]
      for (let coordinate = 0; coordinate < dimension; coordinate++) {
        vertex[coordinate] =
          bestVertex[coordinate] + 0.5 * (vertex[coordinate] - bestVertex[coordinate])
      }
      values[index] = evaluate(vertex)
    }
  }
  let bestIndex = 0
  for (let index = 1; index < values.length; index++)
    if (values[index] < values[bestIndex]) bestIndex = index
  return { point: Float64Array.from(vertices[bestIndex]), value: values[bestIndex], evaluations }
}

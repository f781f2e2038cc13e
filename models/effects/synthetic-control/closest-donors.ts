/**
 * Nearest-neighbour donor pool for a synthetic control: the `maxDonors` candidate units whose
 * outcome path over the pre-period lies closest to the treated units' mean path. A synthetic
 * control fitted from a few hundred candidates costs seconds per placebo, and donors whose
 * pre-period path is far from the treated units' get (near) zero weight anyway, so the pool is
 * restricted beforehand to the units that can plausibly contribute (Abadie 2021 advises a donor
 * pool of units similar to the treated ones, to limit interpolation bias).
 *
 * Formula: the target path is m_t = (1 / k) · Σ_i y_it over the k treated paths (`treatedPaths`)
 * for the pre-period t = 0 … P − 1 (`preCount`); a candidate j's distance is the squared
 * Euclidean distance d_j = Σ_t (x_jt − m_t)², which orders candidates as the Euclidean distance
 * does. The pool is the `maxDonors` candidates with the smallest d_j, closest first.
 *
 * Ties: equal distances are ordered by identifier, by UTF-16 code unit (`<`), so the pool does not
 * depend on the order the candidates are given in.
 *
 * Reference: Abadie, A. (2021), Using Synthetic Controls: Feasibility, Data Requirements, and
 * Methodological Aspects, Journal of Economic Literature 59(2), 391–425 (on the choice of the
 * donor pool). No software is matched: the nearest-path rule is this service's choice, made once
 * for the effects and the power simulation so both use the same pool.
 *
 * @param treatedPaths the treated units' outcome paths (for Aanwas quarterly rates, proportions
 *   0–1), at least one, each with at least `preCount` finite values; only the first `preCount`
 *   values are read
 * @param candidates `[id, path]` entries (a `Map` from id to path will do), identifiers distinct,
 *   each path with at least `preCount` finite values
 * @param preCount the number of pre-period values P compared, a whole number ≥ 0 (0 makes every
 *   distance 0, so the pool is the first `maxDonors` identifiers)
 * @param maxDonors the pool size wanted, a whole number ≥ 0
 * @returns the identifiers of the min(`maxDonors`, candidates) closest candidates, closest first
 * @throws TypeError when there is no treated path or a path is shorter than `preCount` or holds a
 *   non-finite value in the pre-period; RangeError for a negative or fractional `preCount` or
 *   `maxDonors` or a repeated candidate identifier
 * Complexity: O(n · P + n log n) time and O(n + P) memory for n candidates (a full sort).
 */
export function closestDonors(
  treatedPaths: readonly ArrayLike<number>[],
  candidates: Iterable<readonly [id: string, path: ArrayLike<number>]>,
  preCount: number,
  maxDonors: number,
): string[] {
  if (!Number.isInteger(preCount) || preCount < 0) {
    throw new RangeError(
      `closestDonors requires preCount to be a whole number ≥ 0, got ${preCount}`,
    )
  }
  if (!Number.isInteger(maxDonors) || maxDonors < 0) {
    throw new RangeError(
      `closestDonors requires maxDonors to be a whole number ≥ 0, got ${maxDonors}`,
    )
  }
  if (treatedPaths.length === 0) {
    throw new TypeError('closestDonors requires at least one treated path')
  }
  const target = new Float64Array(preCount)
  for (const path of treatedPaths) {
    checkPath(path, preCount, 'a treated path')
    for (let t = 0; t < preCount; t++) target[t] += path[t]
  }
  for (let t = 0; t < preCount; t++) target[t] /= treatedPaths.length

  const distances: { id: string; distance: number }[] = []
  const seen = new Set<string>()
  for (const [id, path] of candidates) {
    if (seen.has(id)) {
      throw new RangeError(`closestDonors requires distinct candidate ids, ${id} appears twice`)
    }
    seen.add(id)
    checkPath(path, preCount, `candidate ${id}`)
    let sum = 0
    for (let t = 0; t < preCount; t++) sum += (path[t] - target[t]) ** 2
    distances.push({ id, distance: sum })
  }
  distances.sort((a, b) => a.distance - b.distance || (a.id < b.id ? -1 : 1))
  return distances.slice(0, maxDonors).map((entry) => entry.id)
}

function checkPath(path: ArrayLike<number>, preCount: number, what: string): void {
  if (!(path?.length >= preCount)) {
    throw new TypeError(
      `closestDonors requires ${preCount} pre-period values per path, ${what} has ${path?.length ?? 'none'}`,
    )
  }
  for (let t = 0; t < preCount; t++) {
    if (!Number.isFinite(path[t])) {
      throw new TypeError(
        `closestDonors requires finite pre-period values, ${what} has ${path[t]} at ${t}; leave out units with gaps`,
      )
    }
  }
}

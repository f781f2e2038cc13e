/**
 * Outbreak reweighting weights of the Farrington algorithm: past baseline counts that look like
 * outbreaks get less weight when the baseline model is refitted.
 *
 * Each baseline quarter i has a scaled Anscombe residual s_i. Quarters with s_i above the
 * threshold get the weight gamma·s_i^−2, the others gamma, where the constant
 * gamma = n / Σ_i (s_i^−2 if s_i > threshold, else 1) makes the weights sum to n, the number of
 * baseline quarters. So a quarter three residual units above its expectation counts for about a
 * ninth of an ordinary one.
 *
 * Symbols: s_i → `residuals[i]`, omega_i → the returned weights, gamma → `scale`, n →
 * `residuals.length`, weightsThreshold → `threshold`.
 *
 * Variant: surveillance's `algo.farrington.assign.weights`, where a residual equal to the
 * threshold is not downweighted (strict >). Its default threshold is 1 (Farrington 1996); the
 * `farringtonFlexible` default, and Aanwas's, is 2.58 (Noufaily et al. 2013 found 1 downweights
 * too much).
 *
 * Reference: Farrington et al. (1996), JRSS A 159(3), 547–563, §3.3; Noufaily et al. (2013),
 * Stat Med 32(7), 1206–1222, §3. Software matched: R surveillance 1.26 (checked on 1.20.3)
 * `algo.farrington.assign.weights(s, weightsThreshold)`.
 *
 * @param residuals the scaled Anscombe residuals s (one or more finite numbers or +Infinity)
 * @param threshold residuals strictly above this are downweighted (finite)
 * @returns the weights omega, in the order of `residuals`, summing to n
 * @throws RangeError when there are no residuals, one is NaN or −Infinity, or the threshold is
 *   not finite
 */
export function outbreakWeights(residuals: readonly number[], threshold: number): number[] {
  if (residuals.length === 0) {
    throw new RangeError('outbreakWeights requires at least one residual')
  }
  if (!Number.isFinite(threshold)) {
    throw new RangeError(`outbreakWeights requires a finite threshold, got ${threshold}`)
  }
  let sumOfInverseSquares = 0
  for (const residual of residuals) {
    if (Number.isNaN(residual) || residual === -Infinity) {
      throw new RangeError(`outbreakWeights requires numeric residuals, got ${residual}`)
    }
    sumOfInverseSquares += residual > threshold ? residual ** -2 : 1
  }
  const scale = residuals.length / sumOfInverseSquares
  return residuals.map((residual) => (residual > threshold ? scale * residual ** -2 : scale))
}

/**
 * Scaled Anscombe residuals of a quasi-Poisson fit, used by the Farrington algorithm to spot
 * past outbreaks in the baseline.
 *
 * The Anscombe residual of a Poisson count makes the count close to normal by the 2/3 power:
 * r_i = (3/2)·(y_i^(2/3) − mu_i^(2/3)) / mu_i^(1/6), written as
 * (3/2)·(y_i^(2/3)·mu_i^(−1/6) − mu_i^(1/2)). It is scaled by the standard deviation the model
 * gives it: s_i = r_i / sqrt(phi·(1 − h_ii)), with phi the dispersion and h_ii the leverage.
 *
 * Symbols: y_i → `response[i]`, mu_i → `fitted[i]`, h_ii → `hatValues[i]`, phi → `phi`,
 * s_i → the returned values.
 *
 * Variant: as surveillance codes it (`anscombe.residuals(m, phi)`), with phi already floored at
 * 1 by the caller (Farrington et al. 1996 §3.3), and the leverages of the IRLS working weights.
 *
 * Reference: Farrington et al. (1996), JRSS A 159(3), 547–563, §3.3; McCullagh & Nelder (1989),
 * Generalized Linear Models, 2nd ed., §2.4.2. Software matched: R surveillance 1.26 (checked on
 * 1.20.3) `anscombe.residuals(m, phi)`.
 *
 * @param input `response` (counts ≥ 0), `fitted` (means > 0), `hatValues` (leverages in [0, 1)),
 *   all of one length; `phi` the dispersion (> 0)
 * @returns s, one scaled residual per observation
 * @throws RangeError when the lengths differ or a value breaks its rule
 */
export interface AnscombeResidualsInput {
  readonly response: ArrayLike<number>
  readonly fitted: ArrayLike<number>
  readonly hatValues: ArrayLike<number>
  readonly phi: number
}

export function anscombeResiduals(input: AnscombeResidualsInput): number[] {
  const { response, fitted, hatValues, phi } = input
  const count = response.length
  if (fitted.length !== count || hatValues.length !== count) {
    throw new RangeError(
      `anscombeResiduals requires response, fitted and hatValues of one length, got ${count}, ${fitted.length}, ${hatValues.length}`,
    )
  }
  if (!(phi > 0) || !Number.isFinite(phi)) {
    throw new RangeError(`anscombeResiduals requires a positive dispersion, got ${phi}`)
  }
  const residuals = new Array<number>(count)
  for (let i = 0; i < count; i += 1) {
    const y = response[i]
    const mu = fitted[i]
    const leverage = hatValues[i]
    if (!(y >= 0) || !(mu > 0) || !(leverage >= 0 && leverage < 1)) {
      throw new RangeError(
        `anscombeResiduals requires response ≥ 0, fitted > 0 and hatValues in [0, 1), got ${y}, ${mu}, ${leverage} at ${i}`,
      )
    }
    const raw = 1.5 * (Math.cbrt(y * y) * mu ** (-1 / 6) - Math.sqrt(mu))
    residuals[i] = raw / Math.sqrt(phi * (1 - leverage))
  }
  return residuals
}

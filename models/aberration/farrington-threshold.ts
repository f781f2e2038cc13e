import normalCdf from '@stdlib/stats-base-dists-normal-cdf'
import normalQuantile from '@stdlib/stats-base-dists-normal-quantile'
import negativeBinomialCdf from '@stdlib/stats-base-dists-negative-binomial-cdf'
import poissonCdf from '@stdlib/stats-base-dists-poisson-cdf'
import poissonQuantile from '@stdlib/stats-base-dists-poisson-quantile'

/**
 * Farrington threshold: the lower and upper bound of the count expected in a quarter, the
 * probability of a count at least as large as the one seen, and the exceedance score.
 *
 * Method `delta` (Farrington et al. 1996 §3.4): the count is made nearly symmetric by a power
 * transform e (1 for `none`, 1/2, or 2/3, the default, which removes the skewness of a Poisson
 * count to first order); its variance follows by the delta method. With mu0 the predicted count,
 * se its standard error on the count scale and phi the dispersion, tau = phi + se²/mu0 and the
 * standard deviation of y^e is sqrt(mu0·tau) for e = 1, sqrt(tau/4) for e = 1/2 and
 * sqrt((4/9)·mu0^(1/3)·tau) for e = 2/3. The bounds are
 * (mu0^e ∓ z·sd)^(1/e), z = the (1 − alpha) normal quantile, the lower one floored at 0;
 * prob = P(N(mu0^e, sd²) > y^e). Methods `nbPlugin` and `muan` (Noufaily et al. 2013 §3): the
 * bounds are the alpha and 1 − alpha quantiles of a negative binomial with mean mu and variance
 * phi·mu (Poisson when phi = 1), where mu = exp(eta0) (`nbPlugin`) or exp(eta0 + z·se(eta0))
 * (`muan`, the upper bound of the mean); prob = P(Y ≥ y). In every method
 * score = (y − predFit)/(upper − predFit), and an alarm is score > 1 (y above the upper bound).
 *
 * Symbols: mu0 / eta0 → `predFit` (count scale for `delta`, log scale for the Noufaily methods,
 * as R passes them), se → `predSeFit`, phi → `phi`, alpha → `alpha`, y → `observed`, e →
 * `powerTransform`.
 *
 * Variant: exactly surveillance's `algo.farrington.threshold.farrington` and
 * `algo.farrington.threshold.noufaily`, including the Noufaily score computed against eta0 (as
 * coded in R) and R's `qnbinom`/`qpois` discrete quantiles (smallest k with P(Y ≤ k) ≥ p, with
 * R's relative fuzz of 64 machine epsilons).
 *
 * Reference: Farrington, Andrews, Beale & Catchpole (1996), JRSS A 159(3), 547–563, §3.4;
 * Noufaily, Enki, Farrington, Garthwaite, Andrews & Charlett (2013), Stat Med 32(7), 1206–1222.
 * Software matched: R surveillance 1.26 (checked on 1.20.3)
 * `algo.farrington.threshold.farrington(predFit, predSeFit, phi, skewness.transform, alpha, y)`
 * and `algo.farrington.threshold.noufaily(…, method = "nbPlugin" | "muan")`.
 *
 * @param input `predFit`, `predSeFit` (≥ 0), `phi` (> 0; ≥ 1 for the Noufaily methods), `alpha`
 *   in (0, 1), `observed` count y (≥ 0), `method` (default `delta`), `powerTransform` (default
 *   `2/3`, only for `delta`)
 * @returns [lower, upper, prob, score]
 * @throws RangeError when an input breaks its rule
 */
export type PowerTransform = 'none' | '1/2' | '2/3'
export type ThresholdMethod = 'delta' | 'nbPlugin' | 'muan'

export interface FarringtonThresholdInput {
  readonly predFit: number
  readonly predSeFit: number
  readonly phi: number
  readonly alpha: number
  readonly observed: number
  readonly method?: ThresholdMethod
  readonly powerTransform?: PowerTransform
}

export type FarringtonThreshold = readonly [
  lower: number,
  upper: number,
  prob: number,
  score: number,
]

const quantileFuzz = 1 - 64 * Number.EPSILON

/** R's qnbinom(p, size, prob): the smallest k with P(Y ≤ k) ≥ p·(1 − 64ε). */
function negativeBinomialQuantile(probability: number, size: number, success: number): number {
  const mean = (size * (1 - success)) / success
  const sd = Math.sqrt(mean / success)
  const target = probability * quantileFuzz
  let k = Math.max(0, Math.floor(mean + normalQuantile(probability, 0, 1) * sd))
  while (k > 0 && negativeBinomialCdf(k - 1, size, success) >= target) k -= 1
  while (negativeBinomialCdf(k, size, success) < target) k += 1
  return k
}

function requireFinite(value: number, name: string): void {
  if (!Number.isFinite(value)) {
    throw new RangeError(`farringtonThreshold requires a finite ${name}, got ${value}`)
  }
}

export function farringtonThreshold(input: FarringtonThresholdInput): FarringtonThreshold {
  const { predFit, predSeFit, phi, alpha, observed } = input
  const method = input.method ?? 'delta'
  requireFinite(predFit, 'predFit')
  requireFinite(predSeFit, 'predSeFit')
  requireFinite(observed, 'observed count')
  if (predSeFit < 0) {
    throw new RangeError(`farringtonThreshold requires a standard error ≥ 0, got ${predSeFit}`)
  }
  if (!(phi > 0) || !Number.isFinite(phi)) {
    throw new RangeError(`farringtonThreshold requires a positive dispersion, got ${phi}`)
  }
  if (!(alpha > 0 && alpha < 1)) {
    throw new RangeError(`farringtonThreshold requires alpha in (0, 1), got ${alpha}`)
  }
  if (observed < 0) {
    throw new RangeError(`farringtonThreshold requires an observed count ≥ 0, got ${observed}`)
  }
  const z = normalQuantile(1 - alpha, 0, 1)

  if (method === 'delta') {
    const mean = predFit
    if (!(mean > 0)) {
      throw new RangeError(
        `farringtonThreshold requires a positive predicted count for the delta method, got ${mean}`,
      )
    }
    const tau = phi + (predSeFit * predSeFit) / mean
    const transform = input.powerTransform ?? '2/3'
    let exponent: number
    let sd: number
    if (transform === 'none') {
      exponent = 1
      sd = Math.sqrt(mean * tau)
    } else if (transform === '1/2') {
      exponent = 1 / 2
      sd = Math.sqrt(tau / 4)
    } else if (transform === '2/3') {
      exponent = 2 / 3
      sd = Math.sqrt((4 / 9) * Math.cbrt(mean) * tau)
    } else {
      throw new RangeError(
        `farringtonThreshold requires powerTransform none, 1/2 or 2/3, got ${String(transform)}`,
      )
    }
    const centre = mean ** exponent
    // A negative base (lower bound below 0 on the transformed scale) gives NaN, as in R, and
    // is floored at 0 there (sort(na.last = FALSE) then max(0, NA, na.rm = TRUE)).
    // R sorts the pair: with e = 1/2 a negative base is squared and can never exceed the upper.
    const low = (centre - z * sd) ** (1 / exponent)
    const high = (centre + z * sd) ** (1 / exponent)
    const upper = Number.isNaN(low) ? high : Math.max(low, high)
    const lower = Number.isNaN(low) ? 0 : Math.max(0, Math.min(low, high))
    const prob = 1 - normalCdf(observed ** exponent, centre, sd)
    const score = (observed - predFit) / (upper - predFit)
    return [lower, upper, prob, score]
  }

  if (method !== 'nbPlugin' && method !== 'muan') {
    throw new RangeError(
      `farringtonThreshold requires method delta, nbPlugin or muan, got ${String(method)}`,
    )
  }
  if (phi < 1) {
    throw new RangeError(
      `farringtonThreshold requires a dispersion of at least 1 for ${method}, got ${phi}`,
    )
  }
  const mean = method === 'nbPlugin' ? Math.exp(predFit) : Math.exp(predFit + z * predSeFit)
  if (!Number.isFinite(mean)) return [Number.NaN, Number.NaN, Number.NaN, Number.NaN]
  let lower: number
  let upper: number
  let prob: number
  if (phi > 1) {
    const size = mean / (phi - 1)
    const success = 1 / phi
    lower = negativeBinomialQuantile(alpha, size, success)
    upper = negativeBinomialQuantile(1 - alpha, size, success)
    prob = observed >= 1 ? 1 - negativeBinomialCdf(observed - 1, size, success) : 1
  } else {
    lower = poissonQuantile(alpha, mean)
    upper = poissonQuantile(1 - alpha, mean)
    prob = observed >= 1 ? 1 - poissonCdf(observed - 1, mean) : 1
  }
  const score = (observed - predFit) / (upper - predFit)
  return [Math.max(0, lower), upper, prob, score]
}

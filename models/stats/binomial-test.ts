import binomialCdf from '@stdlib/stats-base-dists-binomial-cdf'
import binomialPmf from '@stdlib/stats-base-dists-binomial-pmf'

/**
 * Exact binomial test, two-sided p-value: how surprising is it to see `successes` out of
 * `trials` independent trials when each succeeds with probability `probability`?
 *
 * Formula: with X ~ Binomial(n = `trials`, p = `probability`) and x = `successes`, the
 * two-sided p-value is the total probability of every outcome k in 0..n that is at most as
 * likely as the one observed,
 *   p-value = min(1, Σ_k P(X = k) over all k with P(X = k) ≤ P(X = x) · (1 + 1e-7)).
 *
 * Variant: the "minimum likelihood" two-sided rule of R's `binom.test` (every outcome no more
 * probable than the observed one counts as at least as extreme), not "double the smaller
 * tail". The relative slack 1e-7 makes outcomes whose probability equals the observed one up
 * to rounding count as equally extreme (for p = 0.5 the mirror outcome).
 * As in R, the sum is taken as the observed tail plus the opposite tail beyond the last outcome
 * that is at most as likely (the distribution is unimodal), both read from the cumulative
 * distribution, so small p-values keep their relative precision. Special cases as R:
 * `probability` 0 gives 1 when `successes` is 0, else 0; `probability` 1 gives 1 when
 * `successes` equals `trials`, else 0; `successes` equal to n·p gives 1.
 *
 * Reference: R 4.2.2 `binom.test(x, n, p)$p.value` (stats package, alternative "two.sided");
 * matched to 1e-12 relative in `test/models/stats/binomial-test.test.ts`.
 *
 * @param successes - x, the observed number of successes; a whole number 0 ≤ x ≤ `trials`
 * @param trials - n, the number of independent trials; a whole number ≥ 1
 * @param probability - p, the success probability under the null hypothesis, 0 ≤ p ≤ 1
 * @returns the two-sided p-value, in [0, 1]
 * @throws {RangeError} when an argument breaks its precondition
 *
 * Complexity: O(log n) probability evaluations (the equally extreme outcomes form a contiguous tail).
 *
 * @example binomialTest(3, 10, 0.5) // 0.34375
 */
export function binomialTest(successes: number, trials: number, probability: number): number {
  if (!Number.isInteger(trials) || trials < 1) {
    throw new RangeError(`binomialTest requires trials to be a whole number of at least 1`)
  }
  if (!Number.isInteger(successes) || successes < 0 || successes > trials) {
    throw new RangeError(`binomialTest requires successes to be a whole number from 0 to trials`)
  }
  if (!(probability >= 0 && probability <= 1)) {
    throw new RangeError(`binomialTest requires a probability from 0 to 1`)
  }
  if (probability === 0) return successes === 0 ? 1 : 0
  if (probability === 1) return successes === trials ? 1 : 0

  const relativeSlack = 1 + 1e-7
  const observedProbability = binomialPmf(successes, trials, probability)
  const threshold = observedProbability * relativeSlack
  const expectedSuccesses = trials * probability
  // P(X > k), computed as P(Y < n − k) with Y ~ Binomial(n, 1 − p) so that a tiny upper tail
  // is not lost in 1 − P(X ≤ k)
  const upperTail = (k: number): number => binomialCdf(trials - k - 1, trials, 1 - probability)

  let pValue: number
  if (successes === expectedSuccesses) {
    pValue = 1
  } else if (successes < expectedSuccesses) {
    // outcomes above the mean at most as likely as the observed one; R counts them in a loop,
    // but above the mean the pmf never rises (the mode is at most ⌈n·p⌉), so they form a tail
    // [first, n] whose start a binary search finds in O(log n) instead of O(n)
    let low = Math.ceil(expectedSuccesses)
    let high = trials + 1
    while (low < high) {
      const middle = Math.floor((low + high) / 2)
      if (binomialPmf(middle, trials, probability) <= threshold) high = middle
      else low = middle + 1
    }
    const asExtremeAbove = trials + 1 - low
    pValue = binomialCdf(successes, trials, probability) + upperTail(trials - asExtremeAbove)
  } else {
    // outcomes below the mean at most as likely as the observed one: below the mean the pmf
    // never falls (the mode is at least ⌊n·p⌋), so they form a head [0, last], found by bisection
    let low = 0
    let high = Math.floor(expectedSuccesses) + 1
    while (low < high) {
      const middle = Math.floor((low + high) / 2)
      if (binomialPmf(middle, trials, probability) <= threshold) low = middle + 1
      else high = middle
    }
    const asExtremeBelow = low
    pValue = binomialCdf(asExtremeBelow - 1, trials, probability) + upperTail(successes - 1)
  }
  return Math.min(1, pValue)
}

/**
 * Mulberry32, a small seeded pseudo-random number generator (Tommy Ettinger's 32-bit state
 * generator, public domain, as used by e.g. fast-check's and d3-random's `lcg` siblings): each
 * call adds the constant 0x6D2B79F5 to a 32-bit state and scrambles it with two
 * multiply-xorshift rounds, returning the result divided by 2^32.
 *
 * For what: reproducible random choices in the statistics (cross-validation folds, bootstrap),
 * so a result is a function of its inputs and a recorded seed, never of the clock.
 * Not cryptographic; period 2^32.
 *
 * @param seed a whole number; taken modulo 2^32
 * @returns a function giving the next number in [0, 1) on each call
 * @throws TypeError when the seed is not a whole number
 * @example
 * const random = mulberry32(42)
 * random() // 0.6011037519201636, the same on every run
 */
export function mulberry32(seed: number): () => number {
  if (!Number.isInteger(seed)) {
    throw new TypeError(`mulberry32 requires a whole-number seed, got ${seed}`)
  }
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let mixed = state
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1)
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61)
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296
  }
}

/**
 * Draws `count` distinct integers from 0 … `size − 1` (a partial Fisher–Yates shuffle of
 * `scratch`, which must hold a permutation of 0 … size − 1 and is left permuted; reusing it across
 * draws keeps every draw uniform and avoids allocation). The drawn values are `scratch[0 … count−1]`.
 *
 * @param random a generator from {@link mulberry32}
 * @param scratch a permutation of 0 … size − 1 (mutated)
 * @param count how many to draw, 0 ≤ count ≤ scratch.length
 */
export function drawWithoutReplacement(
  random: () => number,
  scratch: Int32Array,
  count: number,
): void {
  const size = scratch.length
  for (let position = 0; position < count; position++) {
    const pick = position + Math.floor(random() * (size - position))
    const held = scratch[position]
    scratch[position] = scratch[pick]
    scratch[pick] = held
  }
}

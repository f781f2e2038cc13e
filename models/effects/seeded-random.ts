import { mulberry32 } from '../stats/seeded-random.js'
/**
 * Seeded pseudo-random numbers (Mulberry32, Tommy Ettinger's 32-bit generator): a tiny,
 * deterministic source of uniform numbers in [0, 1) for the resampling steps of `models/effects`
 * (placebo groups, power simulations), so a result depends only on its inputs and its seed.
 *
 * The state is one 32-bit integer advanced by the constant 0x6D2B79F5; each output mixes it with
 * two multiply–xorshift rounds. Period 2^32, which is ample for a few thousand draws per call; it
 * is not a cryptographic generator.
 *
 * @param seed any finite number; its low 32 bits seed the state
 * @returns a function returning the next uniform number in [0, 1)
 * @throws TypeError when the seed is not a finite number
 */
export function createSeededRandom(seed: number): () => number {
  if (!Number.isFinite(seed)) {
    throw new TypeError('createSeededRandom requires a finite numeric seed, pass e.g. 1')
  }
  // The same generator as the rest of models/: one implementation (seed >>> 0 truncates as trunc).
  return mulberry32(Math.trunc(seed))
}

/**
 * Draws `count` distinct integers from 0 … `size − 1` (a partial Fisher–Yates shuffle of
 * `scratch`, which must hold a permutation of 0 … size − 1 and is left permuted; reusing it across
 * draws keeps every draw uniform and avoids allocation). The drawn values are `scratch[0 … count−1]`.
 *
 * @param random a generator from {@link createSeededRandom}
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

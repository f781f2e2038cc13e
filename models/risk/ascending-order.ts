const littleEndian = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1

/**
 * The permutation that sorts numbers ascending, ties kept in index order (a stable argsort), for
 * ranking and cutting hundreds of thousands of risks without a comparator call per pair.
 *
 * A least-significant-digit radix sort (Knuth 1998, The Art of Computer Programming vol. 3,
 * §5.2.5) on the IEEE 754 bit patterns made to order like the numbers: every bit of a negative
 * value flipped, only the sign bit of any other, then eight passes of a stable counting sort on
 * 8-bit digits, lowest first (a pass is skipped when every value shares its digit). −0 sorts
 * before +0, which are equal as numbers, so compare values (not positions) to find ties.
 *
 * @param values finite numbers (not mutated)
 * @returns indices into `values`, so that values[order[0]] ≤ values[order[1]] ≤ …
 * @throws TypeError when a value is NaN
 * Cost: O(n) time (at most eight passes), O(n) memory.
 */
export function ascendingOrder(values: Float64Array): Int32Array {
  const count = values.length
  const words = new Uint32Array(values.buffer, values.byteOffset, count * 2)
  const highWord = littleEndian ? 1 : 0
  const lowKeys = new Uint32Array(count)
  const highKeys = new Uint32Array(count)
  for (let index = 0; index < count; index += 1) {
    if (Number.isNaN(values[index])) {
      throw new TypeError(`ascendingOrder requires numbers, index ${index} is NaN`)
    }
    const high = words[2 * index + highWord]
    const low = words[2 * index + 1 - highWord]
    const negative = high >>> 31 === 1
    highKeys[index] = negative ? ~high >>> 0 : (high | 0x80000000) >>> 0
    lowKeys[index] = negative ? ~low >>> 0 : low
  }
  let order = new Int32Array(count)
  for (let index = 0; index < count; index += 1) order[index] = index
  let next = new Int32Array(count)
  const starts = new Int32Array(257)
  for (let digit = 0; digit < 8; digit += 1) {
    const keys = digit < 4 ? lowKeys : highKeys
    const shift = (digit % 4) * 8
    starts.fill(0)
    for (let index = 0; index < count; index += 1) starts[((keys[index] >>> shift) & 255) + 1] += 1
    let shared = false
    for (let value = 0; value < 256; value += 1) {
      if (starts[value + 1] === count) shared = true
      starts[value + 1] += starts[value]
    }
    if (shared) continue
    for (let position = 0; position < count; position += 1) {
      const index = order[position]
      next[starts[(keys[index] >>> shift) & 255]++] = index
    }
    const sorted = next
    next = order
    order = sorted
  }
  return order
}

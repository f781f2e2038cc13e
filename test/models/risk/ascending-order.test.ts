import t from 'tap'
import fc from 'fast-check'
import { ascendingOrder } from '../../../models/risk/ascending-order.js'

t.test('when values are sorted, then the order matches a stable comparator sort', async (t) => {
  const value = fc.oneof(
    fc.double({ noNaN: true }),
    fc.constantFrom(0, -0, 1, -1, 0.5, Number.MIN_VALUE, -Number.MAX_VALUE, Infinity, -Infinity),
  )
  fc.assert(
    fc.property(fc.array(value, { maxLength: 300 }), (values) => {
      const input = Float64Array.from(values)
      const order = ascendingOrder(input)
      // Array.prototype.sort is stable, so equal values keep index order; −0 comes before +0.
      const negativeZero = (index: number) => Number(Object.is(values[index], -0))
      const expected = values
        .map((_, index) => index)
        .sort((a, b) => values[a] - values[b] || negativeZero(b) - negativeZero(a))
      return (
        order.length === expected.length &&
        expected.every((index, position) => order[position] === index) &&
        input.every((value, index) => Object.is(value, values[index]))
      )
    }),
    { numRuns: 300, seed: 17 },
  )
  t.pass('the property held for every generated case')
})

t.test('when values tie, then they keep their index order', async (t) => {
  // By hand: 0.2 at 0 and 3, 0.1 at 1, −0 at 2 and +0 at 4 (equal numbers, −0 first by its bits).
  const values = Float64Array.from([0.2, 0.1, -0, 0.2, 0])
  t.same(Array.from(ascendingOrder(values)), [2, 4, 1, 0, 3])
})

t.test('when a subarray is given, then indices are relative to it', async (t) => {
  const values = Float64Array.from([9, 3, 1, 2])
  t.same(Array.from(ascendingOrder(values.subarray(1))), [1, 2, 0])
})

t.test('when a value is NaN, then it throws a TypeError', async (t) => {
  t.throws(() => ascendingOrder(Float64Array.from([1, Number.NaN])), {
    name: 'TypeError',
    message: /^ascendingOrder requires numbers/,
  })
})

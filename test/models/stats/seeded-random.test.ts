import t from 'tap'
import { drawWithoutReplacement, mulberry32 } from '../../../models/stats/seeded-random.js'

t.test('mulberry32', async (t) => {
  t.test(
    'when two generators share a seed, then they give the same sequence in [0, 1)',
    async (t) => {
      const first = mulberry32(42)
      const second = mulberry32(42)
      for (let index = 0; index < 1000; index++) {
        const value = first()
        t.equal(value, second())
        if (!(value >= 0 && value < 1)) t.fail(`out of range ${value}`)
      }
    },
  )

  t.test('when drawing without replacement, then the drawn values are distinct', async (t) => {
    const random = mulberry32(1)
    const scratch = Int32Array.from({ length: 20 }, (_, index) => index)
    drawWithoutReplacement(random, scratch, 10)
    t.equal(new Set(scratch.subarray(0, 10)).size, 10)
    t.same(
      [...scratch].sort((a, b) => a - b),
      Array.from({ length: 20 }, (_, index) => index),
    )
  })

  t.test('when the seed is not a whole number, then it throws', async (t) => {
    t.throws(() => mulberry32(Number.NaN), { message: /mulberry32 requires a whole-number seed/ })
  })

  t.test('when seeded with 42, then the first number is the documented one', async (t) => {
    t.equal(mulberry32(42)(), 0.6011037519201636)
  })
})

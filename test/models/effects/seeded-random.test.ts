import t from 'tap'
import {
  createSeededRandom,
  drawWithoutReplacement,
} from '../../../models/effects/seeded-random.js'

t.test('createSeededRandom', async (t) => {
  t.test(
    'when two generators share a seed, then they give the same sequence in [0, 1)',
    async (t) => {
      const first = createSeededRandom(42)
      const second = createSeededRandom(42)
      for (let index = 0; index < 1000; index++) {
        const value = first()
        t.equal(value, second())
        if (!(value >= 0 && value < 1)) t.fail(`out of range ${value}`)
      }
    },
  )

  t.test('when drawing without replacement, then the drawn values are distinct', async (t) => {
    const random = createSeededRandom(1)
    const scratch = Int32Array.from({ length: 20 }, (_, index) => index)
    drawWithoutReplacement(random, scratch, 10)
    t.equal(new Set(scratch.subarray(0, 10)).size, 10)
    t.same(
      [...scratch].sort((a, b) => a - b),
      Array.from({ length: 20 }, (_, index) => index),
    )
  })

  t.test('when the seed is not finite, then it throws', async (t) => {
    t.throws(() => createSeededRandom(Number.NaN), {
      message: /createSeededRandom requires a finite numeric seed/,
    })
  })
})

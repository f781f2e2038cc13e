import t from 'tap'
import { simulatePower, type PowerUnit } from '../../../models/effects/power.js'
import { mulberry32 } from '../../../models/stats/seeded-random.js'

/**
 * Seeded factor-model history (no intervention in it): `count` areas over 40 quarters, rate
 * level 0.004–0.006, a common seasonal factor with unit loadings and independent noise of sd
 * 0.0004, populations 200–800.
 */
function simulateHistory(seed: number, count: number, prefix: string): PowerUnit[] {
  const random = mulberry32(seed)
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random())
  return Array.from({ length: count }, (_, unit) => {
    const level = 0.004 + 0.002 * random()
    const loading = 0.5 + random()
    return Object.freeze({
      id: `${prefix}${String(unit).padStart(3, '0')}`,
      outcome: Object.freeze(
        Array.from(
          { length: 40 },
          (_, time) => level + 0.0006 * loading * Math.sin(time / 2) + 0.0004 * normal(),
        ),
      ),
      population: 200 + Math.floor(600 * random()),
    })
  })
}

const donors = simulateHistory(31, 150, 'D')
const candidates = simulateHistory(32, 20, 'C')

t.test('simulatePower', async (t) => {
  t.test('when more candidate areas are planned, then the MDE is smaller', async (t) => {
    const few = simulatePower(candidates.slice(0, 2), donors, { horizon: 4 })
    const many = simulatePower(candidates, donors, { horizon: 4 })
    t.ok(few.mdeRelative !== null && many.mdeRelative !== null)
    t.ok(many.mdeRelative! < few.mdeRelative!, `${many.mdeRelative} < ${few.mdeRelative}`)
    t.equal(many.windowCount, 40 - 8 - 4 + 1)
    t.equal(many.mdeAbsolute, many.mdeRelative! * many.baselineRate)
    t.ok(many.baselineRate > 0.004 && many.baselineRate < 0.006)
  })

  t.test('when no effect is injected, then it is rarely detected (size near α)', async (t) => {
    // effect 0: the share of windows flagged is the test's false-positive rate
    const result = simulatePower(candidates, donors, { horizon: 4, effect: 0 })
    t.ok(result.powerAtEffect! <= 0.2, `size ${result.powerAtEffect}`)
  })

  t.test('when the effect grows, then the power reaches 1 and stays in 0–1', async (t) => {
    const result = simulatePower(candidates, donors, { horizon: 4, effect: -0.9 })
    t.ok(result.curve.every((point) => point.power >= 0 && point.power <= 1))
    t.equal(result.curve[result.curve.length - 1].power, 1)
    t.ok(result.powerAtEffect! >= result.targetPower)
    const atMde = result.curve.find((point) => point.relativeEffect === result.mdeRelative)!
    t.ok(atMde.power >= 0.8)
  })

  t.test(
    'when run twice with the same seed and frozen inputs, then the result is identical',
    async (t) => {
      const first = simulatePower(candidates.slice(0, 5), donors, { horizon: 3, seed: 7 })
      const second = simulatePower(candidates.slice(0, 5), donors, { horizon: 3, seed: 7 })
      t.same(first, second)
      t.equal(first.seed, 7)
    },
  )

  t.test(
    'when the history is too short or donors are too few, then it throws naming the fix',
    async (t) => {
      const short = candidates.map((unit) => ({ ...unit, outcome: unit.outcome.slice(0, 5) }))
      const shortDonors = donors.map((unit) => ({ ...unit, outcome: unit.outcome.slice(0, 5) }))
      t.throws(() => simulatePower(short, shortDonors, { horizon: 4 }), {
        message: /simulatePower requires at least horizon \+ 2 periods/,
      })
      t.throws(() => simulatePower(candidates, donors.slice(0, 3), { horizon: 4 }), {
        message: /simulatePower requires at least as many donors as candidates/,
      })
      t.throws(() => simulatePower(candidates, [candidates[0], ...donors], { horizon: 4 }), {
        message: /simulatePower requires donors outside the candidates/,
      })
      t.throws(() => simulatePower(candidates, donors, { horizon: 0 }), {
        message: /simulatePower requires a whole horizon/,
      })
    },
  )
})

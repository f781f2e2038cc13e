import t from 'tap'
import fc from 'fast-check'
import { riskRanks } from '../../../models/risk/risk-ranks.js'

t.test(
  'when risks tie within a municipality, then ties share the best rank and the percentile',
  async (t) => {
    // By hand: GM0001 risks 0.3, 0.1, 0.3, 0.2 → ranks 1, 4, 1, 3; shares ≤: 4/4, 1/4, 4/4, 2/4.
    // R: rank(-r, ties.method = "min") and 100 * ecdf(r)(r).
    const ranks = riskRanks(
      Object.freeze([
        { risk: 0.3, group: 'GM0001' },
        { risk: 0.1, group: 'GM0001' },
        { risk: 0.3, group: 'GM0001' },
        { risk: 0.2, group: 'GM0001' },
        { risk: 0.5, group: 'GM0002' },
      ]),
    )
    t.same(
      ranks.map((rank) => [rank.rank, rank.percentile]),
      [
        [1, 100],
        [4, 25],
        [1, 100],
        [3, 50],
        [1, 100],
      ],
    )
    t.same(
      ranks.map((rank) => [rank.rank_national, rank.percentile_national]),
      [
        [2, 80],
        [5, 20],
        [2, 80],
        [4, 40],
        [1, 100],
      ],
    )
  },
)

t.test('when rows are permuted, then each row keeps its rank and percentile', async (t) => {
  const row = fc.record({
    risk: fc.double({ min: 0, max: 1, noNaN: true }),
    group: fc.constantFrom('GM1', 'GM2', 'GM3'),
  })
  fc.assert(
    fc.property(fc.array(row, { minLength: 1, maxLength: 40 }), fc.nat(), (rows, shift) => {
      const ranks = riskRanks(rows)
      const rotation = shift % rows.length
      const rotated = [...rows.slice(rotation), ...rows.slice(0, rotation)]
      const rotatedRanks = riskRanks(rotated)
      return rows.every((_, index) => {
        const moved = (index - rotation + rows.length) % rows.length
        const a = ranks[index]
        const b = rotatedRanks[moved]
        return (
          a.rank === b.rank &&
          a.percentile === b.percentile &&
          a.rank_national === b.rank_national &&
          a.percentile > 0 &&
          a.percentile <= 100
        )
      })
    }),
    { numRuns: 200, seed: 3 },
  )
  t.pass('the property held for every generated case')
})

t.test('when a risk is not a number, then it throws a TypeError', async (t) => {
  t.throws(() => riskRanks([{ risk: Number.NaN, group: 'GM1' }]), {
    name: 'TypeError',
    message: /^riskRanks requires a finite risk/,
  })
})

import t from 'tap'
import fc from 'fast-check'
import { riskRanks } from '../../../models/risk/risk-ranks.js'

t.test(
  'when risks tie within a municipality, then ties share the best rank and the percentile',
  async (t) => {
    // By hand: GM0001 risks 0.3, 0.1, 0.3, 0.2 → ranks 1, 4, 1, 3; shares ≤: 4/4, 1/4, 4/4, 2/4.
    // R: rank(-r, ties.method = "min") and 100 * ecdf(r)(r).
    const ranks = riskRanks(
      Object.freeze({
        risk: Object.freeze([0.3, 0.1, 0.3, 0.2, 0.5]),
        group: Object.freeze(['GM0001', 'GM0001', 'GM0001', 'GM0001', 'GM0002']),
      }),
    )
    t.same(
      Array.from(ranks.rank, (rank, index) => [rank, ranks.percentile[index]]),
      [
        [1, 100],
        [4, 25],
        [1, 100],
        [3, 50],
        [1, 100],
      ],
    )
    t.same(
      Array.from(ranks.rank_national, (rank, index) => [rank, ranks.percentile_national[index]]),
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
      const columns = (list: typeof rows) => ({
        risk: list.map((entry) => entry.risk),
        group: list.map((entry) => entry.group),
      })
      const ranks = riskRanks(columns(rows))
      const rotation = shift % rows.length
      const rotated = [...rows.slice(rotation), ...rows.slice(0, rotation)]
      const rotatedRanks = riskRanks(columns(rotated))
      // The same ranks from the definitions, by counting (R: rank(-risk, ties.method = "min")).
      return rows.every((entry, index) => {
        const moved = (index - rotation + rows.length) % rows.length
        const peers = rows.filter((other) => other.group === entry.group)
        const higher = peers.filter((other) => other.risk > entry.risk).length
        const higherNational = rows.filter((other) => other.risk > entry.risk).length
        return (
          ranks.rank[index] === rotatedRanks.rank[moved] &&
          ranks.percentile[index] === rotatedRanks.percentile[moved] &&
          ranks.rank_national[index] === rotatedRanks.rank_national[moved] &&
          ranks.rank[index] === 1 + higher &&
          ranks.percentile[index] === (100 * (peers.length - higher)) / peers.length &&
          ranks.rank_national[index] === 1 + higherNational &&
          ranks.percentile[index] > 0 &&
          ranks.percentile[index] <= 100
        )
      })
    }),
    { numRuns: 200, seed: 3 },
  )
  t.pass('the property held for every generated case')
})

t.test(
  'when a risk is not a number or a group is missing, then it throws a TypeError',
  async (t) => {
    t.throws(() => riskRanks({ risk: [Number.NaN], group: ['GM1'] }), {
      name: 'TypeError',
      message: /^riskRanks requires a finite risk/,
    })
    t.throws(() => riskRanks({ risk: [0.1, 0.2], group: ['GM1'] }), {
      name: 'TypeError',
      message: /^riskRanks requires one group per risk/,
    })
  },
)

import t from 'tap'
import fc from 'fast-check'
import { closestDonors } from '../../../../models/effects/synthetic-control/index.js'

/** Squared Euclidean distance over the first `preCount` values: the plain reference route. */
function squaredDistance(a: readonly number[], b: readonly number[], preCount: number): number {
  let sum = 0
  for (let t = 0; t < preCount; t++) sum += (a[t] - b[t]) ** 2
  return sum
}

const quarters = 6
const pathArbitrary = fc.array(
  fc.integer({ min: 0, max: 40 }).map((value) => value / 200),
  { minLength: quarters, maxLength: quarters },
)
/** Candidates with distinct ids; rates on a coarse grid so that ties in distance occur. */
const problemArbitrary = fc.record({
  treated: fc.array(pathArbitrary, { minLength: 1, maxLength: 4 }),
  candidates: fc.uniqueArray(fc.tuple(fc.stringMatching(/^BU\d{3}$/), pathArbitrary), {
    minLength: 0,
    maxLength: 25,
    selector: ([id]) => id,
  }),
  preCount: fc.integer({ min: 0, max: quarters }),
  maxDonors: fc.integer({ min: 0, max: 30 }),
})

t.test('closestDonors', async (t) => {
  t.test('when worked by hand, then the pool is the nearest paths, ties by code', async (t) => {
    // Hand-worked (values are multiples of 1/8, so every step below is exact in float64).
    // Treated paths (0.125, 0.25, 9) and (0.375, 0.5, 9); preCount 2, so the third quarter is
    // never read. Target = their mean over the first two quarters = (0.25, 0.375).
    //   candidate  path               squared distance to the target
    //   A          (0.25,  0.375, 0)  0² + 0²                    = 0
    //   B          (0.375, 0.375, 0)  0.125² + 0²                = 0.015625
    //   D          (0.125, 0.375, 0)  0.125² + 0²                = 0.015625  (ties with B)
    //   C          (0.25,  0.625, 0)  0² + 0.25²                 = 0.0625
    //   E          (0,     0,     0)  0.25² + 0.375²             = 0.203125
    // maxDonors 3 → A, then B and D (equal distance, B first by code); C and E left out.
    const treated = [
      [0.125, 0.25, 9],
      [0.375, 0.5, 9],
    ]
    const candidates = new Map([
      ['E', [0, 0, 0]],
      ['D', [0.125, 0.375, 0]],
      ['C', [0.25, 0.625, 0]],
      ['B', [0.375, 0.375, 0]],
      ['A', [0.25, 0.375, 0]],
    ])
    t.same(closestDonors(treated, candidates, 2, 3), ['A', 'B', 'D'])
    t.same(closestDonors(treated, candidates, 2, 10), ['A', 'B', 'D', 'C', 'E'])
  })

  t.test('when every distance ties, then the pool is the first identifiers', async (t) => {
    // preCount 0 compares nothing: every distance is 0
    const candidates = new Map([
      ['BU3', [1]],
      ['BU1', [2]],
      ['BU2', [3]],
    ])
    t.same(closestDonors([[0]], candidates, 0, 2), ['BU1', 'BU2'])
  })

  t.test('when candidates come in any order, then the pool is the same', async (t) => {
    fc.assert(
      fc.property(
        problemArbitrary.chain((problem) =>
          fc.record({
            problem: fc.constant(problem),
            shuffled: fc.shuffledSubarray(problem.candidates, {
              minLength: problem.candidates.length,
              maxLength: problem.candidates.length,
            }),
          }),
        ),
        ({ problem, shuffled }) => {
          const { treated, candidates, preCount, maxDonors } = problem
          const inOrder = closestDonors(treated, candidates, preCount, maxDonors)
          const reordered = closestDonors(treated, shuffled, preCount, maxDonors)
          return JSON.stringify(inOrder) === JSON.stringify(reordered)
        },
      ),
      { numRuns: 300, seed: 11 },
    )
    t.pass('property held')
  })

  t.test('when any pool is drawn, then it has min(maxDonors, candidates) members', async (t) => {
    fc.assert(
      fc.property(problemArbitrary, ({ treated, candidates, preCount, maxDonors }) => {
        const pool = closestDonors(treated, candidates, preCount, maxDonors)
        return (
          pool.length === Math.min(maxDonors, candidates.length) &&
          new Set(pool).size === pool.length
        )
      }),
      { numRuns: 300, seed: 12 },
    )
    t.pass('property held')
  })

  t.test(
    'when any pool is drawn, then no candidate left out is nearer than one in it',
    async (t) => {
      fc.assert(
        fc.property(problemArbitrary, ({ treated, candidates, preCount, maxDonors }) => {
          // the same sums in the same order as the function, so distances compare exactly
          const target = Array.from(
            { length: preCount },
            (_, q) => treated.reduce((sum, path) => sum + path[q], 0) / treated.length,
          )
          const distance = new Map(
            candidates.map(([id, path]) => [id, squaredDistance(path, target, preCount)]),
          )
          const pool = closestDonors(treated, candidates, preCount, maxDonors)
          const chosen = new Set(pool)
          const farthestIn = Math.max(...pool.map((id) => distance.get(id)!))
          return candidates.every(([id]) => chosen.has(id) || distance.get(id)! >= farthestIn)
        }),
        { numRuns: 300, seed: 13 },
      )
      t.pass('property held')
    },
  )

  t.test('when the inputs are frozen, then they are read and not changed', async (t) => {
    fc.assert(
      fc.property(problemArbitrary, ({ treated, candidates, preCount, maxDonors }) => {
        const before = JSON.stringify([treated, candidates])
        const frozenTreated = Object.freeze(treated.map((path) => Object.freeze([...path])))
        const frozenCandidates = Object.freeze(
          candidates.map(([id, path]) => Object.freeze([id, Object.freeze([...path])] as const)),
        )
        closestDonors(frozenTreated, frozenCandidates, preCount, maxDonors)
        return JSON.stringify([frozenTreated, frozenCandidates]) === before
      }),
      { numRuns: 100, seed: 14 },
    )
    t.pass('property held')
  })

  t.test('when the input is malformed, then it throws naming the rule', async (t) => {
    const candidates = new Map([['BU1', [0.1, 0.2]]])
    t.throws(() => closestDonors([], candidates, 2, 1), {
      message: /closestDonors requires at least one treated path/,
    })
    t.throws(() => closestDonors([[0.1, 0.2]], candidates, 3, 1), {
      message: /closestDonors requires 3 pre-period values per path, a treated path has 2/,
    })
    t.throws(() => closestDonors([[0.1, Number.NaN]], candidates, 2, 1), {
      message: /closestDonors requires finite pre-period values, a treated path has NaN at 1/,
    })
    t.throws(() => closestDonors([[0.1, 0.2]], candidates, 1.5, 1), {
      message: /closestDonors requires preCount to be a whole number/,
    })
    t.throws(() => closestDonors([[0.1, 0.2]], candidates, 2, -1), {
      message: /closestDonors requires maxDonors to be a whole number/,
    })
    t.throws(
      () =>
        closestDonors(
          [[0.1, 0.2]],
          [
            ['BU1', [0.1, 0.2]],
            ['BU1', [0.3, 0.4]],
          ],
          2,
          1,
        ),
      { message: /closestDonors requires distinct candidate ids, BU1 appears twice/ },
    )
  })
})

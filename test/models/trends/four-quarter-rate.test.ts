import t from 'tap'
import fc from 'fast-check'
import { fourQuarterRate, type QuarterlyCount } from '../../../models/trends/four-quarter-rate.js'

const propertyRuns = { seed: 20261125, numRuns: 200 }

/** Nine consecutive quarters across a year boundary, counts and populations chosen by hand. */
const nineQuarters: QuarterlyCount[] = [
  { period: '2023Q1', count: 3, population: 1000 },
  { period: '2023Q2', count: 5, population: 1010 },
  { period: '2023Q3', count: 2, population: 1020 },
  { period: '2023Q4', count: 4, population: 1030 },
  { period: '2024Q1', count: 6, population: 1040 },
  { period: '2024Q2', count: 7, population: 1050 },
  { period: '2024Q3', count: 5, population: 1060 },
  { period: '2024Q4', count: 8, population: 1070 },
  { period: '2025Q1', count: 9, population: 1080 },
]

t.test('fourQuarterRate', async (t) => {
  t.test(
    'when four consecutive quarters are complete, then the rate is Σcount / Σpopulation',
    async (t) => {
      // by hand: 2023Q4 = (3+5+2+4)/(1000+1010+1020+1030) = 14/4060; 2024Q1 = 17/4100 (crosses the year)
      const rates = fourQuarterRate(nineQuarters)
      t.same(
        rates.map(({ period, count, population }) => ({ period, count, population })),
        [
          { period: '2023Q4', count: 14, population: 4060 },
          { period: '2024Q1', count: 17, population: 4100 },
          { period: '2024Q2', count: 19, population: 4140 },
          { period: '2024Q3', count: 22, population: 4180 },
          { period: '2024Q4', count: 26, population: 4220 },
          { period: '2025Q1', count: 29, population: 4260 },
        ],
      )
      t.equal(rates[0].rate, 14 / 4060)
      t.equal(rates[5].rate, 29 / 4260)
    },
  )

  t.test(
    'when a quarter is absent, then the four windows containing it have no rate',
    async (t) => {
      // 2024Q2 missing: 2024Q1's window (2023Q2..2024Q1) is fine, 2024Q3 must not borrow the previous row
      const withGap = nineQuarters.filter((row) => row.period !== '2024Q2')
      t.same(
        fourQuarterRate(withGap).map((entry) => entry.period),
        ['2023Q4', '2024Q1'],
      )
    },
  )

  t.test(
    'when a quarter has a null count or population, then the windows containing it have no rate',
    async (t) => {
      const withNull = nineQuarters.map((row) =>
        row.period === '2023Q3'
          ? { ...row, count: null }
          : row.period === '2024Q4'
            ? { ...row, population: null }
            : row,
      )
      // 2023Q3 spoils the windows ending 2023Q4, 2024Q1, 2024Q2; 2024Q4 those ending 2024Q4, 2025Q1
      t.same(
        fourQuarterRate(withNull).map((entry) => entry.period),
        ['2024Q3'],
      )
    },
  )

  t.test('when the four populations sum to 0, then the rate is left out', async (t) => {
    const empty = ['2024Q1', '2024Q2', '2024Q3', '2024Q4'].map((period) => ({
      period,
      count: 0,
      population: 0,
    }))
    t.same(fourQuarterRate(empty), [])
  })

  t.test(
    'when periods use other accepted spellings, then results carry the canonical form',
    async (t) => {
      const spelled = [
        { period: '2024KW01', count: 1, population: 100 },
        { period: '2024-Q2', count: 2, population: 100 },
        { period: '2024 Q3', count: 3, population: 100 },
        { period: '2024q4', count: 4, population: 100 },
      ]
      t.same(fourQuarterRate(spelled), [
        { period: '2024Q4', rate: 0.025, count: 10, population: 400 },
      ])
    },
  )

  t.test('when the series is empty, then there are no rates', async (t) => {
    t.same(fourQuarterRate([]), [])
  })

  t.test('when a period is not a quarter, then a TypeError names it', async (t) => {
    t.throws(() => fourQuarterRate([{ period: '2024-07', count: 1, population: 10 }]), {
      name: 'TypeError',
      message: /^fourQuarterRate requires periods like 2024Q3, got "2024-07"$/,
    })
  })

  t.test('when a quarter occurs twice, then a RangeError names it', async (t) => {
    t.throws(
      () =>
        fourQuarterRate([
          { period: '2024Q3', count: 1, population: 10 },
          { period: '2024-Q3', count: 2, population: 10 },
        ]),
      {
        name: 'RangeError',
        message: /^fourQuarterRate requires one row per quarter, got 2024Q3 twice$/,
      },
    )
  })

  t.test(
    'when a count or population is negative or fractional, then a RangeError names it',
    async (t) => {
      t.throws(() => fourQuarterRate([{ period: '2024Q3', count: -1, population: 10 }]), {
        name: 'RangeError',
        message:
          /^fourQuarterRate requires each count to be a whole number of at least 0 or null, got -1 at 2024Q3$/,
      })
      t.throws(() => fourQuarterRate([{ period: '2024Q3', count: 1, population: 10.5 }]), {
        name: 'RangeError',
        message: /requires each population/,
      })
    },
  )

  t.test(
    'when the rows come in any order, then the rates are the same and sorted by period',
    async (t) => {
      const expected = fourQuarterRate(nineQuarters)
      fc.assert(
        fc.property(
          fc.shuffledSubarray(nineQuarters, {
            minLength: nineQuarters.length,
            maxLength: nineQuarters.length,
          }),
          (shuffled) => JSON.stringify(fourQuarterRate(shuffled)) === JSON.stringify(expected),
        ),
        propertyRuns,
      )
      t.pass('row-order invariant')
    },
  )

  t.test(
    'when rows are generated at random, then each rate pools exactly its own four quarters',
    async (t) => {
      const quarterRow = fc.record({
        count: fc.option(fc.integer({ min: 0, max: 50 }), { nil: null, freq: 8 }),
        population: fc.option(fc.integer({ min: 50, max: 500 }), { nil: null, freq: 8 }),
      })
      fc.assert(
        fc.property(fc.array(quarterRow, { minLength: 4, maxLength: 16 }), (rows) => {
          const series = rows.map((row, index) => ({
            period: `${2020 + Math.floor(index / 4)}Q${(index % 4) + 1}`,
            ...row,
          }))
          const rates = fourQuarterRate(series)
          const expectedPeriods = series
            .filter(
              (_, end) =>
                end >= 3 &&
                series
                  .slice(end - 3, end + 1)
                  .every((row) => row.count !== null && row.population !== null),
            )
            .map((row) => row.period)
          return (
            JSON.stringify(rates.map((entry) => entry.period)) ===
              JSON.stringify(expectedPeriods) &&
            rates.every((entry) => {
              const end = series.findIndex((row) => row.period === entry.period)
              const window = series.slice(end - 3, end + 1)
              const count = window.reduce((sum, row) => sum + (row.count as number), 0)
              const population = window.reduce((sum, row) => sum + (row.population as number), 0)
              return (
                entry.count === count &&
                entry.population === population &&
                entry.rate === count / population
              )
            })
          )
        }),
        propertyRuns,
      )
      t.pass('windows and sums as defined')
    },
  )

  t.test('when the input is frozen, then it is not mutated', async (t) => {
    const frozen = Object.freeze(nineQuarters.map((row) => Object.freeze({ ...row })))
    t.doesNotThrow(() => fourQuarterRate(frozen))
    t.same(frozen, nineQuarters)
  })
})

import t from 'tap'
import fc from 'fast-check'
import { yearOverYear, type QuarterlyCount } from '../../../models/trends/year-over-year.js'
import { describeGap, withinRelative } from '../../support/tolerance.js'

/**
 * Agreement with R: R prints 17 significant digits; our binomial tails come from @stdlib
 * (log-pmf, betainc) instead of R's dbinom/pbeta, which differ in the last 2–3 digits.
 */
const agreementWithR = 1e-12
const propertyRuns = { seed: 20261125, numRuns: 200 }

/** Nine consecutive quarters, hand-chosen; 4-quarter sums: 2023Q4 14/4060 … 2025Q1 29/4260. */
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

t.test('yearOverYear', async (t) => {
  t.test(
    'when both 4-quarter windows exist, then rates, change and the R p-value are given',
    async (t) => {
      const entries = yearOverYear(nineQuarters)
      t.same(
        entries.map((entry) => entry.period),
        ['2024Q4', '2025Q1'],
      )
      const [at2024Q4, at2025Q1] = entries
      t.same(
        {
          count: at2024Q4.count,
          population: at2024Q4.population,
          count_prev_year: at2024Q4.count_prev_year,
          population_prev_year: at2024Q4.population_prev_year,
        },
        { count: 26, population: 4220, count_prev_year: 14, population_prev_year: 4060 },
      )
      t.equal(at2024Q4.rate, 26 / 4220)
      t.equal(at2024Q4.rate_prev_year, 14 / 4060)
      t.equal(at2024Q4.change, 26 / 4220 - 14 / 4060)
      t.equal(at2024Q4.relative_change, (26 / 4220 - 14 / 4060) / (14 / 4060))
      // R 4.2.2: poisson.test(c(26, 14), c(4220, 4060))$p.value -> 0.082944928676579904
      t.ok(
        withinRelative(at2024Q4.p_value, 0.082944928676579904, agreementWithR),
        describeGap(at2024Q4.p_value, 0.082944928676579904),
      )
      // R 4.2.2: poisson.test(c(29, 17), c(4260, 4100))$p.value -> 0.10670964597649958
      t.ok(
        withinRelative(at2025Q1.p_value, 0.10670964597649958, agreementWithR),
        describeGap(at2025Q1.p_value, 0.10670964597649958),
      )
    },
  )

  t.test('when the previous year had no events, then relative_change is null', async (t) => {
    const quiet = nineQuarters
      .slice(0, 8)
      .map((row, index) => ({ ...row, count: index < 4 ? 0 : row.count, population: 1000 }))
    const [entry] = yearOverYear(quiet)
    t.equal(entry.rate_prev_year, 0)
    t.equal(entry.relative_change, null)
    t.equal(entry.change, 26 / 4000)
    // R 4.2.2: poisson.test(c(26, 0), c(4000, 4000))$p.value -> 2.9802322387695392e-08 (2·0.5^26)
    t.ok(
      withinRelative(entry.p_value, 2.9802322387695392e-8, agreementWithR),
      describeGap(entry.p_value, 2.9802322387695392e-8),
    )
  })

  t.test('when both years had no events, then p_value is 1 and change 0', async (t) => {
    const silent = nineQuarters.slice(0, 8).map((row) => ({ ...row, count: 0 }))
    const [entry] = yearOverYear(silent)
    // R 4.2.2: poisson.test(c(0, 0), c(4220, 4060))$p.value -> 1
    t.equal(entry.p_value, 1)
    t.equal(entry.change, 0)
    t.equal(entry.relative_change, null)
  })

  t.test(
    'when a quarter of the previous year is missing, then that comparison is left out',
    async (t) => {
      // without 2023Q2, the window ending 2023Q4 (needed for 2024Q4) is incomplete; 2025Q1 needs 2024Q1's window, also incomplete
      t.same(yearOverYear(nineQuarters.filter((row) => row.period !== '2023Q2')), [])
      // without 2023Q1 only, 2025Q1 still compares with the window ending 2024Q1
      t.same(
        yearOverYear(nineQuarters.filter((row) => row.period !== '2023Q1')).map(
          (entry) => entry.period,
        ),
        ['2025Q1'],
      )
    },
  )

  t.test('when the series is too short, then there are no entries', async (t) => {
    t.same(yearOverYear(nineQuarters.slice(0, 7)), [])
    t.same(yearOverYear([]), [])
  })

  t.test(
    'when a period is not a quarter, then the TypeError of fourQuarterRate surfaces',
    async (t) => {
      t.throws(() => yearOverYear([{ period: 'Q3 2024', count: 1, population: 10 }]), {
        name: 'TypeError',
        message: /requires periods like 2024Q3/,
      })
    },
  )

  t.test('when the rows come in any order, then the entries are the same', async (t) => {
    const expected = JSON.stringify(yearOverYear(nineQuarters))
    fc.assert(
      fc.property(
        fc.shuffledSubarray(nineQuarters, {
          minLength: nineQuarters.length,
          maxLength: nineQuarters.length,
        }),
        (shuffled) => JSON.stringify(yearOverYear(shuffled)) === expected,
      ),
      propertyRuns,
    )
    t.pass('row-order invariant')
  })

  t.test(
    'when series are random, then p-values lie in [0, 1] and change is rate − rate_prev_year',
    async (t) => {
      const quarterRow = fc.record({
        count: fc.option(fc.integer({ min: 0, max: 40 }), { nil: null, freq: 10 }),
        population: fc.integer({ min: 1, max: 2000 }),
      })
      fc.assert(
        fc.property(fc.array(quarterRow, { minLength: 8, maxLength: 20 }), (rows) => {
          const series = rows.map((row, index) => ({
            period: `${2018 + Math.floor(index / 4)}Q${(index % 4) + 1}`,
            ...row,
          }))
          return yearOverYear(series).every(
            (entry) =>
              entry.p_value >= 0 &&
              entry.p_value <= 1 &&
              entry.change === entry.rate - entry.rate_prev_year &&
              entry.rate === entry.count / entry.population,
          )
        }),
        propertyRuns,
      )
      t.pass('bounds and definitions hold')
    },
  )

  t.test('when the input is frozen, then it is not mutated', async (t) => {
    const frozen = Object.freeze(nineQuarters.map((row) => Object.freeze({ ...row })))
    t.doesNotThrow(() => yearOverYear(frozen))
    t.same(frozen, nineQuarters)
  })
})

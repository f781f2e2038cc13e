import t from 'tap'
import {
  areaTrend,
  latestPeriod,
  outcomeRateAxis,
  seriesEntries,
  sortTrendListing,
  trendListing,
  trendTests,
  yearOverYearRows,
} from '../../../services/use-cases/trend-report.js'
import type {
  AreaQuarter,
  NeighbourhoodSeries,
  QuarterCounts,
} from '../../../services/domain/trend-shapes.js'
import { withinAbsolute } from '../../support/tolerance.js'

/**
 * use-cases/trend-report.ts (pure): the quarterly series with each count's rate from its own
 * row, year over year of the 4-quarter rates (both windows complete, never filled), the
 * Mann-Kendall tests on the outcome rate on a calendar axis, and the `/v1/trends` listing with
 * Benjamini-Hochberg across neighbourhoods. Expected values are worked out here from the rows.
 */

const periodsFrom = (year: number, count: number) =>
  Array.from({ length: count }, (_, index) => `${year + Math.floor(index / 4)}Q${(index % 4) + 1}`)

/** A row; predictors default to fixed shares of the population. */
function q(
  period: string,
  population: number,
  suspects: number | null,
  predictors: [number | null, number | null, number | null] = [10, 20, 30],
): QuarterCounts {
  return {
    period,
    youth_population: population,
    early_school_leavers: predictors[0],
    halt_registrations: predictors[1],
    parental_debt: predictors[2],
    drug_offence_suspects: suspects,
  }
}

const withRisk = (rows: QuarterCounts[]): AreaQuarter[] =>
  rows.map((row) => ({ ...row, risk: null }))

t.test('seriesEntries', async (t) => {
  t.test(
    "when a row is given, then each count's rate is that count over the row's own population",
    async (t) => {
      const [entry] = seriesEntries([{ ...q('2024Q1', 200, 5, [10, null, 40]), risk: 0.03 }])
      t.same(entry, {
        period: '2024Q1',
        youth_population: 200,
        early_school_leavers: 10,
        early_school_leaving_rate: 0.05,
        halt_registrations: null,
        halt_rate: null,
        parental_debt: 40,
        parental_debt_rate: 0.2,
        drug_offence_suspects: 5,
        drug_offence_rate: 0.025,
        risk: 0.03,
      })
    },
  )

  t.test('when the population is 0 or the risk absent, then rates and risk are null', async (t) => {
    const [entry] = seriesEntries([q('2024Q1', 0, 0, [0, 0, 0])])
    t.equal(entry.drug_offence_rate, null)
    t.equal(entry.early_school_leaving_rate, null)
    t.equal(entry.risk, null)
  })
})

t.test('outcomeRateAxis', async (t) => {
  t.test('when quarters are missing, then they are null on the calendar axis', async (t) => {
    t.same(
      outcomeRateAxis([
        { period: '2023Q3', rate: 0.1 },
        { period: '2024Q1', rate: null },
        { period: '2024Q2', rate: 0.3 },
      ]),
      [0.1, null, null, 0.3],
    )
  })

  t.test('when the series is empty, then the axis is empty', async (t) => {
    t.same(outcomeRateAxis([]), [])
  })

  t.test('when a period is not a quarter, then TypeError', async (t) => {
    t.throws(() => outcomeRateAxis([{ period: '2024-03', rate: 1 }]), TypeError)
  })
})

t.test('yearOverYearRows', async (t) => {
  // 2022Q1 … 2024Q2: populations 100 + i, outcome i + 1, predictors constant
  const periods = periodsFrom(2022, 10)
  const rows = periods.map((period, index) => q(period, 100 + index, index + 1))
  const sum = (values: number[]) => values.reduce((a, b) => a + b, 0)

  t.test(
    'when both 4-quarter windows are complete, then the rates are sums over them',
    async (t) => {
      const entries = yearOverYearRows(rows)
      t.same(
        entries.map((entry) => entry.period),
        ['2023Q4', '2024Q1', '2024Q2'],
      )
      const at = entries[0]
      // 2023Q4: the window 2023Q1–Q4 (indices 4–7) against 2022Q1–Q4 (indices 0–3)
      const count = sum([5, 6, 7, 8])
      const population = sum([104, 105, 106, 107])
      const countBefore = sum([1, 2, 3, 4])
      const populationBefore = sum([100, 101, 102, 103])
      t.match(at, {
        count,
        count_prev_year: countBefore,
        youth_population: population,
        youth_population_prev_year: populationBefore,
      })
      t.ok(withinAbsolute(at.rate!, count / population, 1e-15))
      t.ok(withinAbsolute(at.rate_prev_year!, countBefore / populationBefore, 1e-15))
      t.ok(withinAbsolute(at.change!, count / population - countBefore / populationBefore, 1e-15))
      t.ok(at.p_value! > 0 && at.p_value! <= 1)
      t.match(at.predictors.halt, { count: 80, count_prev_year: 80 })
      t.ok(
        withinAbsolute(at.predictors.halt.change!, 80 / population - 80 / populationBefore, 1e-15),
      )
    },
  )

  t.test(
    'when an outcome count is NULL, then the outcome fields are null but the predictors still compare',
    async (t) => {
      const gap = rows.map((row, index) =>
        index === 6 ? { ...row, drug_offence_suspects: null } : row,
      )
      const entry = yearOverYearRows(gap).find((row) => row.period === '2023Q4')!
      t.match(entry, { rate: null, change: null, p_value: null, count: null })
      t.equal(entry.predictors.parental_debt.count, 120)
      t.equal(entry.youth_population, sum([104, 105, 106, 107]), 'the base of the predictors')
    },
  )

  t.test('when a quarter is missing, then no window over it exists (never filled)', async (t) => {
    const missing = rows.filter((row) => row.period !== '2023Q2')
    t.same(
      yearOverYearRows(missing).map((row) => row.period),
      [],
    )
  })

  t.test(
    'when a range is given, then entries inside it only, windows reaching before it',
    async (t) => {
      t.same(
        yearOverYearRows(rows, { from: '2024Q1', to: '2024Q1' }).map((row) => row.period),
        ['2024Q1'],
      )
    },
  )
})

t.test('trendTests', async (t) => {
  t.test('when the series is too short, then a test that cannot run is null', async (t) => {
    t.same(trendTests(seriesEntries([q('2024Q1', 1000, 5)])), {
      mann_kendall: null,
      seasonal_mann_kendall: null,
    })
    const two = trendTests(seriesEntries([q('2024Q1', 1000, 5), q('2024Q2', 1000, 6)]))
    t.equal(two.seasonal_mann_kendall, null, 'two quarters: no season has two values')
    t.match(two.mann_kendall, { s: 1, trend: 'no trend' })
  })

  t.test(
    'when the outcome rate rises every quarter, then both tests find it with slopes per year',
    async (t) => {
      const rows = periodsFrom(2021, 12).map((period, index) => q(period, 1000, 10 + index))
      const { mann_kendall: mk, seasonal_mann_kendall: seasonal } = trendTests(seriesEntries(rows))
      // a strictly increasing series of 12: S = 12·11/2 concordant pairs, tau = 1
      t.match(mk, { trend: 'increasing', s: 66, tau: 1 })
      t.ok(withinAbsolute(mk!.slope!, 0.001, 1e-12), 'one suspect per 1000 per quarter')
      t.ok(withinAbsolute(mk!.slope_per_year!, 0.004, 1e-12))
      t.equal(seasonal!.trend, 'increasing')
      t.ok(withinAbsolute(seasonal!.slope_per_year!, 0.004, 1e-12))
      t.equal(seasonal!.slope, seasonal!.slope_per_year, 'the seasonal slope is already per year')
    },
  )
})

t.test('areaTrend', async (t) => {
  t.test(
    'when a range is given, then the series and tests are within it but year over year reads the whole series',
    async (t) => {
      const rows = withRisk(
        periodsFrom(2021, 12).map((period, index) => q(period, 1000, 10 + index)),
      )
      const trend = areaTrend(rows, { from: '2023Q1' })
      t.same(
        trend.series.map((row) => row.period),
        ['2023Q1', '2023Q2', '2023Q3', '2023Q4'],
      )
      t.same(
        trend.year_over_year.map((row) => row.period),
        ['2023Q1', '2023Q2', '2023Q3', '2023Q4'],
      )
      t.equal(trend.mann_kendall?.s, 6, 'the test on the four quarters in range')
    },
  )
})

t.test('latestPeriod', async (t) => {
  t.test('when neighbourhoods end at different quarters, then the latest', async (t) => {
    const a: NeighbourhoodSeries = {
      area_code: 'BU05180101',
      area_name: null,
      parent_code: 'WK051801',
      quarters: [q('2023Q4', 1, 0)],
    }
    const b = { ...a, area_code: 'BU05180102', quarters: [q('2023Q1', 1, 0), q('2024Q2', 1, 0)] }
    t.equal(latestPeriod([a, b]), '2024Q2')
    t.equal(latestPeriod([{ ...a, quarters: [] }]), undefined)
    t.equal(latestPeriod([]), undefined)
  })
})

t.test('trendListing', async (t) => {
  const neighbourhood = (
    code: string,
    suspects: (index: number) => number,
  ): NeighbourhoodSeries => ({
    area_code: code,
    area_name: `Buurt ${code}`,
    parent_code: `WK${code.slice(2, 8)}`,
    quarters: periodsFrom(2021, 14).map((period, index) => q(period, 1000, suspects(index))),
  })
  const rising = neighbourhood('BU05180101', (index) => (index >= 8 ? 30 : 10))
  const flat = neighbourhood('BU05180102', (index) => 10 + (index % 2))
  const short = { ...neighbourhood('BU05180103', () => 10), quarters: [q('2023Q4', 1000, 10)] }

  t.test(
    'when listed at a period, then each has its year over year there and BH-adjusted p-values over those with one',
    async (t) => {
      const entries = trendListing([rising, flat, short], '2023Q4')
      t.same(
        entries.map((entry) => [entry.area_code, entry.period, entry.count, entry.count_prev_year]),
        [
          ['BU05180101', '2023Q4', 120, 40],
          ['BU05180102', '2023Q4', 42, 42],
          ['BU05180103', '2023Q4', null, null],
        ],
      )
      t.match(entries[2], { p_value: null, p_adjusted: null, mann_kendall: null })
      // Benjamini-Hochberg over the two p-values: the larger stays, the smaller is ×2 capped by it
      const [p1, p2] = [entries[0].p_value!, entries[1].p_value!]
      t.ok(p1 < p2)
      t.equal(entries[1].p_adjusted, p2)
      t.equal(entries[0].p_adjusted, Math.min(p1 * 2, p2))
      t.equal(entries[0].mann_kendall?.trend, 'increasing')
    },
  )

  t.test('when quarters lie after the period, then they are ignored', async (t) => {
    const later = {
      ...rising,
      quarters: [...rising.quarters, q('2024Q3', 1000, 500), q('2024Q4', 1000, 500)],
    }
    t.same(trendListing([later], '2023Q4')[0], trendListing([rising], '2023Q4')[0])
  })
})

t.test('sortTrendListing', async (t) => {
  const entries = [
    { area_code: 'C', change: 0.1, p_value: 0.5 },
    { area_code: 'A', change: null, p_value: null },
    { area_code: 'B', change: 0.1, p_value: 0.01 },
    { area_code: 'D', change: 0.3, p_value: 0.2 },
  ]
  t.test(
    'when sorted by change, then the largest rise first, ties by code, null last',
    async (t) => {
      t.same(
        sortTrendListing(entries, 'change').map((entry) => entry.area_code),
        ['D', 'B', 'C', 'A'],
      )
    },
  )
  t.test('when sorted by p_value, then the smallest first, null last', async (t) => {
    t.same(
      sortTrendListing(entries, 'p_value').map((entry) => entry.area_code),
      ['B', 'D', 'C', 'A'],
    )
    t.equal(entries[0].area_code, 'C', 'the input is not reordered')
  })
})

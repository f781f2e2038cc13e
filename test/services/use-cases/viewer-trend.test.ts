import t from 'tap'
import { viewerAreaTrend, viewerTrendListing } from '../../../services/use-cases/viewer-trend.js'
import type {
  AreaQuarter,
  NeighbourhoodSeries,
  QuarterCounts,
} from '../../../services/domain/trend-shapes.js'
import type { PublishedModel } from '../../../services/domain/viewer-risk.js'
import { withinAbsolute } from '../../support/tolerance.js'

/**
 * use-cases/viewer-trend.ts (pure): a viewer's trend is the trend of the rounded table — every
 * count and youth population rounded to a multiple of `roundTo` first, then the rates, 4-quarter
 * sums and Mann-Kendall tests from those — marked by disclosure control. The expectations here
 * are computed independently from the rows: a rounding of our own, sums and Kendall's S by hand.
 */

const thresholds = { minCell: 10, roundTo: 5, minBase: 50 }

/** Nearest multiple of 5, halves up: the rule of DESIGN.md §5, written out again. */
const round5 = (value: number) => Math.floor(value / 5 + 0.5) * 5

const periods = Array.from({ length: 12 }, (_, i) => `${2021 + Math.floor(i / 4)}Q${(i % 4) + 1}`)

/** Counts at least minCell and populations at least minBase, rarely multiples of 5. */
function exactRows(seed: number): QuarterCounts[] {
  return periods.map((period, i) => ({
    period,
    youth_population: 203 + 7 * i + seed,
    early_school_leavers: 13 + i,
    halt_registrations: 21 + 2 * i,
    parental_debt: 33 + ((i * 7 + seed) % 11),
    drug_offence_suspects: 12 + ((i * 3 + seed) % 7) + Math.floor(i / 2),
  }))
}

const roundedRows = (rows: readonly QuarterCounts[]) =>
  rows.map((row) => ({
    period: row.period,
    youth_population: round5(row.youth_population),
    early_school_leavers: round5(row.early_school_leavers!),
    halt_registrations: round5(row.halt_registrations!),
    parental_debt: round5(row.parental_debt!),
    drug_offence_suspects: round5(row.drug_offence_suspects!),
  }))

/** Kendall's S: Σ over pairs i < j of sign(x_j − x_i). */
function kendallS(values: readonly number[]): number {
  let s = 0
  for (let i = 0; i < values.length; i += 1)
    for (let j = i + 1; j < values.length; j += 1) s += Math.sign(values[j] - values[i])
  return s
}

const sum = (values: readonly number[]) => values.reduce((a, b) => a + b, 0)

const model: PublishedModel = { coefficients: [-4, 8, 12, 3], covariance: null }
const logistic = (x: number) => 1 / (1 + Math.exp(-x))
/** The published model on one rounded row, written out. */
const riskOfRounded = (row: ReturnType<typeof roundedRows>[number]) =>
  logistic(
    -4 +
      (8 * row.early_school_leavers) / row.youth_population +
      (12 * row.halt_registrations) / row.youth_population +
      (3 * row.parental_debt) / row.youth_population,
  )

const withRisk = (rows: QuarterCounts[], scored: (index: number) => boolean): AreaQuarter[] =>
  rows.map((row, index) => ({ ...row, risk: scored(index) ? 0.123 : null }))

const neighbourhood = (code: string, quarters: QuarterCounts[]): NeighbourhoodSeries => ({
  area_code: code,
  area_name: null,
  parent_code: `WK${code.slice(2, 8)}`,
  quarters,
})

t.test('viewerAreaTrend (own rows)', async (t) => {
  const exact = exactRows(0)
  const rounded = roundedRows(exact)

  t.test(
    'when an area has rows of its own, then its series is the rounded table with rates of rounded values',
    async (t) => {
      const trend = viewerAreaTrend(
        'BU05180101',
        { kind: 'own', quarters: withRisk(exact, () => false), district: null },
        null,
        {},
        thresholds,
      )
      t.equal(trend.series.length, 12)
      trend.series.forEach((row, i) => {
        t.equal(row.youth_population, rounded[i].youth_population)
        t.equal(row.drug_offence_suspects, rounded[i].drug_offence_suspects)
        t.equal(
          row.drug_offence_rate,
          rounded[i].drug_offence_suspects / rounded[i].youth_population,
        )
        t.equal(row.halt_rate, rounded[i].halt_registrations / rounded[i].youth_population)
        t.notOk(row.suppressed)
      })
      t.ok(
        trend.series.some(
          (row, i) =>
            row.drug_offence_rate !== exact[i].drug_offence_suspects! / exact[i].youth_population,
        ),
        'the rounding makes a difference on these rows',
      )
    },
  )

  t.test(
    'when year over year is computed, then its 4-quarter sums are sums of rounded values',
    async (t) => {
      const trend = viewerAreaTrend(
        'BU05180101',
        { kind: 'own', quarters: withRisk(exact, () => false), district: null },
        null,
        {},
        thresholds,
      )
      t.same(
        trend.year_over_year.map((row) => row.period),
        periods.slice(7),
      )
      for (const row of trend.year_over_year) {
        const at = periods.indexOf(row.period)
        const window = rounded.slice(at - 3, at + 1)
        const before = rounded.slice(at - 7, at - 3)
        const count = sum(window.map((r) => r.drug_offence_suspects))
        const population = sum(window.map((r) => r.youth_population))
        const countBefore = sum(before.map((r) => r.drug_offence_suspects))
        const populationBefore = sum(before.map((r) => r.youth_population))
        t.equal(row.count, count, `${row.period} count`)
        t.equal(row.count_prev_year, countBefore)
        t.equal(row.youth_population, population)
        t.ok(withinAbsolute(row.rate!, count / population, 1e-15))
        t.ok(
          withinAbsolute(row.change!, count / population - countBefore / populationBefore, 1e-15),
        )
        t.equal(
          row.predictors.parental_debt.count,
          sum(window.map((r) => r.parental_debt)),
          'predictors too',
        )
      }
    },
  )

  t.test(
    'when the trend is tested, then Mann-Kendall runs on the rounded quarterly rates',
    async (t) => {
      const trend = viewerAreaTrend(
        'BU05180101',
        { kind: 'own', quarters: withRisk(exact, () => false), district: null },
        null,
        { from: '2021Q3' },
        thresholds,
      )
      const rates = rounded.slice(2).map((row) => row.drug_offence_suspects / row.youth_population)
      t.equal(trend.mann_kendall?.s, kendallS(rates))
      t.notOk(trend.mann_kendall?.suppressed, 'no rate was suppressed: the slope is shown')
      t.equal(trend.series[0].period, '2021Q3', 'the range applies to the series')
    },
  )

  t.test(
    "when a published model exists, then a scored quarter's risk is the model on the rounded row; an unscored one stays null",
    async (t) => {
      const trend = viewerAreaTrend(
        'BU05180101',
        { kind: 'own', quarters: withRisk(exact, (i) => i % 2 === 0), district: null },
        model,
        {},
        thresholds,
      )
      trend.series.forEach((row, i) => {
        if (i % 2 === 0) t.ok(withinAbsolute(row.risk!, riskOfRounded(rounded[i]), 1e-15))
        else t.equal(row.risk, null)
      })
      const withoutModel = viewerAreaTrend(
        'BU05180101',
        { kind: 'own', quarters: withRisk(exact, () => true), district: null },
        null,
        {},
        thresholds,
      )
      t.ok(
        withoutModel.series.every((row) => row.risk === null),
        'no model, no risk',
      )
    },
  )

  t.test(
    'when a quarterly count is below minCell, then it and its rate are withheld and so is the slope',
    async (t) => {
      const small = exact.map((row, i) => (i === 5 ? { ...row, drug_offence_suspects: 3 } : row))
      const trend = viewerAreaTrend(
        'BU05180101',
        { kind: 'own', quarters: withRisk(small, () => false), district: null },
        null,
        {},
        thresholds,
      )
      t.match(trend.series[5], {
        drug_offence_suspects: null,
        drug_offence_rate: null,
        suppressed: ['drug_offence_rate', 'drug_offence_suspects'],
      })
      t.match(trend.mann_kendall, {
        slope: null,
        slope_per_year: null,
        intercept: null,
        suppressed: ['intercept', 'slope', 'slope_per_year'],
      })
    },
  )

  t.test(
    "when a sibling in the district has a small cell, then the area's cell in that quarter is withheld too (secondary)",
    async (t) => {
      const own = neighbourhood('BU05180101', exact)
      const sibling = neighbourhood(
        'BU05180102',
        exact.map((row, i) => ({ ...row, drug_offence_suspects: i === 11 ? 2 : 40 })),
      )
      const trend = viewerAreaTrend(
        'BU05180101',
        { kind: 'own', quarters: withRisk(exact, () => false), district: [own, sibling] },
        null,
        {},
        thresholds,
      )
      t.same(trend.series[11].suppressed, ['drug_offence_rate', 'drug_offence_suspects'])
      t.notOk(trend.series[10].suppressed)
    },
  )
})

t.test('viewerAreaTrend (sum over neighbourhoods)', async (t) => {
  const a = exactRows(1)
  const b = exactRows(4).filter((row) => row.period !== '2022Q2')
  const members = [neighbourhood('BU05180101', a), neighbourhood('BU05180102', b)]

  t.test(
    "when a district is a sum, then it sums the members' rounded values, with the exact sum's gaps",
    async (t) => {
      const trend = viewerAreaTrend(
        'WK051801',
        { kind: 'sum', members, exactRiskAt: new Map() },
        null,
        {},
        thresholds,
      )
      const roundedA = roundedRows(a)
      const roundedB = new Map(roundedRows(b).map((row) => [row.period, row]))
      const expected = roundedA
        .filter((row) => roundedB.has(row.period))
        .map((row) => {
          const other = roundedB.get(row.period)!
          return {
            period: row.period,
            youth_population: row.youth_population + other.youth_population,
            drug_offence_suspects: row.drug_offence_suspects + other.drug_offence_suspects,
          }
        })
      t.same(
        trend.series.map((row) => ({
          period: row.period,
          youth_population: row.youth_population,
          drug_offence_suspects: row.drug_offence_suspects,
        })),
        expected,
      )
      t.notOk(
        trend.series.some((row) => row.period === '2022Q2'),
        'a quarter one member lacks is a gap',
      )
      trend.series.forEach((row, i) =>
        t.equal(
          row.drug_offence_rate,
          expected[i].drug_offence_suspects / expected[i].youth_population,
        ),
      )
    },
  )

  t.test(
    "when the exact sum has a risk, then the viewer's is the members' rounded-row risks weighted by rounded populations",
    async (t) => {
      const exactRiskAt = new Map<string, number | null>(
        periods.map((period) => [period, period === '2021Q1' ? null : 0.05]),
      )
      const trend = viewerAreaTrend(
        'WK051801',
        { kind: 'sum', members, exactRiskAt },
        model,
        {},
        thresholds,
      )
      t.equal(trend.series[0].risk, null, 'not every member was scored in 2021Q1')
      const [ra, rb] = [roundedRows(a)[1], roundedRows(b)[1]]
      const expected =
        (riskOfRounded(ra) * ra.youth_population + riskOfRounded(rb) * rb.youth_population) /
        (ra.youth_population + rb.youth_population)
      t.ok(withinAbsolute(trend.series[1].risk!, expected, 1e-15))
    },
  )
})

t.test('viewerTrendListing', async (t) => {
  t.test(
    "when listed at a period, then each neighbourhood's year over year is of its rounded quarters",
    async (t) => {
      const rows = exactRows(2)
      const listing = viewerTrendListing(
        [neighbourhood('BU05180101', rows), neighbourhood('BU05180102', exactRows(3))],
        '2023Q4',
        thresholds,
      )
      const rounded = roundedRows(rows)
      const count = sum(rounded.slice(8).map((row) => row.drug_offence_suspects))
      const population = sum(rounded.slice(8).map((row) => row.youth_population))
      t.match(listing[0], { area_code: 'BU05180101', period: '2023Q4', count })
      t.ok(withinAbsolute(listing[0].rate!, count / population, 1e-15))
      t.equal(listing.length, 2)
      t.notOk(listing[0].suppressed)
    },
  )

  t.test(
    'when a neighbourhood had a small quarterly outcome, then its Mann-Kendall slope is withheld',
    async (t) => {
      const small = exactRows(2).map((row, i) =>
        i === 3 ? { ...row, drug_offence_suspects: 1 } : row,
      )
      const listing = viewerTrendListing(
        [neighbourhood('BU05180101', small), neighbourhood('BU05180201', exactRows(3))],
        '2023Q4',
        thresholds,
      )
      t.match(listing[0].mann_kendall, {
        slope: null,
        suppressed: ['intercept', 'slope', 'slope_per_year'],
      })
      t.notOk(listing[1].mann_kendall?.suppressed)
    },
  )
})

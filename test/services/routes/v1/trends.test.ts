import { randomUUID } from 'node:crypto'
import t from 'tap'
import { benjaminiHochberg } from '../../../../models/stats/benjamini-hochberg.js'
import { mannKendall } from '../../../../models/trends/mann-kendall.js'
import { seasonalMannKendall } from '../../../../models/trends/seasonal-mann-kendall.js'
import { buildTestApp, createKey, engines } from '../../../helper.js'
import { csvOf, type SnapshotFixture } from '../../../support/snapshot-fixtures.js'
import { describeGap, withinRelative } from '../../../support/tolerance.js'

/**
 * R prints 17 significant digits; our binomial tails come from @stdlib rather than R's
 * dbinom/pbeta, which differ in the last 2–3 digits (as test/models/trends/year-over-year.test.ts).
 */
const agreementWithR = 1e-12

/** 2022Q1 … 2024Q4: quarter index q = 0 … 11. */
const periods = Array.from({ length: 12 }, (_, q) => `${2022 + Math.floor(q / 4)}Q${(q % 4) + 1}`)

interface Neighbourhood {
  code: string
  population: (q: number) => number
  suspects: number[]
  leavers: (q: number) => number | null
  halt: (q: number) => number | null
  debt: (q: number) => number | null
  /** quarters not delivered at all */
  missing?: number[]
}

/**
 * GM0518: district WK051801 with three neighbourhoods (…0101 has a NULL halt count in 2023Q2,
 * …0102 has small counts, …0103 is large), district WK051802 with one small neighbourhood
 * (population 40) whose 2023Q3 is missing.
 */
const neighbourhoods: Neighbourhood[] = [
  {
    code: 'BU05180101',
    population: (q) => 400 + 5 * q,
    suspects: [3, 5, 4, 6, 5, 7, 6, 8, 12, 11, 14, 13],
    leavers: (q) => 12 + q,
    halt: (q) => (q === 5 ? null : 10 + (q % 3)),
    debt: (q) => 40 + q,
  },
  {
    code: 'BU05180102',
    population: () => 300,
    suspects: [1, 2, 1, 2, 2, 2, 1, 2, 3, 4, 3, 4],
    leavers: () => 8,
    halt: () => 11,
    debt: () => 30,
  },
  {
    code: 'BU05180103',
    population: () => 800,
    suspects: [20, 22, 25, 21, 24, 26, 23, 27, 40, 42, 45, 44],
    leavers: () => 40,
    halt: () => 30,
    debt: (q) => 90 + q,
  },
  {
    code: 'BU05180201',
    population: () => 40,
    suspects: [1, 0, 1, 2, 1, 1, 0, 1, 2, 1, 1, 2],
    leavers: () => 3,
    halt: () => 2,
    debt: () => 5,
    missing: [6],
  },
]

function fixtureRows(): SnapshotFixture[] {
  return neighbourhoods.flatMap((area) =>
    periods.flatMap((period, q) =>
      area.missing?.includes(q)
        ? []
        : [
            {
              area_code: area.code,
              area_name: `Buurt ${area.code.slice(-4)}`,
              period,
              youth_population: area.population(q),
              early_school_leavers: area.leavers(q),
              halt_registrations: area.halt(q),
              parental_debt: area.debt(q),
              drug_offence_suspects: area.suspects[q],
            },
          ],
    ),
  )
}

/** A district with rows of its own (and a neighbourhood with different numbers) in GM0599. */
function ownRowsFixture(): SnapshotFixture[] {
  return periods.flatMap((period, q) => [
    {
      area_code: 'WK059901',
      area_name: 'Wijk met eigen cijfers',
      period,
      youth_population: 1000,
      early_school_leavers: 50,
      halt_registrations: 40,
      parental_debt: 100,
      drug_offence_suspects: 20 + q,
    },
    {
      area_code: 'BU05990101',
      area_name: 'Buurt 0101',
      period,
      youth_population: 200,
      early_school_leavers: 20,
      halt_registrations: 20,
      parental_debt: 20,
      drug_offence_suspects: 10,
    },
  ])
}

interface SeriesItem {
  period: string
  youth_population: number | null
  drug_offence_suspects: number | null
  halt_registrations: number | null
  parental_debt: number | null
  drug_offence_rate: number | null
  parental_debt_rate: number | null
  halt_rate: number | null
  risk: number | null
  suppressed?: string[]
  unreliable?: boolean
}

/** A count rounded as the viewer's table rounds it (AANWAS_ROUND_TO 5, halves up). */
const roundTo5 = (value: number) => Math.floor(value / 5 + 0.5) * 5

/** The exact quarterly outcome rates on the calendar axis, null where a quarter is missing. */
function outcomeRates(series: SeriesItem[]): (number | null)[] {
  const byPeriod = new Map(series.map((row) => [row.period, row.drug_offence_rate]))
  const first = periods.indexOf(series[0].period)
  const last = periods.indexOf(series[series.length - 1].period)
  return periods.slice(first, last + 1).map((period) => byPeriod.get(period) ?? null)
}

for (const engine of engines) {
  t.test(engine, async (t) => {
    const { app, admin } = await buildTestApp(t, engine)
    const upload = await app.inject({
      method: 'POST',
      url: '/v1/snapshots',
      headers: { ...admin, 'content-type': 'text/csv' },
      payload: csvOf([...fixtureRows(), ...ownRowsFixture()]),
    })
    t.equal(upload.statusCode, 201, upload.body)

    // Model runs: an older published run, the latest published (its scores are the ones shown),
    // a newer analyst's preview and a newer failure (both ignored).
    const older = randomUUID()
    const latest = randomUUID()
    const preview = randomUUID()
    const published = (at: string) => ({ finished_at: at, published: true, published_at: at })
    await app.knex('model_runs').insert([
      { id: older, status: 'succeeded', horizon_quarters: 0, ...published('2025-01-01T00:00:00Z') },
      {
        id: latest,
        status: 'succeeded',
        horizon_quarters: 0,
        ...published('2025-02-01T00:00:00Z'),
        // a viewer's risk is this model on the rounded table (no covariance: no interval)
        coefficients: JSON.stringify(
          [-4, 1, 2, 3].map((estimate, j) => ({ term: `t${j}`, estimate })),
        ),
      },
      {
        id: preview,
        status: 'succeeded',
        horizon_quarters: 0,
        finished_at: '2025-02-15T00:00:00Z',
        published: false,
      },
      {
        id: randomUUID(),
        status: 'failed',
        horizon_quarters: 0,
        finished_at: '2025-03-01T00:00:00Z',
      },
    ])
    const score = (runId: string, areaCode: string, population: number, risk: number) => ({
      run_id: runId,
      area_code: areaCode,
      municipality_code: 'GM0518',
      period: '2024Q4',
      target_period: '2024Q4',
      youth_population: population,
      risk,
      risk_ci_low: risk / 2,
      risk_ci_high: risk * 2,
      percentile: 50,
      rank: 1,
      percentile_national: 50,
      rank_national: 1,
    })
    await app
      .knex('risk_scores')
      .insert([
        score(latest, 'BU05180101', 455, 0.01),
        score(latest, 'BU05180102', 300, 0.02),
        score(latest, 'BU05180103', 800, 0.03),
        score(older, 'BU05180101', 455, 0.5),
        score(older, 'BU05180102', 300, 0.5),
        score(older, 'BU05180103', 800, 0.5),
        score(older, 'BU05180201', 40, 0.5),
        score(preview, 'BU05180101', 455, 0.9),
        score(preview, 'BU05180102', 300, 0.9),
        score(preview, 'BU05180103', 800, 0.9),
      ])

    const viewer = await createKey(app, admin, 'viewer', 'GM0518')
    const analyst = await createKey(app, admin, 'analyst', 'GM0518')
    const otherMunicipality = await createKey(app, admin, 'analyst', 'GM0599')
    const viewerOf0599 = await createKey(app, admin, 'viewer', 'GM0599')
    const get = (url: string, headers: { authorization: string } = admin) =>
      app.inject({ method: 'GET', url, headers })

    t.test('GET /v1/areas/:code/trend', async (t) => {
      t.test(
        'when a district has no rows of its own, then its series is the sum over its neighbourhoods',
        async (t) => {
          const response = await get('/v1/areas/WK051801/trend')
          t.equal(response.statusCode, 200)
          const body = response.json()
          t.equal(body.aggregated, true)
          t.same(
            body.series.map((row: SeriesItem) => row.period),
            periods,
          )
          const at = body.series[periods.indexOf('2024Q4')]
          const members = neighbourhoods.slice(0, 3)
          const population = members.reduce((sum, area) => sum + area.population(11), 0)
          const suspects = members.reduce((sum, area) => sum + area.suspects[11], 0)
          t.equal(at.youth_population, population)
          t.equal(at.drug_offence_suspects, suspects)
          t.equal(at.drug_offence_rate, suspects / population, 'rate from the sums')
          const meanOfRates =
            members.reduce((sum, area) => sum + area.suspects[11] / area.population(11), 0) / 3
          t.not(at.drug_offence_rate, meanOfRates, 'never the average of the rates')
        },
      )

      t.test(
        'when a municipality has no rows of its own, then it sums all its neighbourhoods and a quarter missing in one is a gap',
        async (t) => {
          const body = (await get('/v1/areas/GM0518/trend')).json()
          t.equal(body.aggregated, true)
          t.notOk(
            body.series.some((row: SeriesItem) => row.period === '2023Q3'),
            'BU05180201 has no 2023Q3: the municipality has no 2023Q3 (not a smaller total)',
          )
          t.equal(body.series.length, 11)
          const at = body.series.find((row: SeriesItem) => row.period === '2024Q1')
          t.equal(
            at.drug_offence_suspects,
            neighbourhoods.reduce((sum, area) => sum + area.suspects[8], 0),
          )
          t.equal(
            at.youth_population,
            neighbourhoods.reduce((sum, area) => sum + area.population(8), 0),
          )
          t.same(body.year_over_year, [], 'every 4-quarter pair of windows crosses the gap')
        },
      )

      t.test(
        'when one neighbourhood has a NULL count, then the sum is NULL, never a partial sum, and windows over it are omitted',
        async (t) => {
          const body = (await get('/v1/areas/WK051801/trend')).json()
          const at = body.series.find((row: SeriesItem) => row.period === '2023Q2')
          t.equal(at.halt_registrations, null)
          t.equal(at.halt_rate, null)
          t.equal(at.drug_offence_suspects, 7 + 2 + 26, 'other counts still summed')
          for (const entry of body.year_over_year) {
            t.same(
              entry.predictors.halt,
              {
                rate: null,
                rate_prev_year: null,
                change: null,
                p_value: null,
                count: null,
                count_prev_year: null,
              },
              `${entry.period}: both halt windows of 2023Q4…2024Q4 reach 2023Q2 or the year before`,
            )
            t.not(entry.predictors.parental_debt.rate, null)
          }
        },
      )

      t.test(
        'when a neighbourhood misses a quarter, then its series skips it and no window spans it',
        async (t) => {
          const body = (await get('/v1/areas/BU05180201/trend')).json()
          t.equal(body.aggregated, false)
          t.equal(body.series.length, 11)
          t.notOk(body.series.some((row: SeriesItem) => row.period === '2023Q3'))
          t.same(body.year_over_year, [])
          const rates = outcomeRates(body.series)
          t.equal(rates[6], null, 'the gap is missing in the trend test, not 0')
          t.same(body.mann_kendall.s, mannKendall(rates).s)
        },
      )

      t.test(
        'when both years are complete, then the year-over-year numbers match R poisson.test',
        async (t) => {
          const body = (await get('/v1/areas/WK051801/trend')).json()
          t.same(
            body.year_over_year.map((entry: { period: string }) => entry.period),
            ['2023Q4', '2024Q1', '2024Q2', '2024Q3', '2024Q4'],
          )
          const entry = body.year_over_year.at(-1)
          // 2024Q1–Q4 against 2023Q1–Q4 summed over BU05180101, …0102, …0103:
          // suspects 50 + 14 + 171 = 235 over 1790 + 1200 + 3200 = 6190 person-quarters,
          // the year before 26 + 7 + 100 = 133 over 1710 + 1200 + 3200 = 6110.
          t.same(
            {
              count: entry.count,
              youth_population: entry.youth_population,
              count_prev_year: entry.count_prev_year,
              youth_population_prev_year: entry.youth_population_prev_year,
            },
            {
              count: 235,
              youth_population: 6190,
              count_prev_year: 133,
              youth_population_prev_year: 6110,
            },
          )
          t.equal(entry.rate, 235 / 6190)
          t.equal(entry.rate_prev_year, 133 / 6110)
          t.equal(entry.change, 235 / 6190 - 133 / 6110)
          t.equal(entry.relative_change, (235 / 6190 - 133 / 6110) / (133 / 6110))
          // R 4.2: print(poisson.test(c(235, 133), c(6190, 6110))$p.value, digits = 17)
          //   -> 2.0943307380074341e-07
          t.ok(
            withinRelative(entry.p_value, 2.0943307380074341e-7, agreementWithR),
            describeGap(entry.p_value, 2.0943307380074341e-7),
          )

          const neighbourhood = (await get('/v1/areas/BU05180101/trend')).json()
          const own = neighbourhood.year_over_year.at(-1)
          t.same([own.count, own.youth_population], [50, 1790])
          t.same([own.count_prev_year, own.youth_population_prev_year], [26, 1710])
          // R 4.2: print(poisson.test(c(50, 26), c(1790, 1710))$p.value, digits = 17)
          //   -> 1.1377395667821795e-02
          t.ok(
            withinRelative(own.p_value, 1.1377395667821795e-2, agreementWithR),
            describeGap(own.p_value, 1.1377395667821795e-2),
          )
        },
      )

      t.test(
        'when asked, then both Mann-Kendall tests agree with the pure functions on the quarterly rate',
        async (t) => {
          const body = (await get('/v1/areas/WK051801/trend')).json()
          const rates = outcomeRates(body.series)
          const original = mannKendall(rates)
          const seasonal = seasonalMannKendall(rates, 4)
          const fields = ['trend', 'p', 'z', 'tau', 's', 'var_s', 'slope', 'intercept'] as const
          for (const field of fields) {
            t.equal(body.mann_kendall[field], original[field], `mann_kendall.${field}`)
            t.equal(body.seasonal_mann_kendall[field], seasonal[field], `seasonal.${field}`)
          }
          t.equal(body.mann_kendall.slope_per_year, original.slope * 4, 'per quarter ×4')
          t.equal(body.seasonal_mann_kendall.slope_per_year, seasonal.slope, 'already per year')
        },
      )

      t.test(
        'when from and to are given in any quarter spelling, then the series and tests are bounded',
        async (t) => {
          const body = (await get('/v1/areas/WK051801/trend?from=2024-Q1&to=2024KW04')).json()
          t.same(
            body.series.map((row: SeriesItem) => row.period),
            ['2024Q1', '2024Q2', '2024Q3', '2024Q4'],
          )
          t.same(
            body.year_over_year.map((entry: { period: string }) => entry.period),
            ['2024Q1', '2024Q2', '2024Q3', '2024Q4'],
            'windows reach back before from',
          )
          t.equal(body.mann_kendall.s, mannKendall(outcomeRates(body.series)).s)
        },
      )

      t.test(
        'when a district has rows of its own, then they are used instead of the sum',
        async (t) => {
          const body = (await get('/v1/areas/WK059901/trend')).json()
          t.equal(body.aggregated, false)
          t.same(
            body.series.map((row: SeriesItem) => row.drug_offence_suspects),
            periods.map((_, q) => 20 + q),
          )
        },
      )

      t.test(
        'when a viewer reads a district with rows of its own beside its neighbourhoods, then it gets the sum of their rounded values',
        async (t) => {
          // WK059901's own total with BU05990101 shown would give the rest away (total − shown)
          const body = (await get('/v1/areas/WK059901/trend', viewerOf0599.headers)).json()
          t.equal(body.aggregated, true)
          t.same(
            body.series.map((row: SeriesItem) => row.drug_offence_suspects),
            periods.map(() => 10),
            "BU05990101's 10 a quarter, not the district's own 20 + q",
          )
          const own = (
            await get('/v1/areas/WK059901/snapshots?from=2024Q4&to=2024Q4', viewerOf0599.headers)
          ).json().items[0]
          t.equal(own.drug_offence_suspects, null, 'its own counts are withheld from viewers')
          t.ok(own.suppressed.includes('drug_offence_suspects'))
          t.equal(own.youth_population, 1000, 'the population stays')
        },
      )

      t.test(
        'when the latest published run scored the quarter, then risk is its score; an aggregate weighs by population',
        async (t) => {
          const own = (await get('/v1/areas/BU05180101/trend')).json()
          t.equal(own.series.at(-1).risk, 0.01, 'latest published, not the older run or a preview')
          t.equal(own.series.at(-2).risk, null, 'no score for 2024Q3')
          const district = (await get('/v1/areas/WK051801/trend')).json()
          t.ok(
            withinRelative(
              district.series.at(-1).risk,
              (0.01 * 455 + 0.02 * 300 + 0.03 * 800) / (455 + 300 + 800),
              1e-12,
            ),
          )
          const municipality = (await get('/v1/areas/GM0518/trend')).json()
          t.equal(municipality.series.at(-1).risk, null, 'BU05180201 has no score in that run')
        },
      )

      t.test(
        'when a viewer reads, then small counts and their rates are suppressed, secondary too, and the Mann-Kendall slope goes with them',
        async (t) => {
          const body = (await get('/v1/areas/BU05180101/trend', viewer.headers)).json()
          const first = body.series[0]
          t.equal(first.drug_offence_suspects, null, '3 suspects')
          t.equal(first.drug_offence_rate, null)
          t.ok(first.suppressed.includes('drug_offence_suspects'))
          t.equal(first.youth_population, 400)
          const q8 = body.series.find((row: SeriesItem) => row.period === '2024Q1')
          t.equal(
            q8.drug_offence_suspects,
            null,
            '12 suspects, but BU05180102 (3) is the only other suppression in the district',
          )
          t.ok(q8.suppressed.includes('drug_offence_suspects'))
          const q3 = body.series.find((row: SeriesItem) => row.period === '2022Q4')
          t.equal(q3.parental_debt, 45, '43 rounds to 45')
          t.equal(q3.parental_debt_rate, 45 / 415, 'the rounded count over the rounded base')
          // the published model on the rounded 2024Q4: leavers 23 → 25, halt 12 → 10, debt 51
          // → 50, youth population 455
          t.ok(
            withinRelative(
              body.series.at(-1).risk,
              1 / (1 + Math.exp(-(-4 + (1 * 25 + 2 * 10 + 3 * 50) / 455))),
              1e-12,
            ),
            'the published model on the rounded quarter, not the exact score',
          )

          // 4-quarter sums of rounded quarters: 2024 10 + 10 + 15 + 15, 2023 5 + 5 + 5 + 10
          const entry = body.year_over_year.at(-1)
          t.equal(entry.count, 50)
          t.equal(entry.rate, 50 / 1790)
          t.equal(
            entry.count_prev_year,
            null,
            '25, suppressed because BU05180102 (0 + 0 + 0 + 0) is the only other one in the district',
          )
          t.same(entry.suppressed, [
            'change',
            'count_prev_year',
            'p_value',
            'rate_prev_year',
            'relative_change',
          ])
          t.equal(entry.p_value, null)

          t.equal(body.mann_kendall.slope, null)
          t.equal(body.mann_kendall.intercept, null)
          t.same(body.mann_kendall.suppressed, ['intercept', 'slope', 'slope_per_year'])
          // the test statistics are those of the rounded quarterly rates
          const roundedRates = neighbourhoods[0].suspects.map(
            (count, q) => roundTo5(count) / roundTo5(neighbourhoods[0].population(q)),
          )
          t.equal(body.mann_kendall.s, mannKendall(roundedRates).s)
          t.equal(body.mann_kendall.p, mannKendall(roundedRates).p)
        },
      )

      t.test(
        'when a viewer reads a small neighbourhood, then its rates are null; an analyst sees them flagged unreliable',
        async (t) => {
          const hidden = (await get('/v1/areas/BU05180201/trend', viewer.headers)).json()
          t.equal(hidden.series[0].drug_offence_rate, null)
          t.equal(hidden.series[0].youth_population, 40)
          t.ok(hidden.series[0].suppressed.includes('drug_offence_rate'))
          t.equal(hidden.series[0].unreliable, undefined)

          const exact = (await get('/v1/areas/BU05180201/trend', analyst.headers)).json()
          t.equal(exact.series[0].drug_offence_suspects, 1)
          t.equal(exact.series[0].drug_offence_rate, 1 / 40)
          t.equal(exact.series[0].unreliable, true)
          t.equal(exact.series[0].suppressed, undefined)
          t.equal(exact.mann_kendall.unreliable, true)

          const large = (await get('/v1/areas/BU05180103/trend', analyst.headers)).json()
          t.equal(large.series[0].unreliable, undefined)
          t.equal(large.year_over_year.at(-1).unreliable, undefined)
          t.equal(large.mann_kendall.unreliable, undefined)
        },
      )

      t.test(
        'when an upload changes a quarter, then the next read shows it at once (no stale answer)',
        async (t) => {
          const before = (await get('/v1/areas/BU05180103/trend')).json()
          const again = (await get('/v1/areas/BU05180103/trend')).json()
          t.same(again, before, 'the same answer twice')
          const upload = await app.inject({
            method: 'POST',
            url: '/v1/snapshots',
            headers: admin,
            payload: [
              {
                area_code: 'BU05180103',
                period: '2024Q4',
                youth_population: 800,
                early_school_leavers: 40,
                halt_registrations: 30,
                parental_debt: 101,
                drug_offence_suspects: 99,
              },
            ],
          })
          t.equal(upload.json().revised, 1)
          const after = (await get('/v1/areas/BU05180103/trend')).json()
          t.equal(after.series.at(-1).drug_offence_suspects, 99)
          await app.inject({
            method: 'POST',
            url: '/v1/snapshots',
            headers: admin,
            payload: [
              {
                area_code: 'BU05180103',
                period: '2024Q4',
                youth_population: 800,
                early_school_leavers: 40,
                halt_registrations: 30,
                parental_debt: 101,
                drug_offence_suspects: 44,
              },
            ],
          })
          t.equal(
            (await get('/v1/areas/BU05180103/trend')).json().series.at(-1).drug_offence_suspects,
            44,
          )
        },
      )

      t.test('when the area belongs to another municipality, then 403', async (t) => {
        const response = await get('/v1/areas/BU05180101/trend', otherMunicipality.headers)
        t.equal(response.statusCode, 403)
        t.equal(response.json().error.code, 'forbidden')
      })

      t.test('when the area is unknown, then 404', async (t) => {
        const response = await get('/v1/areas/BU05189999/trend')
        t.equal(response.statusCode, 404)
        t.equal(response.json().error.code, 'not_found')
      })

      t.test('when a period is not a quarter, then 400', async (t) => {
        for (const query of ['from=2024Q5', 'to=banana']) {
          const response = await get(`/v1/areas/WK051801/trend?${query}`)
          t.equal(response.statusCode, 400, query)
          t.equal(response.json().error.code, 'bad_request')
        }
      })
    })

    t.test('GET /v1/trends', async (t) => {
      interface ListItem {
        area_code: string
        period: string
        change: number | null
        p_value: number | null
        p_adjusted: number | null
        count: number | null
        count_prev_year: number | null
        rate: number | null
        suppressed?: string[]
        unreliable?: boolean
        mann_kendall: {
          s: number
          p: number
          slope: number | null
          suppressed?: string[]
          unreliable?: boolean
        } | null
      }

      t.test(
        'when no period is given, then the latest quarter with data is listed, largest rise first',
        async (t) => {
          const response = await get('/v1/trends?municipality=GM0518')
          t.equal(response.statusCode, 200)
          const { items, total } = response.json() as { items: ListItem[]; total: number }
          t.equal(total, 4)
          t.ok(items.every((item) => item.period === '2024Q4'))
          // changes: …0103 171/3200 − 100/3200, …0101 50/1790 − 26/1710, …0102 14/1200 − 7/1200
          t.same(
            items.map((item) => item.area_code),
            ['BU05180103', 'BU05180101', 'BU05180102', 'BU05180201'],
          )
          t.equal(items[3].change, null, 'no year over year across the gap: listed last')
          t.equal(items[3].p_adjusted, null)
        },
      )

      t.test(
        'when listed, then p_adjusted is Benjamini-Hochberg over the listed p-values (R p.adjust)',
        async (t) => {
          const { items } = (await get('/v1/trends?municipality=GM0518&sort=p_value')).json() as {
            items: ListItem[]
          }
          t.same(
            items.map((item) => item.area_code),
            ['BU05180103', 'BU05180101', 'BU05180102', 'BU05180201'],
          )
          // R 4.2:
          //   p <- c(poisson.test(c(171, 100), c(3200, 3200))$p.value,
          //          poisson.test(c(50, 26), c(1790, 1710))$p.value,
          //          poisson.test(c(14, 7), c(1200, 1200))$p.value)
          //   print(p, digits = 17)
          //   -> 1.9106099232236346e-05 1.1377395667821795e-02 1.8924713134765619e-01
          //   print(p.adjust(p, "BH"), digits = 17)
          //   -> 5.7318297696709036e-05 1.7066093501732691e-02 1.8924713134765619e-01
          const expectedP = [1.9106099232236346e-5, 1.1377395667821795e-2, 1.8924713134765619e-1]
          const expectedAdjusted = [
            5.7318297696709036e-5, 1.7066093501732691e-2, 1.8924713134765619e-1,
          ]
          expectedP.forEach((expected, index) => {
            t.ok(
              withinRelative(items[index].p_value!, expected, agreementWithR),
              describeGap(items[index].p_value!, expected),
            )
            t.ok(
              withinRelative(items[index].p_adjusted!, expectedAdjusted[index], agreementWithR),
              describeGap(items[index].p_adjusted!, expectedAdjusted[index]),
            )
          })
          t.same(
            items.map((item) => item.p_adjusted),
            benjaminiHochberg(items.map((item) => item.p_value)),
          )
          t.equal(items[3].p_value, null)
        },
      )

      t.test(
        'when paged, then BH still covers every match and total counts them all',
        async (t) => {
          const full = (await get('/v1/trends?municipality=GM0518')).json()
          const page = (await get('/v1/trends?municipality=GM0518&limit=2&offset=1')).json()
          t.equal(page.total, 4)
          t.same(page.items, full.items.slice(1, 3))
        },
      )

      t.test(
        'when a period is given in another spelling, then the list is at that quarter with data up to it',
        async (t) => {
          const { items } = (await get('/v1/trends?municipality=GM0518&period=2024-Q3')).json() as {
            items: ListItem[]
          }
          t.ok(items.every((item) => item.period === '2024Q3'))
          const own = items.find((item) => item.area_code === 'BU05180101')!
          t.equal(own.count, 14 + 11 + 12 + 8, '2023Q4 … 2024Q3')
          const series = (await get('/v1/areas/BU05180101/trend?to=2024Q3')).json()
          t.equal(own.mann_kendall!.s, series.seasonal_mann_kendall.s, 'seasonal test up to 2024Q3')
          t.equal(own.p_value, series.year_over_year.at(-1).p_value)
        },
      )

      t.test(
        'when listed, then each entry carries the seasonal Mann-Kendall of its quarterly rate',
        async (t) => {
          const { items } = (await get('/v1/trends?municipality=GM0518')).json() as {
            items: ListItem[]
          }
          const own = items.find((item) => item.area_code === 'BU05180103')!
          const area = neighbourhoods[2]
          const seasonal = seasonalMannKendall(
            periods.map((_, q) => area.suspects[q] / area.population(q)),
            4,
          )
          t.equal(own.mann_kendall!.s, seasonal.s)
          t.equal(own.mann_kendall!.p, seasonal.p)
          t.equal(own.mann_kendall!.slope, seasonal.slope)
        },
      )

      t.test(
        'when a viewer lists, then suppression follows the district and the order uses what is shown',
        async (t) => {
          const { items } = (await get('/v1/trends', viewer.headers)).json() as {
            items: ListItem[]
          }
          const byCode = new Map(items.map((item) => [item.area_code, item]))
          const small = byCode.get('BU05180102')!
          t.equal(small.count, 20, 'exact 14: the sum of its rounded quarters 3, 4, 3, 4 → 5 each')
          t.equal(small.count_prev_year, null, '7 suspects')
          t.equal(small.p_adjusted, null)
          t.ok(small.suppressed!.includes('p_adjusted'))
          const secondary = byCode.get('BU05180101')!
          t.equal(secondary.count_prev_year, null, 'the next smallest in WK051801 (25)')
          t.equal(secondary.change, null)
          t.equal(secondary.rate, 50 / 1790)
          t.equal(secondary.mann_kendall!.slope, null)
          t.same(secondary.mann_kendall!.suppressed, ['intercept', 'slope', 'slope_per_year'])
          const large = byCode.get('BU05180103')!
          t.equal(large.suppressed, undefined)
          t.equal(large.count, 170, '40 + 40 + 45 + 45, the rounded quarters of 42, 40, 45, 44')
          t.equal(large.mann_kendall!.slope === null, false)
          t.same(
            items.map((item) => item.area_code),
            ['BU05180103', 'BU05180101', 'BU05180102', 'BU05180201'],
            'suppressed changes sort last, by code',
          )
        },
      )

      t.test(
        'when an analyst lists, then values are exact and small bases are flagged unreliable',
        async (t) => {
          const { items } = (await get('/v1/trends', analyst.headers)).json() as {
            items: ListItem[]
          }
          const byCode = new Map(items.map((item) => [item.area_code, item]))
          t.equal(byCode.get('BU05180102')!.count_prev_year, 7)
          t.equal(byCode.get('BU05180101')!.count_prev_year, 26)
          t.equal(byCode.get('BU05180101')!.unreliable, undefined)
          t.equal(byCode.get('BU05180201')!.mann_kendall!.unreliable, true)
          t.equal(byCode.get('BU05180103')!.mann_kendall!.unreliable, undefined)
        },
      )

      t.test("when a key asks for another municipality's list, then 403", async (t) => {
        const response = await get('/v1/trends?municipality=GM0518', otherMunicipality.headers)
        t.equal(response.statusCode, 403)
        const own = (await get('/v1/trends', otherMunicipality.headers)).json()
        t.same(
          own.items.map((item: ListItem) => item.area_code),
          ['BU05990101'],
          'without municipality: the key scope',
        )
      })

      t.test('when the period is not a quarter, then 400', async (t) => {
        const response = await get('/v1/trends?municipality=GM0518&period=banana')
        t.equal(response.statusCode, 400)
        t.equal(response.json().error.code, 'bad_request')
        const sort = await get('/v1/trends?municipality=GM0518&sort=rate')
        t.equal(sort.statusCode, 400)
      })

      t.test('when nothing has data in scope, then the list is empty', async (t) => {
        const response = await get('/v1/trends?municipality=GM0777')
        t.same(response.json(), { items: [], total: 0 })
      })
    })
  })
}

import t from 'tap'
import type { AlertFacts, PredictorRise } from '../../../monitors/rules/alert-input.js'
import {
  exactStyle,
  explainAlert,
  type ExplanationStyle,
} from '../../../monitors/rules/explanation.js'
import { predictors } from '../../../models/vocabulary/indicators.js'

/**
 * Expected sentences are written by hand from the formats in monitors/rules/explanation.ts:
 * counts as given, one decimal for expected and threshold, rates as percentages with two
 * decimals, changes as whole percentages, p-values with two significant digits or "< 0.001".
 */
const debt = predictors.find((predictor) => predictor.term === 'parental_debt')!

const predictorRise: PredictorRise = Object.freeze({
  predictor: debt.term,
  relative_change: 0.4,
  count: 28,
  count_prev_year: 20,
  population: 1600,
})

type FactsOf<K extends AlertFacts['kind']> = Extract<AlertFacts, { kind: K }>

const aberration: FactsOf<'aberration'> = Object.freeze({
  kind: 'aberration',
  period: '2024Q4',
  observed: 9,
  expected: 3.14,
  upperbound: 7.36,
  baseline_from: 2019,
  baseline_to: 2023,
  population: 400,
  predictor: predictorRise,
})

const yoyRise: FactsOf<'yoy_rise'> = Object.freeze({
  kind: 'yoy_rise',
  period: '2024Q4',
  count: 30,
  count_prev_year: 10,
  population: 4000,
  population_prev_year: 4000,
  rate: 0.0075,
  rate_prev_year: 0.0025,
  relative_change: 2,
  p_value: 0.0011,
  p_adjusted: 0.0023,
  q: 0.05,
  min_relative_rise: 0.1,
  predictor: null,
})

const trend: FactsOf<'trend'> = Object.freeze({
  kind: 'trend',
  period: '2024Q4',
  from_period: '2019Q1',
  z: 2.5,
  p: 0.0124,
  slope_per_year: 0.0012,
  alpha: 0.05,
  count: 40,
  population: 4000,
  predictor: null,
})

const riskPercentile: FactsOf<'risk_percentile'> = Object.freeze({
  kind: 'risk_percentile',
  period: '2024Q4',
  horizon_quarters: 0,
  risk: 0.0375,
  percentile: 95,
  rank: 2,
  of: 40,
  scope: 'GM0518',
  p: 10,
  count: 40,
  population: 4000,
  predictor: null,
})

/** A viewer-like style: counts below 10 hidden, no figure computed from exact counts. */
const wordsOnly: ExplanationStyle = {
  count: (value) => (value < 10 ? 'fewer than 10' : String(value)),
  figuresShown: false,
  derivedShown: () => false,
}

/** Figures allowed but no derived value passes the check (a small base). */
const smallBase: ExplanationStyle = { ...exactStyle, derivedShown: () => false }

t.test('explainAlert', async (t) => {
  t.test('when aberration facts are explained exactly, then every figure is written', async (t) => {
    t.equal(
      explainAlert(aberration),
      '9 young suspects in 2024Q4 against 3.1 expected, threshold 7.4 from 2019–2023; parental debt up 40% year over year',
    )
  })

  t.test(
    'when the aberration model withheld its numbers, then the baseline is named in words',
    async (t) => {
      t.equal(
        explainAlert({ ...aberration, expected: null, upperbound: null, predictor: null }),
        '9 young suspects in 2024Q4, above what the same quarters of 2019–2023 make plausible',
      )
    },
  )

  t.test('when derived figures may not be shown, then only counts and words remain', async (t) => {
    t.equal(
      explainAlert(aberration, smallBase),
      '9 young suspects in 2024Q4, above what the same quarters of 2019–2023 make plausible',
    )
    t.equal(
      explainAlert(aberration, wordsOnly),
      'fewer than 10 young suspects in 2024Q4, above what the same quarters of 2019–2023 make plausible',
    )
  })

  t.test(
    'when yoy_rise facts are explained exactly, then rates, change and p-values are written',
    async (t) => {
      t.equal(
        explainAlert(yoyRise),
        '30 young suspects in the four quarters to 2024Q4 against 10 the year before: rate 0.75% against 0.25%, up 200% year over year (p = 0.0011, adjusted = 0.0023 at q 0.05)',
      )
    },
  )

  t.test('when a p-value is below 0.001, then it is written as < 0.001', async (t) => {
    t.match(
      explainAlert({ ...yoyRise, p_value: 0.000999, p_adjusted: 0.001 }),
      /\(p < 0\.001, adjusted = 0\.0010 at q 0\.05\)$/,
    )
  })

  t.test('when no adjusted p-value exists, then only the raw one is written', async (t) => {
    t.match(explainAlert({ ...yoyRise, p_adjusted: null }), /year over year \(p = 0\.0011\)$/)
  })

  t.test('when the year before had rate 0, then the rise is said in words', async (t) => {
    t.equal(
      explainAlert({ ...yoyRise, relative_change: null, count_prev_year: 0, rate_prev_year: 0 }),
      '30 young suspects in the four quarters to 2024Q4 against 0 the year before, a significant rise year over year',
    )
  })

  t.test(
    'when yoy_rise figures are not shown, then the sentence has no number but q',
    async (t) => {
      t.equal(
        explainAlert(yoyRise, wordsOnly),
        'the rate of young suspects in the four quarters to 2024Q4 rose significantly against the year before (Benjamini-Hochberg at q 0.05)',
      )
      t.equal(
        explainAlert(yoyRise, smallBase),
        '30 young suspects in the four quarters to 2024Q4 against 10 the year before, a significant rise year over year',
      )
    },
  )

  t.test(
    'when trend facts are explained exactly, then z, p and the slope are written',
    async (t) => {
      t.equal(
        explainAlert(trend),
        'rising trend in the quarterly rate of young suspects 2019Q1–2024Q4 (seasonal Mann-Kendall z = 2.50, p = 0.012), +0.12 percentage points a year',
      )
      t.match(
        explainAlert({ ...trend, slope_per_year: -0.0005 }),
        /, -0\.05 percentage points a year$/,
      )
    },
  )

  t.test(
    'when trend figures are limited, then the slope or every number is left out',
    async (t) => {
      t.equal(
        explainAlert(trend, smallBase),
        'rising trend in the quarterly rate of young suspects 2019Q1–2024Q4 (seasonal Mann-Kendall z = 2.50, p = 0.012)',
      )
      t.equal(
        explainAlert(trend, wordsOnly),
        'rising trend in the quarterly rate of young suspects 2019Q1–2024Q4 (seasonal Mann-Kendall)',
      )
    },
  )

  t.test(
    'when risk_percentile facts are explained exactly, then risk, rank and percentile are written',
    async (t) => {
      t.equal(
        explainAlert(riskPercentile),
        'risk 3.75% in 2024Q4 ranks 2 of 40 in GM0518: percentile 95.0, in the top 10%',
      )
      t.equal(
        explainAlert({ ...riskPercentile, scope: 'national', horizon_quarters: 4 }),
        'risk 3.75% in 2024Q4 (4 quarters ahead) ranks 2 of 40 nationally: percentile 95.0, in the top 10%',
      )
    },
  )

  t.test('when risk figures are limited, then the risk or every figure is left out', async (t) => {
    t.equal(
      explainAlert(riskPercentile, smallBase),
      'risk in 2024Q4 ranks 2 of 40 in GM0518: percentile 95.0, in the top 10%',
    )
    t.equal(explainAlert(riskPercentile, wordsOnly), 'risk in 2024Q4 in the top 10% in GM0518')
    t.equal(
      explainAlert({ ...riskPercentile, scope: 'national', horizon_quarters: 4 }, wordsOnly),
      'risk 4 quarters ahead in 2024Q4 in the top 10% nationally',
    )
  })

  t.test('when a predictor rose, then every kind names it after its figures', async (t) => {
    for (const facts of [yoyRise, trend, riskPercentile] as AlertFacts[]) {
      t.match(
        explainAlert({ ...facts, predictor: predictorRise } as AlertFacts),
        /; parental debt up 40% year over year$/,
        facts.kind,
      )
      t.notMatch(
        explainAlert({ ...facts, predictor: predictorRise } as AlertFacts, wordsOnly),
        /parental debt/,
        facts.kind,
      )
    }
  })

  t.test(
    'when a style judges the predictor clause, then it sees both counts and the quarterly base',
    async (t) => {
      // the predictor's population is a 4-quarter sum of people: the base per quarter is a quarter of it
      const seen: [readonly number[], number][] = []
      const recording: ExplanationStyle = {
        ...exactStyle,
        derivedShown: (counts, base) => {
          seen.push([counts, base])
          return counts.length !== 2
        },
      }
      const text = explainAlert({ ...trend, predictor: predictorRise }, recording)
      t.notMatch(text, /parental debt/)
      t.same(seen.at(-1), [[28, 20], 400])
    },
  )

  t.test('when explained twice, then the text is the same and the facts unchanged', async (t) => {
    for (const facts of [aberration, yoyRise, trend, riskPercentile] as AlertFacts[]) {
      t.equal(explainAlert(facts), explainAlert(facts), facts.kind)
    }
    t.equal(aberration.observed, 9)
  })
})

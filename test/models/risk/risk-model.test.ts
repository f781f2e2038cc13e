import t from 'tap'
import * as tf from '@tensorflow/tfjs'
import { fitBinomialGlm, NotIdentifiableError } from '../../../models/risk/binomial-glm.js'
import {
  fitRiskModel,
  riskModelTerms,
  type RiskModelRow,
  type RiskModelScores,
} from '../../../models/risk/risk-model.js'
import { shiftPeriod } from '../../../models/periods/quarter.js'
import { mulberry32 } from '../../../models/stats/seeded-random.js'
import { initTensorflowBackend } from '../../../services/plugins/tensorflow-backend.js'
import { withinRelative } from '../../support/tolerance.js'

const periods = ['2023Q1', '2023Q2', '2023Q3', '2023Q4', '2024Q1', '2024Q2']

/** 60 neighbourhoods in 3 municipalities × 6 quarters, seeded, outcome from planted coefficients. */
function syntheticRows(seed: number): RiskModelRow[] {
  const random = mulberry32(seed)
  const rows: RiskModelRow[] = []
  for (let area = 0; area < 60; area += 1) {
    const code = `BU000${area % 3}${String(area).padStart(4, '0')}`
    for (const period of periods) {
      const population = 100 + Math.floor(random() * 300)
      const esl = Math.floor(population * 0.1 * random())
      const halt = Math.floor(population * 0.05 * random())
      const debt = Math.floor(population * 0.2 * random())
      const probability =
        1 / (1 + Math.exp(-(-4 + 6 * (esl / population) + 4 * (halt / population))))
      let suspects = 0
      for (let person = 0; person < population; person += 1)
        if (random() < probability) suspects += 1
      rows.push({
        area_code: code,
        period,
        youth_population: population,
        early_school_leavers: esl,
        halt_registrations: halt,
        parental_debt: debt,
        drug_offence_suspects: suspects,
      })
    }
  }
  return rows
}

/** The score columns as one object per scored row (NaN read back as null, SQL NULL). */
function scoreRows(scores: RiskModelScores) {
  const known = (value: number) => (Number.isNaN(value) ? null : value)
  return Array.from({ length: scores.length }, (_, index) => ({
    row: scores.row[index],
    target_row: scores.target_row[index],
    area_code: scores.area_code[index],
    period: scores.period[index],
    target_period: scores.target_period[index],
    risk: scores.risk[index],
    expected: known(scores.expected[index]),
    observed: known(scores.observed[index]),
    standardized_ratio: known(scores.standardized_ratio[index]),
    rank: scores.rank[index],
    percentile: scores.percentile[index],
    rank_national: scores.rank_national[index],
    percentile_national: scores.percentile_national[index],
    in_fit: scores.in_fit[index] === 1,
  }))
}

t.before(async () => {
  await initTensorflowBackend('wasm')
})

t.test('when rows have NULLs or no young people, then they are excluded and counted', async (t) => {
  const rows = syntheticRows(1)
  rows[0] = { ...rows[0], halt_registrations: null }
  rows[1] = {
    ...rows[1],
    youth_population: 0,
    early_school_leavers: 0,
    halt_registrations: 0,
    parental_debt: 0,
    drug_offence_suspects: 0,
  }
  rows[2] = { ...rows[2], drug_offence_suspects: null }
  const result = fitRiskModel(tf, { rows: Object.freeze(rows.map((row) => Object.freeze(row))) })
  t.equal(result.n_rows, rows.length - 3)
  t.equal(result.n_excluded, 3)
  t.same(result.exclusions, {
    missing_predictor: 1,
    zero_population: 1,
    missing_target_quarter: 0,
    missing_outcome: 1,
    zero_target_population: 0,
  })
  t.same(
    result.coefficients.map((coefficient) => coefficient.term),
    [...riskModelTerms],
  )
  t.equal(result.data_from, '2023Q1')
  t.equal(result.data_to, '2024Q2')
  // Scored: every row with complete predictors (the NULL-outcome row too), not in the fit.
  t.equal(result.scores.length, rows.length - 2)
  const scores = scoreRows(result.scores)
  t.ok(
    scores.every(
      (score) =>
        rows[score.row].area_code === score.area_code &&
        rows[score.row].period === score.period &&
        score.target_row === score.row,
    ),
  )
  const unscoredOutcome = scores.find(
    (score) => score.area_code === rows[2].area_code && score.period === rows[2].period,
  )
  t.equal(unscoredOutcome?.in_fit, false)
  t.equal(unscoredOutcome?.observed, null)
  t.equal(unscoredOutcome?.standardized_ratio, null)
  t.ok(scores.every((score) => score.target_period === score.period))
  t.ok(scores.every((score) => score.rank >= 1 && score.percentile > 0 && score.percentile <= 100))
  // Ranks by the definitions, counting: within the period and municipality (GM + digits 3–6 of
  // the area code), and within the period nationally.
  const municipality = (areaCode: string) => areaCode.slice(2, 6)
  t.ok(
    scores.every((score) => {
      const period = scores.filter((other) => other.period === score.period)
      const peers = period.filter(
        (other) => municipality(other.area_code) === municipality(score.area_code),
      )
      const atMost = peers.filter((other) => other.risk <= score.risk).length
      return (
        score.rank === 1 + peers.filter((other) => other.risk > score.risk).length &&
        score.percentile === (100 * atMost) / peers.length &&
        score.rank_national === 1 + period.filter((other) => other.risk > score.risk).length
      )
    }),
  )
  t.equal(result.quality, null)
})

t.test(
  'when the horizon is 2 quarters, then quarter t+2 outcomes are modelled on quarter t rates',
  async (t) => {
    const rows = syntheticRows(2)
    const result = fitRiskModel(tf, { rows, horizonQuarters: 2 })
    // The last two quarters have no target quarter in the data: 60 areas × 2 excluded.
    t.equal(result.exclusions.missing_target_quarter, 120)
    t.equal(result.n_rows, 60 * 4)
    t.equal(result.data_to, '2023Q4')
    t.equal(result.horizon_quarters, 2)
    // The same fit by hand: pair each row of quarter t with its area's row of t + 2.
    const byKey = new Map(rows.map((row) => [`${row.area_code} ${row.period}`, row]))
    const design: number[][] = []
    const successes: number[] = []
    const trials: number[] = []
    for (const row of rows) {
      const target = byKey.get(`${row.area_code} ${shiftPeriod(row.period, 2)}`)
      if (!target) continue
      const n = row.youth_population as number
      design.push([
        1,
        (row.early_school_leavers as number) / n,
        (row.halt_registrations as number) / n,
        (row.parental_debt as number) / n,
      ])
      successes.push(target.drug_offence_suspects as number)
      trials.push(target.youth_population as number)
    }
    const byHand = fitBinomialGlm(tf, { design, successes, trials, termNames: riskModelTerms })
    result.coefficients.forEach((coefficient, j) => {
      t.ok(
        withinRelative(coefficient.estimate, byHand.coefficients[j].estimate, 1e-9),
        coefficient.term,
      )
    })
    const scores = scoreRows(result.scores)
    const latest = scores.filter((score) => score.period === '2024Q2')
    t.equal(latest.length, 60, 'the latest quarter is still scored')
    t.ok(
      latest.every(
        (score) =>
          score.target_period === '2024Q4' &&
          score.target_row === -1 &&
          score.observed === null &&
          score.expected === null,
      ),
    )
    const paired = scores.find((score) => score.period === '2023Q1')
    t.equal(paired?.target_period, '2023Q3')
    t.ok(paired?.in_fit)
    const target = rows[paired?.target_row ?? -1]
    t.equal(target?.area_code, paired?.area_code)
    t.equal(target?.period, '2023Q3')
    t.equal(paired?.observed, target?.drug_offence_suspects)
  },
)

t.test(
  'when a target quarter has a NULL or zero population, then the row is excluded',
  async (t) => {
    const rows = syntheticRows(3)
    const index = rows.findIndex((row) => row.period === '2023Q2')
    rows[index] = {
      ...rows[index],
      youth_population: 0,
      early_school_leavers: 0,
      halt_registrations: 0,
      parental_debt: 0,
      drug_offence_suspects: 0,
    }
    const result = fitRiskModel(tf, { rows, horizonQuarters: 1, from: '2023Q1', to: '2023Q1' })
    t.equal(result.exclusions.zero_target_population, 1)
    t.equal(result.n_rows, 59)
    t.equal(result.data_from, '2023Q1')
    t.equal(result.data_to, '2023Q1')
  },
)

t.test(
  'when a quality seed is given, then quality is assessed and the seed recorded',
  async (t) => {
    const result = fitRiskModel(tf, { rows: syntheticRows(4), qualitySeed: 99 })
    t.equal(result.quality?.cv_seed, 99)
    t.equal(result.quality?.cv_folds, 5)
    t.ok((result.quality?.cv_deviance ?? 0) > result.deviance)
  },
)

t.test('when no row is complete, then the model is not identifiable', async (t) => {
  const rows = syntheticRows(5).map((row) => ({ ...row, parental_debt: null }))
  t.throws(() => fitRiskModel(tf, { rows }), NotIdentifiableError)
})

t.test('when input is invalid, then it throws naming the rule', async (t) => {
  const rows = syntheticRows(6)
  t.throws(() => fitRiskModel(tf, { rows: [...rows, rows[0]] }), {
    name: 'RangeError',
    message: /^fitRiskModel requires one row per area_code and period/,
  })
  t.throws(() => fitRiskModel(tf, { rows, horizonQuarters: -1 }), {
    name: 'RangeError',
    message: /^fitRiskModel requires horizonQuarters/,
  })
  t.throws(() => fitRiskModel(tf, { rows: [{ ...rows[0], period: 'spring' }] }), {
    name: 'TypeError',
  })
  t.throws(() => fitRiskModel(tf, { rows: [{ ...rows[0], halt_registrations: 10_000 }] }), {
    name: 'RangeError',
    message: /between 0 and youth_population/,
  })
})

import { canonicalQuarter, shiftPeriod } from '../periods/quarter.js'
import { fitBinomialGlm, type BinomialGlmFit, type Tensorflow } from './binomial-glm.js'
import { assessModelQuality, type ModelQuality } from './model-quality.js'
import { riskRanks } from './risk-ranks.js'
import { scoreRisk, type RiskScore } from './score-risk.js'

/** One neighbourhood-quarter snapshot as the risk model reads it (counts may be NULL). */
export interface RiskModelRow {
  area_code: string
  period: string
  youth_population: number | null
  early_school_leavers: number | null
  halt_registrations: number | null
  parental_debt: number | null
  drug_offence_suspects: number | null
}

export interface RiskModelInput {
  rows: readonly RiskModelRow[]
  /** h ≥ 0: the outcome of quarter t+h is modelled on the predictor rates of quarter t; default 0. */
  horizonQuarters?: number
  /** First predictor quarter used (inclusive), e.g. `2020Q1`; default: no bound. */
  from?: string
  /** Last predictor quarter used (inclusive); default: no bound. */
  to?: string
  /** When given, model quality is assessed with cross-validation folds drawn from this seed. */
  qualitySeed?: number
  maxIterations?: number
  tolerance?: number
}

/** Why candidate rows were left out of the fit (their sum is `n_excluded`). */
export interface RiskModelExclusions {
  /** youth_population or a predictor count NULL in quarter t. */
  missing_predictor: number
  /** youth_population = 0 in quarter t. */
  zero_population: number
  /** h > 0 and no row for the area in quarter t+h. */
  missing_target_quarter: number
  /** drug_offence_suspects (or, h > 0, youth_population) NULL in the target quarter. */
  missing_outcome: number
  /** h > 0 and youth_population = 0 in the target quarter. */
  zero_target_population: number
}

export interface RiskModelScore extends RiskScore {
  area_code: string
  /** The predictors' quarter t. */
  period: string
  /** t + h: the quarter `observed` and `expected` refer to. */
  target_period: string
  /** Within the municipality (derived from the area code) and period. */
  rank: number
  percentile: number
  rank_national: number
  percentile_national: number
  /** True when the row was one of the fit's rows. */
  in_fit: boolean
}

export interface RiskModelResult extends BinomialGlmFit {
  horizon_quarters: number
  /** Rows the model was fitted on. */
  n_rows: number
  /** Candidate rows (predictor quarter within from–to) left out, by the reasons in `exclusions`. */
  n_excluded: number
  exclusions: RiskModelExclusions
  /** First and last predictor quarter among the fitted rows. */
  data_from: string
  data_to: string
  /** Scores of every row with complete predictors and youth_population > 0 in its quarter. */
  scores: RiskModelScore[]
  quality: ModelQuality | null
}

/** The model's terms, in design column order. */
export const riskModelTerms = [
  'intercept',
  'early_school_leaving',
  'halt',
  'parental_debt',
] as const

const functionName = 'fitRiskModel'
const countColumns = [
  'early_school_leavers',
  'halt_registrations',
  'parental_debt',
  'drug_offence_suspects',
] as const

function municipalityOf(areaCode: string): string {
  return `GM${areaCode.slice(2, 6)}`
}

/**
 * The Aanwas youth risk model (DESIGN.md, Definitions: Risk model, Risk per area): a binomial GLM
 * with logit link of drug-offence suspects out of the youth population, one row per
 * neighbourhood-quarter, on three rates as proportions 0–1 plus an intercept:
 * logit(risk) = intercept + early_school_leaving·(early_school_leavers / youth_population)
 * + halt·(halt_registrations / youth_population) + parental_debt·(parental_debt / youth_population).
 *
 * With `horizonQuarters` h > 0 the outcome of quarter t+h of the same area (its
 * drug_offence_suspects out of its youth_population) is modelled on the rates of quarter t
 * ("where will today's 13-year-olds be in a few years"); t+h is `shiftPeriod(t, h)`.
 * Rows whose quarter t lies within `from`–`to` are candidates; a candidate is left out and
 * counted when a model column is NULL or a youth_population is 0 (in either quarter when h > 0)
 * or its target quarter has no row. Fitted by `fitBinomialGlm` (R
 * `glm(cbind(y, n - y) ~ esl + halt + debt, family = binomial)`), then every row with complete
 * predictors is scored (`scoreRisk`: risk with delta-method interval, expected, standardized
 * ratio with exact Poisson interval; observed/expected null while the target quarter has no
 * data) and ranked per period within its municipality and nationally (`riskRanks`).
 *
 * @param tf the `@tensorflow/tfjs` namespace (backend initialised by `services/`)
 * @param input rows (not mutated), horizonQuarters (whole, ≥ 0), from/to (quarters), an optional
 *   qualitySeed for `assessModelQuality`, maxIterations and tolerance passed to the fit
 * @returns the fit (coefficients named by `riskModelTerms`, deviance, …), horizon_quarters,
 *   n_rows, n_excluded with exclusions by reason, data_from, data_to, scores and quality
 * @throws NotIdentifiableError (from the fit) when the data cannot identify the model
 * @throws RangeError / TypeError for a bad horizon, a period that is not a quarter, a duplicate
 *   area and period, or counts that are negative, not whole or above youth_population
 */
export function fitRiskModel(tf: Tensorflow, input: RiskModelInput): RiskModelResult {
  const horizon = input.horizonQuarters ?? 0
  if (!Number.isInteger(horizon) || horizon < 0) {
    throw new RangeError(
      `${functionName} requires horizonQuarters of 0 or more (whole), got ${horizon}`,
    )
  }
  const canonical = new Map<string, string>()
  const canonicalOf = (period: string, label: string): string => {
    let value = canonical.get(period)
    if (value === undefined) {
      value = typeof period === 'string' ? canonicalQuarter(period) : undefined
      if (value === undefined) {
        throw new TypeError(
          `${functionName} requires ${label} to be a quarter like 2024Q3, got "${period}"`,
        )
      }
      canonical.set(period, value)
    }
    return value
  }
  const from = input.from === undefined ? undefined : canonicalOf(input.from, 'from')
  const to = input.to === undefined ? undefined : canonicalOf(input.to, 'to')
  const targets = new Map<string, string>()
  const targetOf = (period: string): string => {
    let value = targets.get(period)
    if (value === undefined) {
      value = shiftPeriod(period, horizon)
      targets.set(period, value)
    }
    return value
  }

  const rows = input.rows
  const periods: string[] = new Array(rows.length)
  const byKey = new Map<string, number>()
  rows.forEach((row, index) => {
    const period = canonicalOf(row.period, `the period of row ${index + 1}`)
    periods[index] = period
    const population = row.youth_population
    if (population !== null && !(Number.isInteger(population) && population >= 0)) {
      throw new RangeError(
        `${functionName} requires youth_population of 0 or more (whole), row ${index + 1} has ${population}`,
      )
    }
    for (const column of countColumns) {
      const value = row[column]
      if (value === null) continue
      if (!Number.isInteger(value) || value < 0 || (population !== null && value > population)) {
        throw new RangeError(
          `${functionName} requires ${column} between 0 and youth_population (whole), row ${index + 1} has ${value}`,
        )
      }
    }
    const key = `${row.area_code}\u0000${period}`
    if (byKey.has(key)) {
      throw new RangeError(
        `${functionName} requires one row per area_code and period, ${row.area_code} ${period} repeats at row ${index + 1}`,
      )
    }
    byKey.set(key, index)
  })

  const exclusions: RiskModelExclusions = {
    missing_predictor: 0,
    zero_population: 0,
    missing_target_quarter: 0,
    missing_outcome: 0,
    zero_target_population: 0,
  }
  // Scored rows: complete predictors in quarter t; fit rows: also a usable target.
  const scoredRows: number[] = []
  const scoredTargets: (number | undefined)[] = []
  const scoredPeriods: string[] = []
  const fitFlags: boolean[] = []
  for (let index = 0; index < rows.length; index += 1) {
    const row = rows[index]
    const period = periods[index]
    if ((from !== undefined && period < from) || (to !== undefined && period > to)) continue
    if (
      row.youth_population === null ||
      row.early_school_leavers === null ||
      row.halt_registrations === null ||
      row.parental_debt === null
    ) {
      exclusions.missing_predictor += 1
      continue
    }
    if (row.youth_population === 0) {
      exclusions.zero_population += 1
      continue
    }
    const targetPeriod = horizon === 0 ? period : targetOf(period)
    const targetIndex = horizon === 0 ? index : byKey.get(`${row.area_code}\u0000${targetPeriod}`)
    scoredRows.push(index)
    scoredTargets.push(targetIndex)
    scoredPeriods.push(targetPeriod)
    let usable = false
    if (targetIndex === undefined) {
      exclusions.missing_target_quarter += 1
    } else {
      const target = rows[targetIndex]
      if (target.drug_offence_suspects === null || target.youth_population === null) {
        exclusions.missing_outcome += 1
      } else if (target.youth_population === 0) {
        exclusions.zero_target_population += 1
      } else {
        usable = true
      }
    }
    fitFlags.push(usable)
  }

  const columns = riskModelTerms.length
  const scoredDesign = new Float64Array(scoredRows.length * columns)
  scoredRows.forEach((index, position) => {
    const row = rows[index]
    const population = row.youth_population as number
    const offset = position * columns
    scoredDesign[offset] = 1
    scoredDesign[offset + 1] = (row.early_school_leavers as number) / population
    scoredDesign[offset + 2] = (row.halt_registrations as number) / population
    scoredDesign[offset + 3] = (row.parental_debt as number) / population
  })

  const fitPositions: number[] = []
  fitFlags.forEach((usable, position) => {
    if (usable) fitPositions.push(position)
  })
  const fitDesign = new Float64Array(fitPositions.length * columns)
  const successes = new Float64Array(fitPositions.length)
  const trials = new Float64Array(fitPositions.length)
  let dataFrom = ''
  let dataTo = ''
  fitPositions.forEach((position, slot) => {
    fitDesign.set(
      scoredDesign.subarray(position * columns, (position + 1) * columns),
      slot * columns,
    )
    const target = rows[scoredTargets[position] as number]
    successes[slot] = target.drug_offence_suspects as number
    trials[slot] = target.youth_population as number
    const period = periods[scoredRows[position]]
    if (dataFrom === '' || period < dataFrom) dataFrom = period
    if (dataTo === '' || period > dataTo) dataTo = period
  })

  const fit = fitBinomialGlm(tf, {
    design: fitDesign,
    successes,
    trials,
    termNames: riskModelTerms,
    maxIterations: input.maxIterations,
    tolerance: input.tolerance,
  })

  const population: (number | null)[] = []
  const observed: (number | null)[] = []
  for (const targetIndex of scoredTargets) {
    const target = targetIndex === undefined ? undefined : rows[targetIndex]
    population.push(target?.youth_population ?? null)
    observed.push(target?.drug_offence_suspects ?? null)
  }
  const rowScores = scoreRisk({
    coefficients: fit.coefficients.map((coefficient) => coefficient.estimate),
    covariance: fit.covariance,
    design: scoredDesign,
    population,
    observed,
  })

  // Ranks per predictor quarter, within the municipality and nationally.
  const ranks = new Array<ReturnType<typeof riskRanks>[number]>(scoredRows.length)
  const positionsByPeriod = new Map<string, number[]>()
  scoredRows.forEach((index, position) => {
    const list = positionsByPeriod.get(periods[index])
    if (list) list.push(position)
    else positionsByPeriod.set(periods[index], [position])
  })
  for (const positions of positionsByPeriod.values()) {
    const periodRanks = riskRanks(
      positions.map((position) => ({
        risk: rowScores[position].risk,
        group: municipalityOf(rows[scoredRows[position]].area_code),
      })),
    )
    positions.forEach((position, slot) => (ranks[position] = periodRanks[slot]))
  }

  const scores: RiskModelScore[] = scoredRows.map((index, position) => ({
    area_code: rows[index].area_code,
    period: periods[index],
    target_period: scoredPeriods[position],
    ...rowScores[position],
    ...ranks[position],
    in_fit: fitFlags[position],
  }))

  let quality: ModelQuality | null = null
  if (input.qualitySeed !== undefined) {
    quality = assessModelQuality(tf, {
      design: fitDesign,
      termNames: riskModelTerms,
      successes,
      trials,
      fittedRisk: fitPositions.map((position) => rowScores[position].risk),
      groups: fitPositions.map((position) => rows[scoredRows[position]].area_code),
      seed: input.qualitySeed,
    })
  }

  const nExcluded =
    exclusions.missing_predictor +
    exclusions.zero_population +
    exclusions.missing_target_quarter +
    exclusions.missing_outcome +
    exclusions.zero_target_population
  return {
    ...fit,
    horizon_quarters: horizon,
    n_rows: fit.n_rows,
    n_excluded: nExcluded,
    exclusions,
    data_from: dataFrom,
    data_to: dataTo,
    scores,
    quality,
  }
}

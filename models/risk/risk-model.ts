import { canonicalQuarter, parseQuarter, shiftPeriod } from '../periods/quarter.js'
import { fitBinomialGlm, type BinomialGlmFit, type Tensorflow } from './binomial-glm.js'
import { assessModelQuality, type ModelQuality } from './model-quality.js'
import { riskRanks, type RiskRanks } from './risk-ranks.js'
import { scoreRisk, type RiskScores } from './score-risk.js'
import {
  baseColumn,
  countColumns,
  modelTerms,
  outcomeColumn,
  predictors,
  type ValueColumn,
} from '../vocabulary/indicators.js'

/** One neighbourhood-quarter snapshot as the risk model reads it (counts may be NULL). */
export type RiskModelRow = {
  area_code: string
  period: string
} & { [Column in ValueColumn]: number | null }

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

/**
 * The scores as columns, one entry per scored row, in input row order (NaN marks an unknown value,
 * SQL NULL): a national run's 720,000 scores are a few arrays rather than 720,000 objects.
 * `rank` and `percentile` are within the municipality (derived from the area code) and period,
 * `rank_national` and `percentile_national` within the period.
 */
export interface RiskModelScores extends RiskScores, RiskRanks {
  /** The number of scored rows (the length of every column). */
  length: number
  /** Index in `input.rows` of the scored row: its area and predictors' quarter t. */
  row: Int32Array
  /** Index in `input.rows` of the area's row of quarter t + h; −1 when there is none. */
  target_row: Int32Array
  area_code: string[]
  /** The predictors' quarter t (canonical spelling). */
  period: string[]
  /** t + h: the quarter `observed` and `expected` refer to. */
  target_period: string[]
  /** 1 when the row was one of the fit's rows, else 0. */
  in_fit: Uint8Array
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
  scores: RiskModelScores
  quality: ModelQuality | null
}

/** The model's terms, in design column order (the vocabulary's `modelTerms`, under this name). */
export const riskModelTerms = modelTerms

/** The predictors' count columns, in design column order (after the intercept). */
const predictorColumns = predictors.map((entry) => entry.column)

const functionName = 'fitRiskModel'

function municipalityOf(areaCode: string): string {
  return `GM${areaCode.slice(2, 6)}`
}

/** A quarter as a whole number, 4·year + quarter − 1, so that t + h is ordinal + h. */
function quarterOrdinal(canonical: string): number {
  const parsed = parseQuarter(canonical)
  if (parsed === undefined) throw new TypeError(`not a quarter: ${canonical}`)
  return parsed.year * 4 + parsed.quarter - 1
}

function checkCount(value: number | null, column: string, population: number | null, row: number) {
  if (value === null) return
  if (!Number.isInteger(value) || value < 0 || (population !== null && value > population)) {
    throw new RangeError(
      `${functionName} requires ${column} between 0 and ${baseColumn} (whole), row ${row + 1} has ${value}`,
    )
  }
}

/** Whether every predictor count of a row is known. */
function predictorsComplete(row: RiskModelRow): boolean {
  for (let term = 0; term < predictorColumns.length; term += 1) {
    if (row[predictorColumns[term]] === null) return false
  }
  return true
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
 * ratio with exact Poisson interval; observed/expected NaN while the target quarter has no
 * data) and ranked per period within its municipality and nationally (`riskRanks`).
 *
 * Numerics: the work is columnar, sized for a national run (720,000 rows): areas and quarters
 * become whole numbers (a row's target is found in a table indexed by area and quarter), and
 * scores, ranks and the fit's inputs are typed arrays, so there is no per-row object to collect.
 * Cross-validation folds (`qualitySeed`) start from the full fit's estimates.
 *
 * @param tf the `@tensorflow/tfjs` namespace (backend initialised by `services/`)
 * @param input rows (not mutated), horizonQuarters (whole, ≥ 0), from/to (quarters), an optional
 *   qualitySeed for `assessModelQuality`, maxIterations and tolerance passed to the fit
 * @returns the fit (coefficients named by `riskModelTerms`, deviance, …), horizon_quarters,
 *   n_rows, n_excluded with exclusions by reason, data_from, data_to, scores (columns) and quality
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
  // Each distinct period spelling is parsed once: its ordinal (−1: not a quarter) and canonical text.
  const ordinalOfText = new Map<string, number>()
  const textOfOrdinal = new Map<number, string>()
  const ordinalOf = (period: string): number => {
    let ordinal = ordinalOfText.get(period)
    if (ordinal === undefined) {
      const value = typeof period === 'string' ? canonicalQuarter(period) : undefined
      ordinal = value === undefined ? -1 : quarterOrdinal(value)
      if (value !== undefined) textOfOrdinal.set(ordinal, value)
      ordinalOfText.set(period, ordinal)
    }
    return ordinal
  }
  const boundOf = (period: string | undefined, label: string): number | undefined => {
    if (period === undefined) return undefined
    const ordinal = ordinalOf(period)
    if (ordinal === -1) {
      throw new TypeError(
        `${functionName} requires ${label} to be a quarter like 2024Q3, got "${period}"`,
      )
    }
    return ordinal
  }
  const from = boundOf(input.from, 'from')
  const to = boundOf(input.to, 'to')

  // Areas and quarters as whole numbers.
  const rows = input.rows
  const count = rows.length
  const rowOrdinals = new Int32Array(count)
  const rowAreas = new Int32Array(count)
  const areaNumbers = new Map<string, number>()
  const areaCodes: string[] = []
  let firstOrdinal = Number.POSITIVE_INFINITY
  let lastOrdinal = Number.NEGATIVE_INFINITY
  for (let index = 0; index < count; index += 1) {
    const row = rows[index]
    const ordinal = ordinalOf(row.period)
    rowOrdinals[index] = ordinal
    if (ordinal !== -1) {
      if (ordinal < firstOrdinal) firstOrdinal = ordinal
      if (ordinal > lastOrdinal) lastOrdinal = ordinal
    }
    let area = areaNumbers.get(row.area_code)
    if (area === undefined) {
      area = areaCodes.length
      areaNumbers.set(row.area_code, area)
      areaCodes.push(row.area_code)
    }
    rowAreas[index] = area
  }
  const span = firstOrdinal <= lastOrdinal ? lastOrdinal - firstOrdinal + 1 : 1
  const periodTexts: string[] = new Array(span)
  for (const [ordinal, text] of textOfOrdinal) {
    if (ordinal >= firstOrdinal && ordinal <= lastOrdinal)
      periodTexts[ordinal - firstOrdinal] = text
  }
  // The row of each area and quarter: a table while areas × quarters stays near the row count
  // (the usual panel), else a Map of the same whole-number cells.
  const cells = areaCodes.length * span
  const table = cells <= 4 * count + 65_536 ? new Int32Array(cells).fill(-1) : undefined
  const sparse = table === undefined ? new Map<number, number>() : undefined
  const cellOf = (area: number, ordinal: number): number => area * span + (ordinal - firstOrdinal)
  const rowAt = (cell: number): number =>
    table !== undefined ? table[cell] : (sparse?.get(cell) ?? -1)

  for (let index = 0; index < count; index += 1) {
    const row = rows[index]
    const ordinal = rowOrdinals[index]
    if (ordinal === -1) {
      throw new TypeError(
        `${functionName} requires the period of row ${index + 1} to be a quarter like 2024Q3, got "${row.period}"`,
      )
    }
    const population = row[baseColumn]
    if (population !== null && !(Number.isInteger(population) && population >= 0)) {
      throw new RangeError(
        `${functionName} requires ${baseColumn} of 0 or more (whole), row ${index + 1} has ${population}`,
      )
    }
    for (const column of countColumns) checkCount(row[column], column, population, index)
    const cell = cellOf(rowAreas[index], ordinal)
    if (rowAt(cell) !== -1) {
      throw new RangeError(
        `${functionName} requires one row per area_code and period, ${row.area_code} ${periodTexts[ordinal - firstOrdinal]} repeats at row ${index + 1}`,
      )
    }
    if (table !== undefined) table[cell] = index
    else sparse?.set(cell, index)
  }

  const exclusions: RiskModelExclusions = {
    missing_predictor: 0,
    zero_population: 0,
    missing_target_quarter: 0,
    missing_outcome: 0,
    zero_target_population: 0,
  }
  // Scored rows: complete predictors in quarter t; fit rows: also a usable target.
  const scoredRows = new Int32Array(count)
  const targetRows = new Int32Array(count)
  const fitFlags = new Uint8Array(count)
  let scored = 0
  let fitted = 0
  for (let index = 0; index < count; index += 1) {
    const row = rows[index]
    const ordinal = rowOrdinals[index]
    if ((from !== undefined && ordinal < from) || (to !== undefined && ordinal > to)) continue
    if (row[baseColumn] === null || !predictorsComplete(row)) {
      exclusions.missing_predictor += 1
      continue
    }
    if (row[baseColumn] === 0) {
      exclusions.zero_population += 1
      continue
    }
    let targetIndex = index
    if (horizon > 0) {
      const targetOrdinal = ordinal + horizon
      targetIndex = targetOrdinal > lastOrdinal ? -1 : rowAt(cellOf(rowAreas[index], targetOrdinal))
    }
    scoredRows[scored] = index
    targetRows[scored] = targetIndex
    if (targetIndex === -1) {
      exclusions.missing_target_quarter += 1
    } else {
      const target = rows[targetIndex]
      if (target[outcomeColumn] === null || target[baseColumn] === null) {
        exclusions.missing_outcome += 1
      } else if (target[baseColumn] === 0) {
        exclusions.zero_target_population += 1
      } else {
        fitFlags[scored] = 1
        fitted += 1
      }
    }
    scored += 1
  }

  const columns = riskModelTerms.length
  const scoredDesign = new Float64Array(scored * columns)
  const fitDesign = new Float64Array(fitted * columns)
  const successes = new Float64Array(fitted)
  const trials = new Float64Array(fitted)
  const fitPositions = new Int32Array(fitted)
  let firstFitted = Number.POSITIVE_INFINITY
  let lastFitted = Number.NEGATIVE_INFINITY
  for (let position = 0, slot = 0; position < scored; position += 1) {
    const index = scoredRows[position]
    const row = rows[index]
    const population = row[baseColumn] as number
    const offset = position * columns
    scoredDesign[offset] = 1
    for (let term = 0; term < predictorColumns.length; term += 1) {
      scoredDesign[offset + 1 + term] = (row[predictorColumns[term]] as number) / population
    }
    if (fitFlags[position] === 0) continue
    for (let j = 0; j < columns; j += 1) fitDesign[slot * columns + j] = scoredDesign[offset + j]
    const target = rows[targetRows[position]]
    successes[slot] = target[outcomeColumn] as number
    trials[slot] = target[baseColumn] as number
    fitPositions[slot] = position
    const ordinal = rowOrdinals[index]
    if (ordinal < firstFitted) firstFitted = ordinal
    if (ordinal > lastFitted) lastFitted = ordinal
    slot += 1
  }

  const fit = fitBinomialGlm(tf, {
    design: fitDesign,
    successes,
    trials,
    termNames: riskModelTerms,
    maxIterations: input.maxIterations,
    tolerance: input.tolerance,
  })
  const estimates = fit.coefficients.map((coefficient) => coefficient.estimate)

  const population = new Float64Array(scored)
  const observed = new Float64Array(scored)
  for (let position = 0; position < scored; position += 1) {
    const targetIndex = targetRows[position]
    const target = targetIndex === -1 ? undefined : rows[targetIndex]
    population[position] = target?.[baseColumn] ?? Number.NaN
    observed[position] = target?.[outcomeColumn] ?? Number.NaN
  }
  const rowScores = scoreRisk({
    coefficients: estimates,
    covariance: fit.covariance,
    design: scoredDesign,
    population,
    observed,
  })

  // Ranks per predictor quarter, within the municipality and nationally: the scored positions
  // ordered by quarter (a counting sort), each quarter's risks ranked as one block.
  const municipalityNumbers = new Map<string, number>()
  const areaMunicipalities = Int32Array.from(areaCodes, (areaCode) => {
    const municipality = municipalityOf(areaCode)
    let number = municipalityNumbers.get(municipality)
    if (number === undefined) {
      number = municipalityNumbers.size
      municipalityNumbers.set(municipality, number)
    }
    return number
  })
  const quarterStart = new Int32Array(span + 1)
  for (let position = 0; position < scored; position += 1)
    quarterStart[rowOrdinals[scoredRows[position]] - firstOrdinal + 1] += 1
  for (let slot = 0; slot < span; slot += 1) quarterStart[slot + 1] += quarterStart[slot]
  const byQuarter = new Int32Array(scored)
  const quarterFilled = quarterStart.slice(0, span)
  for (let position = 0; position < scored; position += 1)
    byQuarter[quarterFilled[rowOrdinals[scoredRows[position]] - firstOrdinal]++] = position
  const ranks: RiskRanks = {
    rank: new Int32Array(scored),
    percentile: new Float64Array(scored),
    rank_national: new Int32Array(scored),
    percentile_national: new Float64Array(scored),
  }
  const blockRisks = new Float64Array(scored)
  const blockGroups = new Int32Array(scored)
  for (let slot = 0; slot < span; slot += 1) {
    const from = quarterStart[slot]
    const to = quarterStart[slot + 1]
    if (to === from) continue
    for (let member = from; member < to; member += 1) {
      const position = byQuarter[member]
      blockRisks[member] = rowScores.risk[position]
      blockGroups[member] = areaMunicipalities[rowAreas[scoredRows[position]]]
    }
    const quarterRanks = riskRanks({
      risk: blockRisks.subarray(from, to),
      group: blockGroups.subarray(from, to),
    })
    for (let member = from; member < to; member += 1) {
      const position = byQuarter[member]
      ranks.rank[position] = quarterRanks.rank[member - from]
      ranks.percentile[position] = quarterRanks.percentile[member - from]
      ranks.rank_national[position] = quarterRanks.rank_national[member - from]
      ranks.percentile_national[position] = quarterRanks.percentile_national[member - from]
    }
  }

  const targetTexts = new Map<number, string>()
  const targetTextOf = (ordinal: number): string => {
    let text = targetTexts.get(ordinal)
    if (text === undefined) {
      text = shiftPeriod(periodTexts[ordinal - firstOrdinal], horizon)
      targetTexts.set(ordinal, text)
    }
    return text
  }
  const areaColumn: string[] = new Array(scored)
  const periodColumn: string[] = new Array(scored)
  const targetPeriodColumn: string[] = new Array(scored)
  for (let position = 0; position < scored; position += 1) {
    const index = scoredRows[position]
    const ordinal = rowOrdinals[index]
    areaColumn[position] = areaCodes[rowAreas[index]]
    periodColumn[position] = periodTexts[ordinal - firstOrdinal]
    targetPeriodColumn[position] = horizon === 0 ? periodColumn[position] : targetTextOf(ordinal)
  }
  const scores: RiskModelScores = {
    length: scored,
    row: scoredRows.slice(0, scored),
    target_row: targetRows.slice(0, scored),
    area_code: areaColumn,
    period: periodColumn,
    target_period: targetPeriodColumn,
    ...rowScores,
    ...ranks,
    in_fit: fitFlags.slice(0, scored),
  }

  let quality: ModelQuality | null = null
  if (input.qualitySeed !== undefined) {
    quality = assessModelQuality(tf, {
      design: fitDesign,
      termNames: riskModelTerms,
      successes,
      trials,
      fittedRisk: Float64Array.from(fitPositions, (position) => rowScores.risk[position]),
      groups: Array.from(fitPositions, (position) => areaColumn[position]),
      seed: input.qualitySeed,
      coefficients: estimates,
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
    data_from: fitted > 0 ? periodTexts[firstFitted - firstOrdinal] : '',
    data_to: fitted > 0 ? periodTexts[lastFitted - firstOrdinal] : '',
    scores,
    quality,
  }
}

import { riskRanks } from '../../models/risk/risk-ranks.js'
import { scoreRisk } from '../../models/risk/score-risk.js'
import { shiftPeriod } from '../../models/periods/quarter.js'
import { municipalityCode } from './areas.js'
import { roundedCount, type DisclosureThresholds } from './disclosure.js'
import {
  baseColumn,
  countColumns,
  outcomeColumn,
  predictors,
  type SnapshotValues,
} from '../../models/vocabulary/indicators.js'

/**
 * The risk model as a viewer sees it (DESIGN.md §5, issue 14). A risk computed from exact
 * predictors gives a suppressed predictor count away: logit(risk) = b0 + (b1·e + b2·h + b3·d)/n
 * has one solution among the few hundred whole numbers e, h, d, n that the rounded table leaves
 * open, and every horizon adds an equation. So a viewer's risks are the run's model applied to
 * the **rounded table**: the same risk model, published to {@link modelSignificantDigits}
 * significant digits (coefficients and their covariance: exact estimates would be exact
 * equations on the national data, which matters when a run covers few rows), evaluated on the
 * predictor rates of rounded counts over rounded populations; expected and standardized ratios
 * on the rounded population and outcome; ranks and percentiles among those risks. Every number
 * is a function of the rounded table and the published model, nothing else.
 */

/** Significant digits of every model figure a viewer sees. */
export const modelSignificantDigits = 4

/** A number to `digits` significant digits (non-finite values as they are). */
export function toSignificantDigits(value: number, digits = modelSignificantDigits): number {
  return Number.isFinite(value) && value !== 0 ? Number(value.toPrecision(digits)) : value
}

/** The model a viewer's risks come from: the run's estimates and covariance, published. */
export interface PublishedModel {
  coefficients: number[]
  /** null for a run that kept no covariance (before this version): risks without intervals */
  covariance: number[][] | null
}

/**
 * The published model of a run: its estimates and covariance to {@link modelSignificantDigits}
 * significant digits; null for a run without coefficients (not succeeded).
 */
export function publishedModel(run: {
  coefficients: unknown
  covariance: unknown
}): PublishedModel | null {
  const coefficients = run.coefficients as { estimate: number }[] | null
  const covariance = run.covariance as number[][] | null
  if (!Array.isArray(coefficients) || coefficients.length === 0) return null
  return {
    coefficients: coefficients.map((coefficient) => toSignificantDigits(coefficient.estimate)),
    covariance: Array.isArray(covariance)
      ? covariance.map((row) => row.map((value) => toSignificantDigits(value)))
      : null,
  }
}

/** One neighbourhood-quarter of the table a viewer's risks are computed from. */
export interface RiskInputRow extends SnapshotValues {
  area_code: string
  period: string
}

/** The row with its counts and youth population rounded as the disclosure module rounds them. */
export function roundedRow<Row extends SnapshotValues>(
  row: Row,
  thresholds: DisclosureThresholds,
): Row {
  const rounded: Row = { ...row, [baseColumn]: roundedCount(row[baseColumn], thresholds) as number }
  for (const column of countColumns)
    rounded[column] = roundedCount(row[column], thresholds) as Row[typeof column]
  return rounded
}

/** The model's design row for a (rounded) quarter, or null when it has no complete predictors. */
function designRow(row: SnapshotValues): number[] | null {
  const population = row[baseColumn]
  if (!(population > 0)) return null
  const design = [1]
  for (const { column } of predictors) {
    const count = row[column]
    if (count === null) return null
    design.push(count / population)
  }
  return design
}

/** The model's risk for one quarter's rounded values; null without complete predictors. */
export function viewerRiskOf(model: PublishedModel, rounded: SnapshotValues): number | null {
  const design = designRow(rounded)
  if (!design) return null
  const linear = design.reduce((sum, value, j) => sum + value * model.coefficients[j], 0)
  return linear >= 0 ? 1 / (1 + Math.exp(-linear)) : Math.exp(linear) / (1 + Math.exp(linear))
}

/** A viewer's risk figures for one neighbourhood and predictor quarter. */
export interface ViewerRiskScore {
  area_code: string
  risk: number
  /** null when the run kept no covariance */
  risk_ci_low: number | null
  risk_ci_high: number | null
  /** rounded target population × risk; null while the target quarter has no data */
  expected: number | null
  standardized_ratio: number | null
  ratio_ci_low: number | null
  ratio_ci_high: number | null
  percentile: number
  rank: number
  percentile_national: number
  rank_national: number
}

const orNull = (value: number) => (Number.isNaN(value) ? null : value)

/**
 * A viewer's risk table for one predictor quarter (`period`) and horizon: every neighbourhood of
 * `rows` (the national table, so national ranks mean what they say) with complete predictors in
 * the rounded table is scored with the published model (`scoreRisk`: delta-method interval,
 * expected on the rounded target population, standardized ratio with an exact Poisson interval of
 * the rounded outcome), then ranked within its municipality and nationally (`riskRanks`).
 * `rows` holds the exact quarters `period` and `period + horizon`; they are rounded here.
 */
export function viewerRiskTable(
  model: PublishedModel,
  rows: readonly RiskInputRow[],
  period: string,
  horizon: number,
  thresholds: DisclosureThresholds,
): Map<string, ViewerRiskScore> {
  const targetPeriod = horizon === 0 ? period : shiftPeriod(period, horizon)
  const targets = new Map<string, SnapshotValues>()
  for (const row of rows) {
    if (row.period === targetPeriod) targets.set(row.area_code, roundedRow(row, thresholds))
  }
  const areas: string[] = []
  const design: number[][] = []
  const population: (number | null)[] = []
  const observed: (number | null)[] = []
  for (const row of rows) {
    if (row.period !== period) continue
    const values = designRow(roundedRow(row, thresholds))
    if (!values) continue
    const target = targets.get(row.area_code)
    areas.push(row.area_code)
    design.push(values)
    population.push(target ? target[baseColumn] : null)
    observed.push(target ? target[outcomeColumn] : null)
  }
  const table = new Map<string, ViewerRiskScore>()
  if (areas.length === 0) return table
  const columns = model.coefficients.length
  const scores = scoreRisk({
    coefficients: model.coefficients,
    // without a covariance the intervals are unknown (NaN below), the rest as usual
    covariance:
      model.covariance ??
      Array.from({ length: columns }, () => new Array(columns).fill(Number.NaN)),
    design,
    population,
    observed,
  })
  const ranks = riskRanks({ risk: scores.risk, group: areas.map(municipalityCode) })
  areas.forEach((area, index) => {
    table.set(area, {
      area_code: area,
      risk: scores.risk[index],
      risk_ci_low: orNull(scores.risk_ci_low[index]),
      risk_ci_high: orNull(scores.risk_ci_high[index]),
      expected: orNull(scores.expected[index]),
      standardized_ratio: orNull(scores.standardized_ratio[index]),
      ratio_ci_low: orNull(scores.ratio_ci_low[index]),
      ratio_ci_high: orNull(scores.ratio_ci_high[index]),
      percentile: ranks.percentile[index],
      rank: ranks.rank[index],
      percentile_national: ranks.percentile_national[index],
      rank_national: ranks.rank_national[index],
    })
  })
  return table
}

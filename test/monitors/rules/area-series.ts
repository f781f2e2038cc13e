import type { AlertInput, AreaSeriesInput, RiskInput } from '../../../monitors/rules/alert-input.js'
import { shiftPeriod } from '../../../models/periods/quarter.js'
import {
  baseColumn,
  outcomeColumn,
  predictors,
  type PredictorColumn,
} from '../../../models/vocabulary/indicators.js'

/**
 * Test support for monitors/rules: small hand-made neighbourhood series, keyed by the columns of
 * the indicator vocabulary (models/vocabulary/indicators.ts) rather than by repeated literals.
 */

/** `count` consecutive canonical quarters starting at `first`. */
export function quartersFrom(first: string, count: number): string[] {
  return Array.from({ length: count }, (_, index) => shiftPeriod(first, index))
}

export interface SeriesValues {
  /** youth population per quarter (the base) */
  population: readonly (number | null)[]
  /** the outcome count per quarter (young suspects) */
  outcome: readonly (number | null)[]
  /** per predictor column; default: a constant 50 in every quarter */
  predictorCounts?: Partial<Record<PredictorColumn, readonly (number | null)[]>>
}

/** One neighbourhood's series in the shape rule evaluation reads. */
export function areaSeries(
  areaCode: string,
  values: SeriesValues,
  municipalityCode = 'GM0518',
): AreaSeriesInput {
  const length = values.outcome.length
  const predictorSeries = Object.fromEntries(
    predictors.map((predictor) => [
      predictor.column,
      values.predictorCounts?.[predictor.column] ?? Array.from({ length }, () => 50),
    ]),
  ) as Record<PredictorColumn, readonly (number | null)[]>
  return {
    area_code: areaCode,
    area_name: null,
    municipality_code: municipalityCode,
    [baseColumn]: values.population,
    [outcomeColumn]: values.outcome,
    ...predictorSeries,
  } as AreaSeriesInput
}

/** The same value `length` times. */
export function constant<T>(value: T, length: number): T[] {
  return Array.from({ length }, () => value)
}

/** The input of rule evaluation over the given periods, with optional risk runs by horizon. */
export function alertInput(
  periods: readonly string[],
  areas: readonly AreaSeriesInput[],
  risks: readonly RiskInput[] = [],
): AlertInput {
  return {
    periods,
    areas,
    riskByHorizon: new Map(risks.map((risk) => [risk.horizon_quarters, risk])),
  }
}

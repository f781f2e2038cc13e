import { baseColumn, predictors } from '../../models/vocabulary/indicators.js'
import type { AreaSeriesInput, PredictorRise } from './alert-input.js'

/** Σ count and Σ population over `length` quarters ending at `end`; null when one is missing. */
export function windowSums(
  counts: readonly (number | null)[],
  population: readonly (number | null)[],
  end: number,
  length: number,
): { count: number; population: number } | null {
  if (end - length + 1 < 0 || end >= counts.length) return null
  let count = 0
  let people = 0
  for (let index = end - length + 1; index <= end; index += 1) {
    const value = counts[index]
    const size = population[index]
    if (value === null || value === undefined || size === null || size === undefined) return null
    count += value
    people += size
  }
  return { count, population: people }
}

/**
 * The predictor that rose most year over year at quarter `end` (4-quarter rate against the four
 * quarters before), when it rose by at least `minimumRise`: the "why" an explanation adds
 * ("parental debt up 40% year over year"). Null when none rose that much or data are missing.
 */
export function largestPredictorRise(
  area: AreaSeriesInput,
  end: number,
  minimumRise = 0.1,
): PredictorRise | null {
  let best: PredictorRise | null = null
  for (const { term: predictor, column } of predictors) {
    const current = windowSums(area[column], area[baseColumn], end, 4)
    const previous = windowSums(area[column], area[baseColumn], end - 4, 4)
    if (!current || !previous || current.population === 0 || previous.population === 0) continue
    if (previous.count === 0) continue
    const rate = current.count / current.population
    const ratePrevious = previous.count / previous.population
    const relative = (rate - ratePrevious) / ratePrevious
    if (relative >= minimumRise && (best === null || relative > best.relative_change)) {
      best = {
        predictor,
        relative_change: relative,
        count: current.count,
        count_prev_year: previous.count,
        population: Math.min(current.population, previous.population),
      }
    }
  }
  return best
}

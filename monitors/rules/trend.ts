import normalQuantile from '@stdlib/stats-base-dists-normal-quantile'
import { seasonalMannKendall } from '../../models/trends/seasonal-mann-kendall.js'
import {
  continuityCorrectedZ,
  mannKendallScore,
  presentValues,
  scoreVariance,
} from '../../models/trends/mann-kendall-steps.js'
import { baseColumn, outcomeColumn } from '../../models/vocabulary/indicators.js'
import type { AlertInput, AreaSeriesInput, Finding } from './alert-input.js'
import type { KindEvaluator } from './kind-evaluator.js'
import type { TrendParams } from './rule-params.js'
import { largestPredictorRise, windowSums } from './series-window.js'

/**
 * `trend`: a rising seasonal Mann-Kendall trend (period 4, pymannkendall's `seasonal_test`) in
 * the quarterly outcome rate, from the area's first quarter up to the evaluated one, at `alpha`.
 * Each quarter is compared only with the same quarter of other years, so a seasonal pattern is
 * not taken for a trend.
 *
 * value = z, threshold = the two-sided critical value Φ⁻¹(1 − alpha/2). Areas whose suspects
 * over the last four quarters stay below `min_count` cannot fire and are not tested. The
 * others are screened on z alone, computed by the test's own steps (per-season S and tie-
 * corrected variance, continuity-corrected z, from models/trends/internal.ts): only an area
 * with z above the critical value can be "increasing", and only those get the full
 * `seasonalMannKendall` (whose Sen slope, a median of every within-season pairwise slope, is
 * the expensive part) for the explanation. The verdict is the same either way.
 */
/**
 * z of the seasonal test (period 4) for the rates, as `seasonalMannKendall` computes it; 0
 * without computing the variance when S ≤ 1, where z ≤ 0 lies below any critical value.
 */
function seasonalZ(rates: readonly (number | null)[]): number {
  const seasons = 4
  const cycles = Math.ceil(rates.length / seasons)
  const columns: Float64Array[] = []
  let score = 0
  for (let season = 0; season < seasons; season += 1) {
    const column = new Float64Array(cycles)
    for (let cycle = 0; cycle < cycles; cycle += 1) {
      const value = rates[cycle * seasons + season]
      column[cycle] = value === null || value === undefined ? NaN : value
    }
    const present = presentValues(column)
    score += mannKendallScore(present)
    columns.push(present)
  }
  if (score <= 1) return 0
  let variance = 0
  for (const present of columns) variance += scoreVariance(present)
  return variance > 0 ? continuityCorrectedZ(score, variance) : 0
}

export function trendEvaluator(
  input: AlertInput,
  areas: readonly AreaSeriesInput[],
  params: TrendParams,
): KindEvaluator {
  const critical = normalQuantile(1 - params.alpha / 2, 0, 1)
  return {
    at(back, positions) {
      const end = input.periods.length - 1 - back
      if (end < 7) return positions.map(() => null)
      const period = input.periods[end]
      return positions.map((position): Finding | null => {
        const area = areas[position]
        const recent = windowSums(area[outcomeColumn], area[baseColumn], end, 4)
        if (!recent || recent.count < params.min_count) return null
        const rates: (number | null)[] = new Array(end + 1)
        let first = -1
        let present = 0
        for (let index = 0; index <= end; index += 1) {
          const count = area[outcomeColumn][index]
          const population = area[baseColumn][index]
          if (count === null || population === null || !(population > 0)) {
            rates[index] = null
            continue
          }
          rates[index] = count / population
          if (first < 0) first = index
          present += 1
        }
        if (present < 8) return null
        if (!(seasonalZ(rates) > critical)) return null
        let result
        try {
          result = seasonalMannKendall(rates, 4, params.alpha)
        } catch {
          return null
        }
        const fires = result.trend === 'increasing'
        return {
          fires,
          period,
          value: result.z,
          threshold: critical,
          facts: {
            kind: 'trend',
            period,
            from_period: input.periods[first],
            z: result.z,
            p: result.p,
            slope_per_year: result.slope,
            alpha: params.alpha,
            count: recent.count,
            population: recent.population,
            predictor: fires ? largestPredictorRise(area, end) : null,
          },
        }
      })
    },
  }
}

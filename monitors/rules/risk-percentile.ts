import { baseColumn, outcomeColumn } from '../../models/vocabulary/indicators.js'
import type { AlertInput, AreaSeriesInput, Finding } from './alert-input.js'
import type { KindEvaluator } from './kind-evaluator.js'
import type { RiskPercentileParams } from './rule-params.js'
import { largestPredictorRise, windowSums } from './series-window.js'

/**
 * `risk_percentile`: the area is in the top p% by risk, read from the percentiles the latest
 * successful model run (of the rule's `horizon_quarters`) stored: within the municipality for a
 * municipality's rule (`percentile`), nationally for a national rule (`percentile_national`).
 * "Top p%" is percentile > 100 − p (DESIGN.md §3 GET /v1/risk). The quarters are the run's
 * scored predictor quarters; the latest is the one evaluated.
 *
 * value = the percentile, threshold = 100 − p. `min_count` applies to the suspects over the
 * four quarters ending at the scored quarter, so a tiny neighbourhood does not fire on risk
 * alone.
 */
export function riskPercentileEvaluator(
  input: AlertInput,
  areas: readonly AreaSeriesInput[],
  params: RiskPercentileParams,
  municipality: string | null,
): KindEvaluator {
  const risk = input.riskByHorizon.get(params.horizon_quarters)
  const seriesIndex = new Map(input.periods.map((period, index) => [period, index]))
  return {
    at(back, positions) {
      if (!risk) return positions.map(() => null)
      const end = risk.periods.length - 1 - back
      if (end < 0) return positions.map(() => null)
      const period = risk.periods[end]
      const seriesEnd = seriesIndex.get(period)
      return positions.map((position): Finding | null => {
        const area = areas[position]
        const scores = risk.byArea.get(area.area_code)
        if (!scores) return null
        const percentile = municipality ? scores.percentile[end] : scores.percentile_national[end]
        const rank = municipality ? scores.rank[end] : scores.rank_national[end]
        const value = scores.risk[end]
        if (percentile === null || rank === null || value === null) return null
        const recent =
          seriesEnd === undefined
            ? null
            : windowSums(area[outcomeColumn], area[baseColumn], seriesEnd, 4)
        const count = recent?.count ?? 0
        const fires = percentile > 100 - params.p && recent !== null && count >= params.min_count
        const of = municipality
          ? (risk.municipalitySizes.get(area.municipality_code)?.[end] ?? 0)
          : (risk.nationalSizes[end] ?? 0)
        return {
          fires,
          period,
          value: percentile,
          threshold: 100 - params.p,
          facts: {
            kind: 'risk_percentile',
            period,
            horizon_quarters: params.horizon_quarters,
            risk: value,
            percentile,
            rank,
            of,
            scope: municipality ?? 'national',
            p: params.p,
            count,
            population: recent?.population ?? 0,
            predictor:
              fires && seriesEnd !== undefined ? largestPredictorRise(area, seriesEnd) : null,
          },
        }
      })
    },
  }
}

import { farringtonFlexibleLatest } from '../../models/aberration/farrington-flexible.js'
import { baseColumn, outcomeColumn } from '../../models/vocabulary/indicators.js'
import type { AlertInput, AreaSeriesInput, Finding } from './alert-input.js'
import type { KindEvaluator } from './kind-evaluator.js'
import type { AberrationParams } from './rule-params.js'
import { largestPredictorRise } from './series-window.js'

/**
 * `aberration`: the quarter's drug-offence suspects above the upper bound of R surveillance's
 * `farringtonFlexible` (freq 4, the same quarter ± w in the past b years, quasi-Poisson with
 * overdispersion, outbreak reweighting, 2/3-power threshold, population offset from
 * youth_population; see models/aberration/farrington-flexible.ts).
 *
 * value = the observed count, threshold = the upper bound. Only areas whose count reaches
 * `min_count` (and is at least 1) are fitted: below it the rule cannot fire, and skipping those
 * fits is what keeps 15,000 neighbourhoods within the time budget. A series the fit cannot
 * handle (for instance an all-zero baseline that makes the design rank deficient) gives no
 * finding instead of stopping the evaluation of every other area.
 */
export function aberrationEvaluator(
  input: AlertInput,
  areas: readonly AreaSeriesInput[],
  params: AberrationParams,
): KindEvaluator {
  const options = {
    alpha: params.alpha,
    b: params.b,
    w: params.w,
    weightsThreshold: params.weights_threshold,
    limit54: params.limit54,
    populationOffset: true,
  }
  return {
    at(back, positions) {
      const end = input.periods.length - 1 - back
      if (end < 0) return positions.map(() => null)
      const period = input.periods[end]
      const year = Number(period.slice(0, 4))
      return positions.map((position): Finding | null => {
        const area = areas[position]
        const observed = area[outcomeColumn][end]
        const population = area[baseColumn][end]
        if (observed === null || population === null || !(population > 0)) return null
        if (observed < Math.max(1, params.min_count)) return null
        let result
        try {
          result = farringtonFlexibleLatest(
            [
              {
                observed: area[outcomeColumn].slice(0, end + 1),
                population: area[baseColumn].slice(0, end + 1),
                frequency: 4,
              },
            ],
            options,
          )[0]
        } catch {
          return null
        }
        if (result.upperbound === null) return null
        return {
          fires: result.alarm,
          period,
          value: observed,
          threshold: result.upperbound,
          facts: {
            kind: 'aberration',
            period,
            observed,
            expected: result.expected,
            upperbound: result.upperbound,
            baseline_from: year - params.b,
            baseline_to: year - 1,
            population,
            predictor: result.alarm ? largestPredictorRise(area, end) : null,
          },
        }
      })
    },
  }
}

import { benjaminiHochberg } from '../../models/stats/benjamini-hochberg.js'
import { poissonRateTest } from '../../models/stats/poisson-rate-test.js'
import type { YearOverYearEntry } from '../../models/trends/year-over-year.js'
import { baseColumn, outcomeColumn } from '../../models/vocabulary/indicators.js'
import type { AlertInput, AreaSeriesInput, Finding } from './alert-input.js'
import type { KindEvaluator } from './kind-evaluator.js'
import type { YoyRiseParams } from './rule-params.js'
import { largestPredictorRise, windowSums } from './series-window.js'

/**
 * `yoy_rise`: a significant rise of the 4-quarter rate over the year before. The exact
 * conditional Poisson test of DESIGN.md "Year over year" (`yearOverYear`) gives each area's
 * p-value at the quarter; Benjamini-Hochberg across every area in the rule's scope with a
 * p-value keeps the expected share of false alarms among the flagged at most q. An area fires
 * when its adjusted p-value is ≤ q, the rate rose by at least `min_relative_rise` (relative to
 * the year before) and the 4-quarter count reaches `min_count`.
 *
 * value = relative change, threshold = `min_relative_rise`. Each entry is `yearOverYear`'s at
 * the evaluated quarter, computed from the two 4-quarter windows directly (the same sums,
 * the same `poissonRateTest`, the same "no entry when a quarter is missing or a population sums
 * to 0") instead of parsing the quarters of every area: 15,000 areas stay within budget.
 */
export function yoyRiseEvaluator(
  input: AlertInput,
  areas: readonly AreaSeriesInput[],
  params: YoyRiseParams,
): KindEvaluator {
  const cache = new Map<number, (Finding | null)[]>()

  function allAt(back: number): (Finding | null)[] {
    const end = input.periods.length - 1 - back
    if (end < 7) return areas.map(() => null)
    const period = input.periods[end]
    const entries: (YearOverYearEntry | null)[] = areas.map((area) => {
      const current = windowSums(area[outcomeColumn], area[baseColumn], end, 4)
      const previous = windowSums(area[outcomeColumn], area[baseColumn], end - 4, 4)
      if (!current || !previous || current.population === 0 || previous.population === 0)
        return null
      const rate = current.count / current.population
      const ratePrevious = previous.count / previous.population
      const change = rate - ratePrevious
      return {
        period,
        rate,
        rate_prev_year: ratePrevious,
        change,
        relative_change: ratePrevious === 0 ? null : change / ratePrevious,
        p_value: poissonRateTest(
          [current.count, previous.count],
          [current.population, previous.population],
        ).p_value,
        count: current.count,
        population: current.population,
        count_prev_year: previous.count,
        population_prev_year: previous.population,
      }
    })
    const adjusted = benjaminiHochberg(entries.map((entry) => entry?.p_value ?? null))
    return entries.map((entry, position): Finding | null => {
      if (!entry) return null
      const pAdjusted = adjusted[position]
      const fires =
        pAdjusted !== null &&
        pAdjusted <= params.q &&
        entry.change > 0 &&
        entry.relative_change !== null &&
        entry.relative_change >= params.min_relative_rise &&
        entry.count >= params.min_count
      return {
        fires,
        period,
        value: entry.relative_change,
        threshold: params.min_relative_rise,
        facts: {
          kind: 'yoy_rise',
          period,
          count: entry.count,
          count_prev_year: entry.count_prev_year,
          population: entry.population,
          population_prev_year: entry.population_prev_year,
          rate: entry.rate,
          rate_prev_year: entry.rate_prev_year,
          relative_change: entry.relative_change,
          p_value: entry.p_value,
          p_adjusted: pAdjusted,
          q: params.q,
          min_relative_rise: params.min_relative_rise,
          predictor: fires ? largestPredictorRise(areas[position], end) : null,
        },
      }
    })
  }

  return {
    at(back, positions) {
      let all = cache.get(back)
      if (!all) {
        all = allAt(back)
        cache.set(back, all)
      }
      return positions.map((position) => all[position])
    },
  }
}

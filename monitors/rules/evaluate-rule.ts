import type { AlertInput, AreaSeriesInput, Finding } from './alert-input.js'
import { aberrationEvaluator } from './aberration.js'
import type { KindEvaluator } from './kind-evaluator.js'
import { riskPercentileEvaluator } from './risk-percentile.js'
import type { AlertKind, ParamsByKind, RuleParams } from './rule-params.js'
import { trendEvaluator } from './trend.js'
import { yoyRiseEvaluator } from './yoy-rise.js'

export interface RuleToEvaluate {
  id: string
  kind: AlertKind
  params: RuleParams
  /** the rule's scope; null = every neighbourhood */
  municipality: string | null
}

/** An open (firing or acknowledged) alert of the rule. */
export interface OpenAlertState {
  id: string
  area_code: string
}

export interface AlertDecision {
  area_code: string
  area: AreaSeriesInput | null
  /** the finding at the latest quarter; null when the data allow none (condition clear) */
  finding: Finding | null
  /** consecutive quarters up to the latest with the condition held, counted as far as needed */
  hitStreak: number
  /** consecutive quarters up to the latest with the condition clear, counted as far as needed */
  clearStreak: number
}

export interface RuleEvaluation {
  /** new alerts: the condition held in `consecutive` quarters and no alert was open */
  fire: AlertDecision[]
  /** open alerts that stay open (updated with the latest finding when it fires) */
  keep: Array<AlertDecision & { alertId: string }>
  /** open alerts whose condition has been clear for `clear_quarters` quarters */
  resolve: Array<AlertDecision & { alertId: string }>
}

function evaluatorFor(
  rule: RuleToEvaluate,
  input: AlertInput,
  areas: readonly AreaSeriesInput[],
): KindEvaluator {
  switch (rule.kind) {
    case 'aberration':
      return aberrationEvaluator(input, areas, rule.params as ParamsByKind['aberration'])
    case 'yoy_rise':
      return yoyRiseEvaluator(input, areas, rule.params as ParamsByKind['yoy_rise'])
    case 'trend':
      return trendEvaluator(input, areas, rule.params as ParamsByKind['trend'])
    case 'risk_percentile':
      return riskPercentileEvaluator(
        input,
        areas,
        rule.params as ParamsByKind['risk_percentile'],
        rule.municipality,
      )
  }
}

/**
 * Evaluates one rule over every neighbourhood in its scope in one pass, with hysteresis.
 *
 * The condition is evaluated at the latest quarter for every area; earlier quarters only where
 * a streak must be measured: for an area without an open alert whose condition holds, back to
 * `consecutive` quarters (it fires when all of them hold); for an area with an open alert whose
 * condition is clear, back to `clear_quarters` quarters (it resolves when all are clear). The
 * decision depends only on the data and on whether an alert is open, so evaluating twice (an
 * upload and the model run after it) gives the same result, and revised quarters are taken
 * into account. A quarter without a finding (missing data, a count below `min_count`) counts
 * as clear. Open alerts of areas no longer in scope resolve.
 *
 * Complexity: one evaluation per area at the latest quarter, plus at most
 * max(consecutive, clear_quarters) − 1 for the areas that need a streak.
 */
export function evaluateRule(
  rule: RuleToEvaluate,
  input: AlertInput,
  openAlerts: readonly OpenAlertState[],
): RuleEvaluation {
  const areas = rule.municipality
    ? input.areas.filter((area) => area.municipality_code === rule.municipality)
    : input.areas
  const evaluator = evaluatorFor(rule, input, areas)
  const openByArea = new Map(openAlerts.map((alert) => [alert.area_code, alert]))
  const { consecutive, clear_quarters: clearQuarters } = rule.params

  const all = areas.map((_, position) => position)
  const latest = evaluator.at(0, all)
  const firesNow = latest.map((finding) => finding?.fires === true)
  const streak = latest.map(() => 1)
  const needed = areas.map((area, position) => {
    if (openByArea.has(area.area_code)) return firesNow[position] ? consecutive : clearQuarters
    return firesNow[position] ? consecutive : 1
  })
  const depth = Math.max(consecutive, clearQuarters)
  let pending = all.filter((position) => needed[position] > 1)
  for (let back = 1; back < depth && pending.length > 0; back += 1) {
    const findings = evaluator.at(back, pending)
    const next: number[] = []
    pending.forEach((position, index) => {
      if ((findings[index]?.fires === true) !== firesNow[position]) return
      streak[position] += 1
      if (streak[position] < needed[position]) next.push(position)
    })
    pending = next
  }

  const evaluation: RuleEvaluation = { fire: [], keep: [], resolve: [] }
  areas.forEach((area, position) => {
    const decision: AlertDecision = {
      area_code: area.area_code,
      area,
      finding: latest[position],
      hitStreak: firesNow[position] ? streak[position] : 0,
      clearStreak: firesNow[position] ? 0 : streak[position],
    }
    const open = openByArea.get(area.area_code)
    if (!open) {
      if (firesNow[position] && streak[position] >= consecutive) evaluation.fire.push(decision)
      return
    }
    openByArea.delete(area.area_code)
    if (decision.clearStreak >= clearQuarters) {
      evaluation.resolve.push({ ...decision, alertId: open.id })
    } else {
      evaluation.keep.push({ ...decision, alertId: open.id })
    }
  })
  for (const open of openByArea.values()) {
    evaluation.resolve.push({
      area_code: open.area_code,
      area: null,
      finding: null,
      hitStreak: 0,
      clearStreak: clearQuarters,
      alertId: open.id,
    })
  }
  return evaluation
}

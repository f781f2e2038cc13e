import { randomUUID } from 'node:crypto'
import type { Knex } from 'knex'
import type { AlertInput, AreaSeriesInput, RiskInput } from '../../monitors/rules/alert-input.js'
import { evaluateRule } from '../../monitors/rules/evaluate-rule.js'
import { explainAlert } from '../../monitors/rules/explanation.js'
import type { ParamsByKind } from '../../monitors/rules/rule-params.js'
import type { DatabaseEngine } from '../db/open-database.js'
import { alertResource } from '../domain/alert-disclosure.js'
import type {
  AlertRow,
  AlertUpdate,
  AlertsRepository,
  NewAlert,
} from '../repositories/alerts-repository.js'
import type { OutboxEvent, WebhooksRepository } from '../repositories/webhooks-repository.js'
import type { SnapshotsRepository } from '../repositories/snapshots-repository.js'
import { areaSeriesOf, type SnapshotPanel } from '../db/snapshot-panel.js'
import { valueColumns, type ValueColumn } from '../../models/vocabulary/indicators.js'

export interface EvaluateAlertsDependencies {
  knex: Knex
  engine: DatabaseEngine
  alertsRepository: AlertsRepository
  webhooksRepository: WebhooksRepository
  snapshotsRepository: SnapshotsRepository
}

export interface EvaluationSummary {
  rules: number
  areas: number
  fired: number
  resolved: number
  open: number
  events: number
  /** time spent reading input, evaluating rules, writing alerts and events, and in total */
  read_ms: number
  evaluate_ms: number
  write_ms: number
  ms: number
}

export type AlertEventType = 'alert.firing' | 'alert.resolved'

/**
 * The webhook event body (DESIGN.md §3), serialised once: these exact bytes are stored in the
 * outbox, signed and sent on every attempt.
 */
export function eventBody(
  eventId: string,
  type: AlertEventType,
  createdAt: Date,
  alert: AlertRow,
): string {
  return JSON.stringify({
    id: eventId,
    type,
    created_at: createdAt.toISOString(),
    alert: alertResource(alert),
  })
}

/**
 * Evaluates every alert rule over every neighbourhood in its scope (a Practica-style use case):
 * read the rules, the open alerts, the series and the latest risk scores through the
 * repositories, evaluate each rule in one pass (monitors/rules), then write new, updated and
 * resolved alerts and their webhook events in ONE transaction, so an event exists exactly when
 * its alert change does (transactional outbox). On PostgreSQL the transaction first takes an
 * advisory lock, so evaluations from several instances run one after the other and never both
 * fire the same alert; the unique index on open alerts guards it as well.
 */
/** Every neighbourhood's aligned series, as the rules read them, from the shared panel. */
function seriesInputOf(panel: SnapshotPanel): Pick<AlertInput, 'periods' | 'areas'> {
  // plain indexed loops: 15,000 areas × 5 columns × 48 quarters through Array.from's iterator
  // and callback took as long as reading the panel itself (bench alerts_eval_ms)
  const asList = (values: Float64Array): (number | null)[] => {
    const list = new Array<number | null>(values.length)
    for (let index = 0; index < values.length; index += 1) {
      const value = values[index]
      list[index] = Number.isNaN(value) ? null : value
    }
    return list
  }
  return {
    periods: panel.periods,
    areas: panel.areas.map((area, position) => {
      const series = areaSeriesOf(panel, position)
      const input = {
        area_code: area.area_code,
        area_name: area.area_name,
        municipality_code: area.municipality_code,
      } as AreaSeriesInput & Record<ValueColumn, (number | null)[]>
      for (const column of valueColumns) input[column] = asList(series[column])
      return input
    }),
  }
}

export async function evaluateAlerts(
  dependencies: EvaluateAlertsDependencies,
): Promise<EvaluationSummary> {
  const { knex, engine, alertsRepository, webhooksRepository, snapshotsRepository } = dependencies
  const started = performance.now()
  const summary: EvaluationSummary = {
    rules: 0,
    areas: 0,
    fired: 0,
    resolved: 0,
    open: 0,
    events: 0,
    read_ms: 0,
    evaluate_ms: 0,
    write_ms: 0,
    ms: 0,
  }
  // Open alerts cannot exist without their rule (cascade), so no rule means nothing to do.
  if (!(await alertsRepository.hasRules())) return summary
  return knex.transaction(async (trx) => {
    if (engine === 'postgres') await alertsRepository.lockEvaluation(trx)
    const rules = await alertsRepository.allRules(trx)
    const openAlerts = await alertsRepository.openAlerts(undefined, trx)
    if (rules.length === 0 && openAlerts.length === 0) return summary
    summary.rules = rules.length

    const series = seriesInputOf(await snapshotsRepository.currentPanel({}, trx))
    const depthByHorizon = new Map<number, number>()
    for (const rule of rules) {
      if (rule.kind !== 'risk_percentile') continue
      const params = rule.params as ParamsByKind['risk_percentile']
      const depth = Math.max(params.consecutive, params.clear_quarters)
      depthByHorizon.set(
        params.horizon_quarters,
        Math.max(depth, depthByHorizon.get(params.horizon_quarters) ?? 0),
      )
    }
    const riskByHorizon = new Map<number, RiskInput>()
    for (const [horizon, depth] of depthByHorizon) {
      const risk = await alertsRepository.riskInput(horizon, depth, trx)
      if (risk) riskByHorizon.set(horizon, risk)
    }
    const input: AlertInput = { ...series, riskByHorizon }
    summary.areas = input.areas.length

    const evaluating = performance.now()
    summary.read_ms = Math.round(evaluating - started)
    const openByRule = new Map<string, AlertRow[]>()
    for (const alert of openAlerts) {
      const list = openByRule.get(alert.rule_id)
      if (list) list.push(alert)
      else openByRule.set(alert.rule_id, [alert])
    }
    const now = new Date()
    const inserts: NewAlert[] = []
    const updates: AlertUpdate[] = []
    const resolutions: Array<{ id: string; clear_streak: number }> = []
    const fired: AlertRow[] = []
    const resolved: AlertRow[] = []

    for (const rule of rules) {
      const open = openByRule.get(rule.id) ?? []
      openByRule.delete(rule.id)
      const openById = new Map(open.map((alert) => [alert.id, alert]))
      const evaluation = evaluateRule(rule, input, open)
      for (const decision of evaluation.fire) {
        const finding = decision.finding!
        const alert: NewAlert = {
          id: randomUUID(),
          rule_id: rule.id,
          kind: rule.kind,
          area_code: decision.area_code,
          municipality_code: decision.area!.municipality_code,
          period: finding.period,
          value: finding.value,
          threshold: finding.threshold,
          facts: finding.facts,
          explanation: explainAlert(finding.facts),
          state: 'firing',
          hit_streak: decision.hitStreak,
          clear_streak: 0,
          first_fired_at: now,
        }
        inserts.push(alert)
        fired.push({
          ...alert,
          rule_name: rule.name,
          area_name: decision.area!.area_name,
          resolved_at: null,
          acknowledged_at: null,
          acknowledged_by: null,
          updated_at: now,
        })
      }
      for (const decision of evaluation.keep) {
        const previous = openById.get(decision.alertId)!
        const finding = decision.finding?.fires ? decision.finding : null
        updates.push({
          id: decision.alertId,
          period: finding?.period ?? previous.period,
          value: finding ? finding.value : previous.value,
          threshold: finding ? finding.threshold : previous.threshold,
          facts: finding?.facts ?? previous.facts,
          explanation: finding ? explainAlert(finding.facts) : previous.explanation,
          hit_streak: decision.hitStreak,
          clear_streak: decision.clearStreak,
        })
      }
      for (const decision of evaluation.resolve) {
        const previous = openById.get(decision.alertId)!
        resolutions.push({ id: decision.alertId, clear_streak: decision.clearStreak })
        resolved.push({
          ...previous,
          rule_name: rule.name,
          state: 'resolved',
          resolved_at: now,
          hit_streak: 0,
          clear_streak: decision.clearStreak,
          updated_at: now,
        })
      }
    }

    const writing = performance.now()
    summary.evaluate_ms = Math.round(writing - evaluating)
    await alertsRepository.insertAlerts(inserts, trx)
    await alertsRepository.updateAlerts(updates, trx)
    await alertsRepository.resolveAlerts(resolutions, now, trx)

    const webhooks = await webhooksRepository.all(trx)
    const events: OutboxEvent[] = []
    if (webhooks.length > 0) {
      const changes: Array<[AlertEventType, AlertRow]> = [
        ...fired.map((alert): [AlertEventType, AlertRow] => ['alert.firing', alert]),
        ...resolved.map((alert): [AlertEventType, AlertRow] => ['alert.resolved', alert]),
      ]
      for (const [type, alert] of changes) {
        const eventId = randomUUID()
        const body = eventBody(eventId, type, now, alert)
        for (const webhook of webhooks) {
          events.push({ event_id: eventId, webhook_id: webhook.id, event_type: type, body })
        }
      }
      await webhooksRepository.enqueue(events, trx)
    }
    summary.fired = fired.length
    summary.resolved = resolved.length
    summary.open = openAlerts.length - resolved.length + fired.length
    summary.events = events.length
    summary.write_ms = Math.round(performance.now() - writing)
    summary.ms = Math.round(performance.now() - started)
    return summary
  })
}

/**
 * Deletes a rule (a use case of its own because of the outbox): its open alerts are resolved
 * first, with their `alert.resolved` events, in the same transaction as the deletion, so a
 * receiver never keeps an alert open that no longer exists. The rule's alerts go with it.
 * Answers false when there was no such rule.
 */
export async function deleteAlertRule(
  dependencies: Omit<EvaluateAlertsDependencies, 'snapshotsRepository'>,
  ruleId: string,
): Promise<boolean> {
  const { knex, engine, alertsRepository, webhooksRepository } = dependencies
  return knex.transaction(async (trx) => {
    if (engine === 'postgres') await alertsRepository.lockEvaluation(trx)
    const open = await alertsRepository.openAlerts(ruleId, trx)
    const webhooks = open.length > 0 ? await webhooksRepository.all(trx) : []
    const now = new Date()
    const events: OutboxEvent[] = []
    for (const alert of open) {
      const eventId = randomUUID()
      const body = eventBody(eventId, 'alert.resolved', now, {
        ...alert,
        state: 'resolved',
        resolved_at: now,
        updated_at: now,
      })
      for (const webhook of webhooks) {
        events.push({
          event_id: eventId,
          webhook_id: webhook.id,
          event_type: 'alert.resolved',
          body,
        })
      }
    }
    if (events.length > 0) await webhooksRepository.enqueue(events, trx)
    return alertsRepository.deleteRule(ruleId, trx)
  })
}

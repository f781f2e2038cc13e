import { explainAlert, type ExplanationStyle } from '../../monitors/rules/explanation.js'
import type { AlertRow } from './records.js'
import type { Alert } from '../schemas/alerts.js'
import { roundToMultiple, type DisclosureThresholds } from './disclosure.js'

const iso = (value: Date | string | null) => (value ? new Date(value).toISOString() : null)

/** The alert as GET /v1/alerts and the webhook events send it, exact (analysts, admins). */
export function alertResource(row: AlertRow): Alert {
  return {
    id: row.id,
    rule_id: row.rule_id,
    rule_name: row.rule_name,
    kind: row.kind,
    area_code: row.area_code,
    area_name: row.area_name,
    municipality: row.municipality_code,
    period: row.period,
    value: row.value,
    threshold: row.threshold,
    explanation: row.explanation,
    state: row.state,
    consecutive_quarters: row.hit_streak,
    clear_quarters: row.clear_streak,
    first_fired_at: iso(row.first_fired_at)!,
    resolved_at: iso(row.resolved_at),
    acknowledged_at: iso(row.acknowledged_at),
    updated_at: iso(row.updated_at)!,
  }
}

/**
 * The viewer's way of writing an explanation, from the disclosure thresholds: one quarter's count
 * as the viewer's table shows it (below minCell "fewer than 10", else rounded), and no figure
 * computed from exact counts.
 */
export function viewerExplanationStyle(thresholds: DisclosureThresholds): ExplanationStyle {
  return {
    count: (value) =>
      value < thresholds.minCell
        ? `fewer than ${thresholds.minCell}`
        : String(roundToMultiple(value, thresholds.roundTo)),
    figuresShown: false,
    derivedShown: () => false,
  }
}

/**
 * Alerts for a viewer (DESIGN.md §5, issue 14). An alert is evaluated on exact values, so its
 * `value` and `threshold` are exact figures: an aberration's count with the threshold it exceeded
 * pins a suppressed count (fired, fewer than 10, threshold 8.3: it was 9), and a percentile, a
 * Mann-Kendall statistic or a relative rise of exact 4-quarter rates gives exact counts away in
 * combination. A viewer sees that the alert fired, where, when and why in words; `value` only
 * when it is one quarter's count the viewer's table shows (an aberration's count of at least
 * minCell, rounded), `threshold` only when it is a rule parameter (yoy_rise, risk_percentile,
 * trend). Withheld fields are null and listed in `suppressed`.
 */
export function viewerAlerts(rows: readonly AlertRow[], thresholds: DisclosureThresholds): Alert[] {
  const style = viewerExplanationStyle(thresholds)
  return rows.map((row) => {
    const resource = alertResource(row)
    const suppressed: string[] = []
    let value: number | null = null
    let threshold: number | null = row.threshold
    if (row.facts.kind === 'aberration') {
      const count = row.value
      if (count !== null && count >= thresholds.minCell) {
        value = roundToMultiple(count, thresholds.roundTo)
      } else if (count !== null) {
        suppressed.push('value')
      }
      // the Farrington bound is computed from the exact history
      if (threshold !== null) suppressed.push('threshold')
      threshold = null
    } else if (row.value !== null) {
      suppressed.push('value')
    }
    return {
      ...resource,
      value,
      threshold,
      explanation: explainAlert(row.facts, style),
      ...(suppressed.length > 0 ? { suppressed: suppressed.sort() } : {}),
    }
  })
}

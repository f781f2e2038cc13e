import { explainAlert, type ExplanationStyle } from '../../monitors/rules/explanation.js'
import type { AlertRow } from '../plugins/app/alerts/alerts-repository.js'
import type { Alert } from '../schemas/alerts.js'
import {
  discloseForViewer,
  roundToMultiple,
  type DisclosureSpec,
  type DisclosureThresholds,
} from './disclosure.js'

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
 * The viewer's way of writing numbers in an explanation, from the disclosure thresholds: counts
 * below minCell read "fewer than 10", other counts are rounded as the disclosure module rounds
 * them; a rate, change or p-value is left out when a count it rests on is below minCell or its
 * base (young people) is below minBase.
 */
export function viewerExplanationStyle(thresholds: DisclosureThresholds): ExplanationStyle {
  return {
    count: (value) =>
      value < thresholds.minCell
        ? `fewer than ${thresholds.minCell}`
        : String(roundToMultiple(value, thresholds.roundTo)),
    derivedShown: (counts, base) =>
      base >= thresholds.minBase && counts.every((count) => count >= thresholds.minCell),
  }
}

/** The counts an alert's value rests on, per kind, for the disclosure module. */
interface AlertDisclosureRow {
  /** the value when it is itself a count (aberration), else null */
  count_value: number | null
  /** the counts a derived value rests on (yoy_rise: both years) */
  support_count: number | null
  support_count_prev: number | null
  /** the value when it is derived (relative rise), else null */
  derived_value: number | null
  base: number | null
}

/**
 * Alert values for viewers (DESIGN.md §5): an aberration's value is a count (suppressed below
 * minCell, else rounded); a year-over-year rise is a change (suppressed when either year's
 * count is suppressed or its base is small); a Mann-Kendall z and a risk percentile use only
 * ranks and are shown. Secondary suppression does not apply: an alert list is not a table of a
 * district's neighbourhoods.
 */
const alertSpec: DisclosureSpec<AlertDisclosureRow> = {
  counts: ['count_value', 'support_count', 'support_count_prev'],
  derived: [
    {
      field: 'derived_value',
      from: ['support_count', 'support_count_prev'],
      base: (row) => row.base,
    },
  ],
}

function disclosureRow(row: AlertRow): AlertDisclosureRow {
  const facts = row.facts
  if (facts.kind === 'aberration') {
    return {
      count_value: row.value,
      support_count: null,
      support_count_prev: null,
      derived_value: null,
      base: null,
    }
  }
  if (facts.kind === 'yoy_rise') {
    return {
      count_value: null,
      support_count: facts.count,
      support_count_prev: facts.count_prev_year,
      derived_value: row.value,
      base: Math.min(facts.population, facts.population_prev_year) / 4,
    }
  }
  return {
    count_value: null,
    support_count: null,
    support_count_prev: null,
    derived_value: null,
    base: null,
  }
}

/** Alerts for a viewer: values through the disclosure module, explanations written viewer-safe. */
export function viewerAlerts(rows: readonly AlertRow[], thresholds: DisclosureThresholds): Alert[] {
  const disclosed = discloseForViewer(rows.map(disclosureRow), alertSpec, thresholds)
  const style = viewerExplanationStyle(thresholds)
  return rows.map((row, index) => {
    const resource = alertResource(row)
    const marks = disclosed[index]
    const suppressed =
      (marks.suppressed ?? []).includes('count_value') ||
      (marks.suppressed ?? []).includes('derived_value')
    let value = row.value
    if (suppressed) value = null
    else if (row.facts.kind === 'aberration') value = marks.count_value
    return {
      ...resource,
      value,
      explanation: explainAlert(row.facts, style),
      ...(suppressed ? { suppressed: ['value'] } : {}),
    }
  })
}

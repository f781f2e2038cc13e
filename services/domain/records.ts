import type { SnapshotValues } from '../../models/vocabulary/indicators.js'
import type { AlertFacts } from '../../monitors/rules/alert-input.js'
import type { AlertKind, RuleParams } from '../../monitors/rules/rule-params.js'

/**
 * The stored records the business rules read (disclosure of snapshots and alerts): their shapes
 * are declared here, beneath the repositories that fill them, so the rules never import a
 * repository.
 */

/** A stored snapshot row as the API shows it (rates are computed on the way out). */
export interface StoredSnapshot extends SnapshotValues {
  area_code: string
  period: string
  batch_id: string
  recorded_at: Date
}

export type AlertState = 'firing' | 'acknowledged' | 'resolved'

export interface AlertRuleRow {
  id: string
  name: string
  kind: AlertKind
  params: RuleParams
  municipality: string | null
  created_by: string | null
  created_at: Date
  updated_at: Date
}

export interface AlertRow {
  id: string
  rule_id: string
  rule_name: string
  kind: AlertKind
  area_code: string
  area_name: string | null
  municipality_code: string
  period: string
  value: number | null
  threshold: number | null
  facts: AlertFacts
  explanation: string
  state: AlertState
  hit_streak: number
  clear_streak: number
  first_fired_at: Date
  resolved_at: Date | null
  acknowledged_at: Date | null
  acknowledged_by: string | null
  updated_at: Date
}

import type { RiskItem } from '../schemas/risk.js'
import {
  discloseForViewer,
  flagUnreliable,
  type DisclosureSpec,
  type DisclosureThresholds,
} from './disclosure.js'

export type RiskRow = RiskItem & { parent_code: string | null }

/**
 * How a risk row's fields relate for disclosure control (DESIGN.md §5): `observed` is a count;
 * the standardized ratio and its interval reveal it and go with it; risk, its interval and
 * `expected` rest on the youth population, so a base below AANWAS_MIN_BASE suppresses them.
 * Secondary suppression of `observed` works per district and target quarter.
 */
export const riskDisclosureSpec: DisclosureSpec<RiskRow> = {
  counts: ['observed'],
  populations: ['youth_population'],
  derived: [
    { field: 'risk', from: [], base: (row) => row.youth_population },
    { field: 'risk_ci_low', from: [], base: (row) => row.youth_population },
    { field: 'risk_ci_high', from: [], base: (row) => row.youth_population },
    { field: 'expected', from: [], base: (row) => row.youth_population },
    { field: 'standardized_ratio', from: ['observed'], base: (row) => row.youth_population },
    { field: 'ratio_ci_low', from: ['observed'], base: (row) => row.youth_population },
    { field: 'ratio_ci_high', from: ['observed'], base: (row) => row.youth_population },
  ],
  group: (row) => (row.parent_code ? `${row.parent_code}|${row.target_period}` : null),
  identity: (row) => row.area_code,
}

function withoutDistrict({
  parent_code: _parent,
  ...item
}: RiskRow & { suppressed?: string[]; unreliable?: boolean }): RiskItem {
  return item
}

/** Viewer rows: the disclosure module over the whole table (all districts present). */
export function viewerRisk(rows: readonly RiskRow[], thresholds: DisclosureThresholds): RiskItem[] {
  return discloseForViewer(rows, riskDisclosureSpec, thresholds).map(withoutDistrict)
}

/** Exact rows for analysts and admins, small bases flagged `unreliable`. */
export function exactRisk(rows: readonly RiskRow[], thresholds: DisclosureThresholds): RiskItem[] {
  return flagUnreliable(rows, riskDisclosureSpec, thresholds).map(withoutDistrict)
}

import { baseColumn, type BaseColumn } from '../../models/vocabulary/indicators.js'
import type { RiskItem, Run } from '../schemas/risk.js'
import {
  discloseForViewer,
  flagUnreliable,
  type DisclosureSpec,
  type DisclosureThresholds,
} from './disclosure.js'
import { toSignificantDigits, type ViewerRiskScore } from './viewer-risk.js'

/** A stored score as the route reads it (exact), with the neighbourhood's district. */
export type RiskRow = RiskItem & { parent_code: string | null }

/** An exact row beside the viewer's figures for the same neighbourhood (null: none). */
type RiskRowWithViewer = RiskRow & { viewer: ViewerRiskScore | null }

const fromViewer =
  (field: keyof ViewerRiskScore & keyof RiskItem) =>
  (rounded: RiskRowWithViewer): number | null =>
    (rounded.viewer?.[field] as number | null | undefined) ?? null

const populationBase = (row: { [K in BaseColumn]: number | null }) => row[baseColumn]

/**
 * How a risk row's fields relate for disclosure control (DESIGN.md §5): `observed` is a cell
 * (the target quarter's count: suppressed below minCell, else rounded; secondary suppression per
 * district and target quarter); the standardized ratio and its interval rest on it and go with
 * it; risk, its interval and `expected` rest on the youth population, so a base below minBase
 * suppresses them. What a viewer is shown of each comes from the viewer's risk table
 * (`viewer-risk.ts`: the published model on the rounded table), never from the exact score.
 */
const viewerRiskSpec: DisclosureSpec<RiskRowWithViewer> = {
  basis: 'cells',
  counts: ['observed'],
  populations: [baseColumn],
  derived: [
    ...(['risk', 'risk_ci_low', 'risk_ci_high', 'expected'] as const).map((field) => ({
      field,
      from: [],
      base: populationBase,
      fromRounded: fromViewer(field),
    })),
    ...(['standardized_ratio', 'ratio_ci_low', 'ratio_ci_high'] as const).map((field) => ({
      field,
      from: ['observed' as const],
      base: populationBase,
      fromRounded: fromViewer(field),
    })),
  ],
  group: (row) => (row.parent_code ? `${row.parent_code}|${row.target_period}` : null),
  identity: (row) => row.area_code,
}

/** The same relations for the exact rows analysts and admins see (the `unreliable` flag). */
const exactRiskSpec: DisclosureSpec<RiskRow> = {
  basis: 'rounded',
  counts: ['observed'],
  populations: [baseColumn],
  derived: [
    ...(['risk', 'risk_ci_low', 'risk_ci_high', 'expected'] as const).map((field) => ({
      field,
      from: [],
      base: populationBase,
    })),
    ...(['standardized_ratio', 'ratio_ci_low', 'ratio_ci_high'] as const).map((field) => ({
      field,
      from: ['observed' as const],
      base: populationBase,
    })),
  ],
}

function withoutInternals({
  parent_code: _parent,
  viewer: _viewer,
  ...item
}: RiskRowWithViewer & { suppressed?: string[] }): RiskItem {
  return item
}

/**
 * Viewer rows for one municipality's (or the nation's) table at a predictor quarter: the cell
 * rule on the exact outcome, every other figure and the order from the viewer's risk table, by
 * the viewer's risk descending (ties by area code), so not even the order comes from an exact
 * value. `table` is the viewer's risk table of the same run, quarter and horizon.
 */
export function viewerRisk(
  rows: readonly RiskRow[],
  table: ReadonlyMap<string, ViewerRiskScore>,
  thresholds: DisclosureThresholds,
): RiskItem[] {
  const joined: RiskRowWithViewer[] = rows.map((row) => {
    const viewer = table.get(row.area_code) ?? null
    return {
      ...row,
      viewer,
      percentile: viewer?.percentile ?? null,
      rank: viewer?.rank ?? null,
      percentile_national: viewer?.percentile_national ?? null,
      rank_national: viewer?.rank_national ?? null,
    }
  })
  const disclosed = discloseForViewer(joined, viewerRiskSpec, thresholds)
  const order = (row: RiskRowWithViewer) => row.viewer?.risk ?? -1
  return disclosed
    .map((row, index) => ({ row, key: order(joined[index]) }))
    .sort((a, b) => b.key - a.key || (a.row.area_code < b.row.area_code ? -1 : 1))
    .map(({ row }) => withoutInternals(row))
}

/** Exact rows for analysts and admins, small bases flagged `unreliable`. */
export function exactRisk(rows: readonly RiskRow[], thresholds: DisclosureThresholds): RiskItem[] {
  return flagUnreliable(rows, exactRiskSpec, thresholds).map(
    ({ parent_code: _parent, ...item }) => item,
  )
}

const significant = (value: number | null) => (value === null ? null : toSignificantDigits(value))

/**
 * A model run as a viewer sees it: every model figure to four
 * significant digits (exact estimates, deviances and intervals are exact equations on the data a
 * run was fitted on, which pin counts when a run covers few rows), and each calibration decile's
 * `observed`, a sum of outcome counts, as a count: suppressed below minCell, else rounded
 * (issue 14, finding 11: a one-quarter run showed a decile with 9 suspects).
 */
export function viewerRun(run: Run, thresholds: DisclosureThresholds): Run {
  return {
    ...run,
    deviance: significant(run.deviance),
    null_deviance: significant(run.null_deviance),
    aic: significant(run.aic),
    coefficients:
      run.coefficients?.map((coefficient) => ({
        term: coefficient.term,
        estimate: toSignificantDigits(coefficient.estimate),
        std_error: toSignificantDigits(coefficient.std_error),
        z: toSignificantDigits(coefficient.z),
        p_value: toSignificantDigits(coefficient.p_value),
        odds_ratio: toSignificantDigits(coefficient.odds_ratio),
        ci_low: toSignificantDigits(coefficient.ci_low),
        ci_high: toSignificantDigits(coefficient.ci_high),
      })) ?? null,
    quality: run.quality && {
      ...run.quality,
      brier: toSignificantDigits(run.quality.brier),
      cv_deviance: significant(run.quality.cv_deviance),
      calibration: discloseForViewer(
        run.quality.calibration.map((decile) => ({
          decile: decile.decile,
          n_rows: decile.n_rows,
          observed: decile.observed,
          expected: toSignificantDigits(decile.expected),
        })),
        { basis: 'rounded', counts: ['observed'] },
        thresholds,
      ),
    },
  }
}

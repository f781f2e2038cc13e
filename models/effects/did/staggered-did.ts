import type { DidPanelRow, DidWidePanel } from './did-params.js'
import { preprocessDid, preprocessDidWide, type PreprocessDidOptions } from './preprocess-did.js'
import { computeAttGt, type AttGtCell } from './compute-att-gt.js'
import { aggregateAtt, type AggregatedEntry, type AggregatedEstimate } from './aggregate-att.js'

/** Result of {@link staggeredDid}: what the effects route needs, in one object. */
export interface StaggeredDidResult {
  /** Overall ATT: the simple aggregation (share-weighted average of all post cells). */
  readonly overall: AggregatedEstimate
  /** Event study: the dynamic aggregation per event time e = t − g. */
  readonly eventStudy: readonly AggregatedEntry[]
  /** Mean of the event-study effects over e ≥ 0. */
  readonly eventStudyOverall: AggregatedEstimate
  /** All ATT(g,t) cells. */
  readonly cells: readonly AttGtCell[]
  readonly unitCount: number
  readonly neverTreatedCount: number
  readonly periodCount: number
  readonly confidenceLevel: number
  readonly warnings: readonly string[]
}

/**
 * Staggered difference-in-differences (Callaway & Sant'Anna 2021) in one call: validates the
 * panel ({@link preprocessDid} for long rows, {@link preprocessDidWide} for series), estimates every ATT(g,t) against never-treated units
 * ({@link computeAttGt}), and aggregates to the overall ATT (`simple`) and the event study
 * (`dynamic`) with analytic influence-function standard errors and pointwise normal intervals
 * ({@link aggregateAtt}). The gatekeeper of R did 2.x's `att_gt` + `aggte` pipeline.
 *
 * @param panel long rows `{unit, time, outcome, group}` (see {@link preprocessDid}) or the same
 *   panel wide, `{times, units: [{unit, outcomes, group}]}` (see {@link preprocessDidWide})
 * @param options confidence level (default 0.95)
 * @returns overall ATT, event study, cells, counts and warnings
 * @throws as {@link preprocessDid} (or {@link preprocessDidWide}) and {@link computeAttGt}
 * Complexity: O(G · T · n) time and memory (G cohorts, T periods, n units).
 */
export function staggeredDid(
  panel: readonly DidPanelRow[] | DidWidePanel,
  options: PreprocessDidOptions = {},
): StaggeredDidResult {
  const params = isWide(panel) ? preprocessDidWide(panel, options) : preprocessDid(panel, options)
  const attGt = computeAttGt(params)
  const simple = aggregateAtt(attGt, 'simple')
  const dynamic = aggregateAtt(attGt, 'dynamic')
  return {
    overall: simple.overall,
    eventStudy: dynamic.entries,
    eventStudyOverall: dynamic.overall,
    cells: attGt.cells,
    unitCount: params.unitIds.length,
    neverTreatedCount: params.neverTreatedCount,
    periodCount: params.times.length,
    confidenceLevel: params.confidenceLevel,
    warnings: params.warnings,
  }
}

const isWide = (panel: readonly DidPanelRow[] | DidWidePanel): panel is DidWidePanel =>
  !Array.isArray(panel)

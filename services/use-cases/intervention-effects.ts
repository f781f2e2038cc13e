import { areaDid, staggeredDid, type DidWideUnit } from '../../models/effects/did/index.js'
import type { DisclosureThresholds } from '../domain/disclosure.js'
import {
  effectsForViewer,
  withheldOutcomeCells,
  type EffectsEstimate,
} from '../domain/effects-disclosure.js'
import type {
  InterventionRecord,
  InterventionsRepository,
} from '../repositories/interventions-repository.js'
import type { EffectMethod, Effects, Outcome } from '../schemas/interventions.js'
import {
  completeControls,
  notEstimable,
  readPanel,
  roundedPanel,
  treatedAreasOf,
  type Panel,
  type TreatedArea,
} from './effects-panel.js'
import { syntheticControlEffects } from './effects-synthetic-control.js'
import type { SnapshotsRepository } from '../repositories/snapshots-repository.js'

/**
 * The effects of an intervention (DESIGN.md §3 interventions rows, "Definitions": intervention
 * effects), the story of GET /v1/interventions/:id/effects: look up the cached result for the
 * intervention, method, options, audience and data version; else read the panel
 * (./effects-panel.ts), pick the treated areas and the never-treated controls with complete data,
 * estimate with synthetic control or staggered DiD on the quarterly outcome rate (the statistics
 * are models/effects'), disclose for a viewer (services/domain/effects-disclosure.ts), store.
 * Treated areas are checked on write (./intervention-areas.ts); power is ./intervention-power.ts.
 */

export interface EffectsOptions {
  method: EffectMethod
  outcome: Outcome
  donors: 'all' | 'municipality'
  maxDonors: number
}

/** Who the result is for: exact values, or a viewer's (DESIGN.md §5). */
export type EffectsAudience =
  { kind: 'exact' } | { kind: 'viewer'; thresholds: DisclosureThresholds }

/** The cached payload: the result (without computed_at and data_version). */
interface EffectsPayload {
  effects: EffectsEstimate
}

/** What the intervention use cases read through. */
export interface InterventionDependencies {
  interventionsRepository: InterventionsRepository
  snapshotsRepository: SnapshotsRepository
}

export interface EffectsAnswer {
  effects: Effects
  fromCache: boolean
}

/**
 * The effects of an intervention for an audience, from the cache when the intervention, method,
 * options, audience and data version match, else estimated and cached. A viewer's result is a
 * separate estimate on the rounded panel ({@link viewerEffects}).
 */
export async function interventionEffects(
  dependencies: InterventionDependencies,
  intervention: InterventionRecord,
  options: EffectsOptions,
  audience: EffectsAudience = { kind: 'exact' },
): Promise<EffectsAnswer> {
  const { interventionsRepository: repository, snapshotsRepository } = dependencies
  const dataVersion = await snapshotsRepository.dataVersion()
  const key = {
    interventionId: intervention.id,
    method: options.method,
    optionsKey: JSON.stringify({
      outcome: options.outcome,
      donors: options.donors,
      max_donors: options.maxDonors,
      ...(audience.kind === 'viewer'
        ? {
            viewer: [
              audience.thresholds.minCell,
              audience.thresholds.roundTo,
              audience.thresholds.minBase,
            ],
          }
        : {}),
    }),
    dataVersion,
  }
  const cached = await repository.cachedEffects(key)
  if (cached) {
    const payload = (
      typeof cached.result === 'string' ? JSON.parse(cached.result) : cached.result
    ) as EffectsPayload
    return {
      effects: {
        ...payload.effects,
        data_version: dataVersion,
        computed_at: new Date(cached.computed_at).toISOString(),
      },
      fromCache: true,
    }
  }
  const panel = await readPanel(
    snapshotsRepository,
    {
      municipality: options.donors === 'municipality' ? intervention.municipality : undefined,
      to: panelEndOf(intervention),
    },
    dataVersion,
  )
  const payload =
    audience.kind === 'exact'
      ? await estimateEffects(repository, intervention, options, panel)
      : await viewerEffects(repository, intervention, options, panel, audience.thresholds)
  const computedAt = new Date()
  await repository.storeEffects(key, payload, computedAt)
  return {
    effects: {
      ...payload.effects,
      data_version: dataVersion,
      computed_at: computedAt.toISOString(),
    },
    fromCache: false,
  }
}

/** The last quarter of the panel: the treated areas' last end, when every area has one. */
function panelEndOf(intervention: InterventionRecord): string | undefined {
  const ends = intervention.areas.map((area) => area.end_period)
  return ends.every((end) => end !== null)
    ? (ends as string[]).reduce((a, b) => (a > b ? a : b))
    : undefined
}

/**
 * A viewer's effects (DESIGN.md §5): estimated on the rounded panel, so every number is a
 * function of the rounded table, then the values resting on a treated cell the viewer's snapshot
 * table withholds are withheld ({@link effectsForViewer}; the cells are decided on the exact
 * panel, as the snapshot table decides them).
 */
async function viewerEffects(
  repository: InterventionsRepository,
  intervention: InterventionRecord,
  options: EffectsOptions,
  panel: Panel,
  thresholds: DisclosureThresholds,
): Promise<EffectsPayload> {
  const { effects } = await estimateEffects(
    repository,
    intervention,
    options,
    roundedPanel(panel, thresholds),
  )
  const treatedCodes = effects.by_area.map((entry) => entry.area_code)
  const withheld = withheldOutcomeCells(panel, treatedCodes, options.outcome, thresholds)
  return { effects: effectsForViewer(effects, withheld) }
}

/**
 * One estimate on a panel (exact or rounded): the treated areas and never-treated controls with
 * complete data, each area or control left out saying why in `warnings`, then the method's
 * estimate. Throws not_estimable (422) when no treated area or fewer than two controls remain.
 */
async function estimateEffects(
  repository: InterventionsRepository,
  intervention: InterventionRecord,
  options: EffectsOptions,
  panel: Panel,
): Promise<EffectsPayload> {
  const warnings: string[] = []
  const ends = intervention.areas.map((area) => area.end_period)
  const panelEnd = panelEndOf(intervention)
  if (panelEnd && new Set(ends).size > 1) {
    warnings.push(
      `treated areas end at different quarters: the panel ends at the last, ${panelEnd}`,
    )
  }
  const treatedAnywhere = await repository.treatedAreaCodes()
  const { periods } = panel
  const timeCount = periods.length
  if (timeCount < 2) throw notEstimable('effects need at least two quarters of data')

  const treated = treatedAreasOf(panel, intervention.areas, options.outcome, warnings)
  if (treated.length === 0) {
    throw notEstimable(
      `no treated area of intervention ${intervention.id} has complete data with a pre- and a post-period`,
    )
  }
  const { controls, withGaps } = completeControls(
    panel,
    (code) => treatedAnywhere.has(code),
    options.outcome,
  )
  if (withGaps > 0) {
    warnings.push(
      `${withGaps} never-treated neighbourhood(s) with missing quarters left out of the controls`,
    )
  }
  if (controls.size < 2)
    throw notEstimable('fewer than two never-treated neighbourhoods with complete data')

  const firstStart = Math.min(...treated.map((area) => area.startIndex))
  const common = {
    intervention_id: intervention.id,
    outcome: options.outcome,
    n_treated: treated.length,
    period_from: periods[0],
    period_to: periods[timeCount - 1],
  }

  if (options.method === 'did') {
    const result = estimateDid(treated, controls, timeCount)
    return {
      effects: {
        ...common,
        method: 'did',
        overall: result.overall,
        by_area: result.byArea.map((entry) => ({
          ...entry,
          start_period: periods[treated.find((area) => area.code === entry.area_code)!.startIndex],
        })),
        event_study: result.eventStudy,
        n_donors: result.neverTreatedCount,
        n_pre_periods: firstStart,
        warnings: [...new Set([...warnings, ...result.warnings])],
      },
    }
  }
  return {
    effects: await syntheticControlEffects(panel, options, treated, controls, common, warnings),
  }
}

/**
 * Staggered DiD (Callaway & Sant'Anna) on the rate: quarters mapped to 1 … T (0 is reserved for
 * "never treated"), cohort g = the index of the start quarter, every never-treated neighbourhood
 * with complete data a control. Per area, the 2×2 comparison of its mean rate after and before
 * its start with the same change of the controls' mean ({@link areaDid}; no inference of its own).
 */
function estimateDid(
  treated: readonly TreatedArea[],
  controls: ReadonlyMap<string, readonly number[]>,
  timeCount: number,
) {
  const units: DidWideUnit[] = treated.map((area) => ({
    unit: area.code,
    outcomes: area.rates,
    group: area.startIndex + 1,
  }))
  for (const [code, rates] of controls) units.push({ unit: code, outcomes: rates, group: 0 })
  const panel = { times: Array.from({ length: timeCount }, (_, t) => t + 1), units }
  let result
  let perArea
  try {
    result = staggeredDid(panel)
    perArea = areaDid(panel)
  } catch (error) {
    if (error instanceof RangeError || error instanceof TypeError) throw notEstimable(error.message)
    throw error
  }
  return {
    overall: {
      att: result.overall.att,
      ci_low: result.overall.ciLow,
      ci_high: result.overall.ciHigh,
      p_value: result.overall.pValue,
    },
    eventStudy: result.eventStudy.map((entry) => ({
      event_time: entry.level,
      att: entry.att,
      ci_low: entry.ciLow,
      ci_high: entry.ciHigh,
    })),
    byArea: perArea.effects.map((entry) => ({
      area_code: entry.unit,
      att: entry.att,
      p_value: null,
      pre_rmspe: null,
      post_rmspe: null,
      donors: [],
    })),
    neverTreatedCount: result.neverTreatedCount,
    warnings: result.warnings,
  }
}

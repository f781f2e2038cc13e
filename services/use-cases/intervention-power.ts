import { simulatePower } from '../../models/effects/power.js'
import { closestDonors } from '../../models/effects/synthetic-control/index.js'
import { shiftPeriod } from '../../models/periods/quarter.js'
import { municipalityCode } from '../domain/areas.js'
import type { Outcome, PowerResult } from '../schemas/interventions.js'
import {
  buildPanel,
  completeControls,
  isComplete,
  meanOf,
  notEstimable,
  rateSeries,
} from './effects-panel.js'
import type { InterventionDependencies } from './intervention-effects.js'

/**
 * Power of a planned intervention (DESIGN.md §3, POST /v1/interventions/power): how large an
 * effect the history of its candidate areas could reveal, before anyone commits to it. The
 * simulation is `simulatePower` of models/effects; this use case picks the candidates and
 * donors from the panel as the effects use case does, so a power answer and a later effect rest
 * on the same kind of pool.
 */

export interface PowerRequestOptions {
  areas: readonly string[]
  startPeriod: string
  horizon: number
  effect?: number
  outcome: Outcome
  donors: 'all' | 'municipality'
  maxDonors: number
  seed: number
}

/**
 * Minimum detectable effect of a planned intervention ({@link simulatePower}) on the history
 * before its start: candidate areas with gaps are left out with a warning; the donors are the
 * `maxDonors` never-treated neighbourhoods with complete history closest to the candidates'
 * mean rate path ({@link closestDonors}), as for the effects.
 */
export async function interventionPower(
  dependencies: InterventionDependencies,
  request: PowerRequestOptions,
): Promise<PowerResult> {
  const { interventionsRepository, snapshotsRepository } = dependencies
  const historyEnd = shiftPeriod(request.startPeriod, -1)
  const municipality = municipalityCode(request.areas[0])
  const [snapshots, treatedAnywhere] = await Promise.all([
    snapshotsRepository.currentPanel({
      municipality: request.donors === 'municipality' ? municipality : undefined,
      to: historyEnd,
    }),
    interventionsRepository.treatedAreaCodes(),
  ])
  const panel = buildPanel(snapshots)
  const warnings: string[] = []
  const candidates: { id: string; outcome: number[]; population: number }[] = []
  for (const code of request.areas) {
    const area = panel.areas.get(code)
    const rates = area ? rateSeries(area, request.outcome) : []
    if (!area || !isComplete(rates)) {
      warnings.push(
        `${code} left out: no complete history of ${request.outcome} before ${request.startPeriod}`,
      )
      continue
    }
    candidates.push({ id: code, outcome: rates, population: meanOf(area.population) })
  }
  if (candidates.length === 0) {
    throw notEstimable(`no candidate area has a complete history before ${request.startPeriod}`)
  }
  const candidateSet = new Set(request.areas)
  const { controls } = completeControls(
    panel,
    (code) => candidateSet.has(code) || treatedAnywhere.has(code),
    request.outcome,
  )
  const donorIds = closestDonors(
    candidates.map((unit) => unit.outcome),
    controls,
    panel.periods.length,
    request.maxDonors,
  )
  const donors = donorIds.map((code) => ({
    id: code,
    outcome: controls.get(code)!,
    population: meanOf(panel.areas.get(code)!.population),
  }))
  let result
  try {
    result = simulatePower(candidates, donors, {
      horizon: request.horizon,
      effect: request.effect,
      seed: request.seed,
    })
  } catch (error) {
    if (error instanceof RangeError || error instanceof TypeError) throw notEstimable(error.message)
    throw error
  }
  return {
    mde_relative: result.mdeRelative,
    mde_absolute: result.mdeAbsolute,
    baseline_rate: result.baselineRate,
    power_at_effect: result.powerAtEffect,
    effect: request.effect ?? null,
    alpha: result.alpha,
    target_power: result.targetPower,
    n_areas: candidates.length,
    n_donors: donors.length,
    n_windows: result.windowCount,
    pre_quarters: result.preLength,
    horizon_quarters: result.horizon,
    history_from: panel.periods[0],
    history_to: panel.periods[panel.periods.length - 1],
    seed: result.seed,
    curve: result.curve.map((point) => ({
      relative_effect: point.relativeEffect,
      power: point.power,
    })),
    warnings: [...warnings, ...result.warnings],
  }
}

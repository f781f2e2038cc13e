import type { DisclosureThresholds } from '../domain/disclosure.js'
import { exactAreaTrend, type DisclosedAreaTrend } from '../domain/trend-disclosure.js'
import type { PeriodRange } from '../domain/trend-shapes.js'
import { publishedModel } from '../domain/viewer-risk.js'
import type { AreaRow, AreasRepository } from '../repositories/areas-repository.js'
import type { ModelRunRow } from '../repositories/risk-repository.js'
import type { RiskRepository } from '../repositories/risk-repository.js'
import type { SnapshotsRepository } from '../repositories/snapshots-repository.js'
import { areaSeries, neighbourhoodSeries } from './area-series.js'
import { areaTrend } from './trend-report.js'
import { viewerAreaTrend, type ViewerTrendInput } from './viewer-trend.js'

/**
 * `GET /v1/areas/:code/trend` as a use case: read the area's series (its own rows, or the sum
 * over its neighbourhoods) and the published run's risk, compute the trend (exact for analysts,
 * on the rounded table for viewers, use-cases/viewer-trend.ts) and disclose it.
 */
export interface AreaTrendDependencies {
  areasRepository: AreasRepository
  snapshotsRepository: SnapshotsRepository
  riskRepository: RiskRepository
}

export type TrendAudience = { kind: 'exact' } | { kind: 'viewer'; thresholds: DisclosureThresholds }

export type AreaTrendAnswer = { area_code: string; aggregated: boolean } & DisclosedAreaTrend

/** The area's trend for an audience; undefined for an unknown area. */
export async function areaTrendAnswer(
  dependencies: AreaTrendDependencies,
  code: string,
  range: PeriodRange,
  audience: TrendAudience,
  run: ModelRunRow | undefined,
  thresholds: DisclosureThresholds,
): Promise<AreaTrendAnswer | undefined> {
  const area = await dependencies.areasRepository.find(code)
  if (!area) return undefined
  const { aggregated, quarters } = await areaSeries(dependencies, area, run)
  if (audience.kind === 'exact') {
    return {
      area_code: code,
      aggregated,
      ...exactAreaTrend(areaTrend(quarters, range), thresholds),
    }
  }
  const { input, aggregated: viewerAggregated } = await viewerInput(
    dependencies,
    area,
    aggregated,
    quarters,
    run,
  )
  const model = run ? publishedModel(run) : null
  return {
    area_code: code,
    aggregated: viewerAggregated,
    ...viewerAreaTrend(code, input, model, range, audience.thresholds),
  }
}

/** What a viewer's trend of the area is computed from (see {@link ViewerTrendInput}). */
async function viewerInput(
  dependencies: AreaTrendDependencies,
  area: AreaRow,
  aggregated: boolean,
  quarters: Awaited<ReturnType<typeof areaSeries>>['quarters'],
  run: ModelRunRow | undefined,
): Promise<{ input: ViewerTrendInput; aggregated: boolean }> {
  if (area.level === 'neighbourhood') {
    const district = area.parent_code
      ? await neighbourhoodSeries(dependencies, { district: area.parent_code })
      : null
    return { input: { kind: 'own', quarters, district }, aggregated }
  }
  const members = await neighbourhoodSeries(
    dependencies,
    area.level === 'district' ? { district: area.area_code } : { municipality: area.area_code },
  )
  if (members.length === 0) return { input: { kind: 'own', quarters, district: null }, aggregated }
  // Own totals beside neighbourhood rows are linked to them (total − the others): a viewer gets
  // the sum of the neighbourhoods' rounded values instead.
  const sums = aggregated
    ? quarters
    : (await areaSeries(dependencies, area, run, { sumOverNeighbourhoods: true })).quarters
  const exactRiskAt = new Map(sums.map((quarter) => [quarter.period, quarter.risk]))
  return { input: { kind: 'sum', members, exactRiskAt }, aggregated: true }
}

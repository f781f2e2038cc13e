import type { Static } from '@fastify/type-provider-typebox'
import { shiftPeriod } from '../../models/periods/quarter.js'
import { AppError, badRequest, notFound } from '../errors.js'
import { LruCache } from '../cache/lru-cache.js'
import type { DisclosureThresholds } from '../domain/disclosure.js'
import { exactRisk, viewerRisk } from '../domain/risk-disclosure.js'
import { publishedModel, viewerRiskTable, type ViewerRiskScore } from '../domain/viewer-risk.js'
import type { ModelRunRow, RiskRepository } from '../repositories/risk-repository.js'
import type { SnapshotsRepository } from '../repositories/snapshots-repository.js'
import type { RiskItem, RiskListSchema } from '../schemas/risk.js'
import { riskModelRows } from './run-risk-model.js'

/**
 * GET /v1/risk as a story (DESIGN.md §3): the run that answers (the one asked for, else the
 * published run of the horizon), its predictor quarter (asked, else the latest it scored), the
 * table as the caller may see it — exact rows with small bases flagged, or for a viewer the
 * published model applied to the rounded table the run read (`domain/viewer-risk.ts`) — and one
 * page of it.
 *
 * A run's scores never change, so the table of a (run, quarter, municipality, audience) is made
 * once and each page is kept as its JSON bytes: a busy risk page answers without serialising or
 * encoding again (encoding a 20 kB string on every write took as long as the rest of the
 * request). A new run has a new id, so it gets new entries; old ones age out of the LRUs.
 */

export interface RiskListingDependencies {
  riskRepository: RiskRepository
  snapshotsRepository: SnapshotsRepository
  /** The published run of a horizon, as `cache/current-data.ts` keeps it. */
  publishedRun(horizon: number): Promise<ModelRunRow | undefined>
  thresholds: DisclosureThresholds
}

export interface RiskListingQuery {
  /** A specific succeeded run with its scores kept; else the published run of the horizon. */
  runId?: string
  /** Asked horizon; with `runId` it must be the run's. */
  horizon?: number
  /** Predictor quarter; else the run's latest scored one in scope. */
  period?: string
  /** Scope: one municipality, or undefined for the nation. */
  municipality?: string
  /** A viewer sees the figures of the rounded table only. */
  viewer: boolean
  offset: number
  limit: number
}

/** One page of GET /v1/risk as the bytes of its JSON body, and how many items it holds. */
export interface RiskPage {
  body: Buffer
  rows: number
}

export type RiskListing = (query: RiskListingQuery) => Promise<RiskPage>

export function createRiskListing(dependencies: RiskListingDependencies): RiskListing {
  const { riskRepository, snapshotsRepository, thresholds } = dependencies
  const viewerTables = new LruCache<Promise<Map<string, ViewerRiskScore>>>(32)
  const tables = new LruCache<{ period: string; items: RiskItem[] }>(64)
  const pages = new LruCache<RiskPage>(256)

  /** The viewer's national risk table of a (run, predictor quarter), made once. */
  const viewerTable = (run: ModelRunRow, period: string) => {
    const key = `${run.id}|${period}`
    let table = viewerTables.get(key)
    if (!table) {
      table = (async () => {
        const model = publishedModel(run)
        if (!model) return new Map<string, ViewerRiskScore>()
        const panel = await snapshotsRepository.currentPanel({
          periods: [period, shiftPeriod(period, run.horizon_quarters)],
          asOf: run.input_at,
        })
        return viewerRiskTable(
          model,
          riskModelRows(panel),
          period,
          run.horizon_quarters,
          thresholds,
        )
      })()
      table.catch(() => viewerTables.delete(key))
      viewerTables.set(key, table)
    }
    return table
  }

  const answeringRun = async (query: RiskListingQuery): Promise<ModelRunRow> => {
    if (query.runId !== undefined) {
      const run = await riskRepository.find(query.runId)
      if (!run || run.status !== 'succeeded' || !run.scores_kept) {
        throw notFound(`no succeeded model run ${query.runId} with its scores kept`)
      }
      if (query.horizon !== undefined && query.horizon !== run.horizon_quarters) {
        throw badRequest(
          `run ${run.id} has horizon_quarters ${run.horizon_quarters}, not ${query.horizon}`,
        )
      }
      return run
    }
    const horizon = query.horizon ?? 0
    const run = await dependencies.publishedRun(horizon)
    if (!run) {
      throw new AppError(
        404,
        'no_model_run',
        `no published model run with horizon_quarters ${horizon} yet: an admin starts one with POST /v1/risk-model/runs (or publishes an analyst's run)`,
      )
    }
    return run
  }

  const table = async (run: ModelRunRow, query: RiskListingQuery, key: string) => {
    let found = tables.get(key)
    if (!found) {
      const period =
        query.period ?? (await riskRepository.latestScoredPeriod(run.id, query.municipality))
      const rows = period ? await riskRepository.scoresAt(run.id, period, query.municipality) : []
      found = {
        period: period ?? '',
        items: query.viewer
          ? viewerRisk(rows, period ? await viewerTable(run, period) : new Map(), thresholds)
          : exactRisk(rows, thresholds),
      }
      tables.set(key, found)
    }
    return found
  }

  return async (query) => {
    const run = await answeringRun(query)
    const tableKey = [
      run.id,
      query.period ?? 'latest',
      query.municipality ?? '*',
      query.viewer ? 'viewer' : 'exact',
    ].join('|')
    const pageKey = `${tableKey}|${query.offset}|${query.limit}`
    let page = pages.get(pageKey)
    if (page === undefined) {
      const { items, period } = await table(run, query, tableKey)
      const pageItems = items.slice(query.offset, query.offset + query.limit)
      // items have exactly the schema's fields in its order, so these bytes are what the
      // response serializer would write
      const body: Static<typeof RiskListSchema> = {
        run_id: run.id,
        backend: run.backend,
        horizon_quarters: run.horizon_quarters,
        period,
        items: pageItems,
        total: items.length,
      }
      page = { rows: pageItems.length, body: Buffer.from(JSON.stringify(body)) }
      pages.set(pageKey, page)
    }
    return page
  }
}

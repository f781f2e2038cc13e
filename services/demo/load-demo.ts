import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { importGeometries } from '../use-cases/import-geometries.js'
import { importSnapshots } from '../use-cases/import-snapshots.js'
import { jsonUploadRecords } from '../ingest/upload-records.js'
import { demoInterventionAreas, generateDemoData, type DemoDataSet } from './generate-demo.js'

export interface DemoSummary {
  loaded: boolean
  /** Why nothing was loaded: the database holds data, or a demo was removed from it before. */
  reason?: 'not_empty' | 'removed_before'
  neighbourhoods: number
  snapshots: number
  /** The demo intervention, when loaded. */
  intervention_id?: string
  alert_rules?: number
  alerts_firing?: number
}

/**
 * Loads the demo data set through the same import path as user data (validation, staging,
 * revisions), marked as the demo's (issue 16): its upload batch, the areas it creates and the
 * boundaries it writes, and its intervention, alert rules and model run by the loader's key, so
 * `aanwas demo --remove` takes out exactly these. Does nothing when the database already holds
 * snapshots, or once a demo was removed from it (the user chose to start without it), unless
 * forced.
 */
export async function loadDemoData(
  app: FastifyInstance,
  options: { force?: boolean } = {},
): Promise<DemoSummary> {
  if (!options.force) {
    if (!(await app.snapshotsRepository.isEmpty())) {
      return { loaded: false, reason: 'not_empty', neighbourhoods: 0, snapshots: 0 }
    }
    if (await app.snapshotsRepository.demoWasRemoved()) {
      return { loaded: false, reason: 'removed_before', neighbourhoods: 0, snapshots: 0 }
    }
  }
  const demo = generateDemoData()
  // The loader's admin key: the batch, intervention, rules and run it makes carry its id. It is
  // revoked at the end, so no one can act with it later.
  const secret = app.newApiKeySecret()
  const keyId = randomUUID()
  await app.keysRepository.insert({
    id: keyId,
    key_hash: app.hashApiKey(secret),
    role: 'admin',
    municipality: null,
    label: 'demo loader (revoked after loading)',
  })
  try {
    await loadDemoGeography(app, demo)
    const summary = await importSnapshots(
      app.knex,
      { areas: app.areasRepository, snapshots: app.snapshotsRepository },
      jsonUploadRecords(demo.snapshots),
      {
        keyId,
        contentType: 'json',
        maxRows: Math.max(app.config.maxRows, demo.snapshots.length),
        checksum: () => 'demo',
      },
    )
    await app.snapshotsRepository.markDemoBatch(summary.batch_id)
    const extras = await loadDemoActivity(app, { authorization: `Bearer ${secret}` })
    return {
      loaded: true,
      neighbourhoods: demo.neighbourhoods.length,
      snapshots: summary.rows,
      ...extras,
    }
  } finally {
    await app.keysRepository.revoke(keyId)
    app.forgetVerifiedKeys()
  }
}

/**
 * The municipality, wijken and buurten with their names (the ones created here marked as the
 * demo's, in the same transaction), then the boundaries of wijken and buurten, except where a
 * user stored a boundary of their own: the demo never overwrites one.
 */
async function loadDemoGeography(app: FastifyInstance, demo: DemoDataSet): Promise<void> {
  const names = new Map<string, string | null>([
    [demo.municipality.code, demo.municipality.name],
    ...demo.districts.map((district) => [district.code, district.name] as [string, string]),
    ...demo.neighbourhoods.map((area) => [area.code, area.name] as [string, string]),
  ])
  const codes = [...names.keys()]
  await app.knex.transaction(async (trx) => {
    const existing = await app.areasRepository.existingCodes(codes, trx)
    await app.areasRepository.upsertAreas(names, trx)
    await app.areasRepository.markDemo(
      codes.filter((code) => !existing.has(code)),
      trx,
    )
  })
  const userBoundaries = await app.geometriesRepository.userOwnedCodes(codes)
  const features = [...demo.districts, ...demo.neighbourhoods]
    .filter((area) => !userBoundaries.has(area.code))
    .map((area) => ({
      type: 'Feature',
      // `statcode` is CBS's name for a region's own code at any level, `statnaam` its name.
      properties: { statcode: area.code, statnaam: area.name },
      geometry: area.geometry,
    }))
  if (features.length === 0) return
  await importGeometries(
    app.knex,
    { areas: app.areasRepository, geometries: app.geometriesRepository },
    { type: 'FeatureCollection', features },
  )
  await app.geometriesRepository.markDemo(features.map((feature) => feature.properties.statcode))
}

/**
 * So that every dashboard page has something to show: a model run, an intervention and one
 * alert rule of each kind, created through the public API (same validation as a user's) with the
 * loader's key.
 */
async function loadDemoActivity(
  app: FastifyInstance,
  headers: { authorization: string },
): Promise<Pick<DemoSummary, 'intervention_id' | 'alert_rules' | 'alerts_firing'>> {
  const post = async (url: string, payload: object) => {
    const response = await app.inject({ method: 'POST', url, headers, payload })
    if (response.statusCode >= 300)
      throw new Error(`demo: POST ${url} answered ${response.statusCode}: ${response.body}`)
    return response.json() as Record<string, unknown>
  }
  const intervention = await post('/v1/interventions', {
    name: 'Preventie met gezag (demo)',
    description:
      'More youth work and sport in Schildersbuurt and Transvaalkwartier from 2022 (synthetic data).',
    municipality: 'GM0518',
    areas: demoInterventionAreas.map((area_code) => ({ area_code, start_period: '2022Q1' })),
  })
  const rules = [
    { name: 'Top 10% risk', kind: 'risk_percentile', params: { p: 10 } },
    { name: 'Significant rise year over year', kind: 'yoy_rise' },
    { name: 'More suspects than expected (Farrington)', kind: 'aberration' },
    { name: 'Rising trend', kind: 'trend' },
  ]
  for (const rule of rules) await post('/v1/alert-rules', rule)
  const { run_id: runId } = await post('/v1/risk-model/runs', {})
  for (;;) {
    await app.modelRunner.idle()
    const run = await app.riskRepository.find(String(runId))
    if (!run || run.status === 'succeeded' || run.status === 'failed') break
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  await app.alertEvaluator.evaluateNow()
  const firing = await app.inject({
    method: 'GET',
    url: '/v1/alerts?state=firing&limit=1',
    headers,
  })
  return {
    intervention_id: String(intervention.id),
    alert_rules: rules.length,
    alerts_firing: (firing.json() as { total: number }).total,
  }
}

import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import { importGeometries } from '../use-cases/import-geometries.js'
import { importSnapshots } from '../use-cases/import-snapshots.js'
import { jsonUploadRecords } from '../ingest/upload-records.js'
import { demoMunicipalities, generateDemoData } from './generate-demo.js'

export interface DemoSummary {
  loaded: boolean
  neighbourhoods: number
  snapshots: number
  /** The demo intervention, when loaded. */
  intervention_id?: string
  alert_rules?: number
  alerts_firing?: number
}

/** The demo's intervention: 'Preventie met gezag' in six Den Haag demo neighbourhoods from 2022. */
const demoInterventionAreas = [
  'BU05189001',
  'BU05189002',
  'BU05189003',
  'BU05189101',
  'BU05189102',
  'BU05189103',
]

/**
 * Loads the demo data set through the same import path as user data (validation, staging,
 * revisions). Does nothing when the database already holds snapshots, unless forced.
 */
export async function loadDemoData(
  app: FastifyInstance,
  options: { force?: boolean } = {},
): Promise<DemoSummary> {
  if (!(await app.snapshotsRepository.isEmpty()) && !options.force) {
    return { loaded: false, neighbourhoods: 0, snapshots: 0 }
  }
  const demo = generateDemoData()
  const repositories = {
    areas: app.areasRepository,
    geometries: app.geometriesRepository,
    snapshots: app.snapshotsRepository,
  }
  // Names for municipalities and districts first, then boundaries, then the quarterly data.
  await app.knex.transaction(async (trx) => {
    await app.areasRepository.upsertAreas(
      new Map<string, string | null>([
        ...demoMunicipalities.map(
          (municipality) => [municipality.code, municipality.name] as [string, string],
        ),
        ...demo.districts.map((district) => [district.code, district.name] as [string, string]),
      ]),
      trx,
    )
  })
  await importGeometries(app.knex, repositories, {
    type: 'FeatureCollection',
    features: demo.neighbourhoods.map((area) => ({
      type: 'Feature',
      properties: { BU_CODE: area.code, BU_NAAM: area.name },
      geometry: area.geometry,
    })),
  })
  const summary = await importSnapshots(app.knex, repositories, jsonUploadRecords(demo.snapshots), {
    keyId: null,
    contentType: 'json',
    maxRows: Math.max(app.config.maxRows, demo.snapshots.length),
    checksum: () => 'demo',
  })
  const extras = await loadDemoActivity(app)
  return {
    loaded: true,
    neighbourhoods: demo.neighbourhoods.length,
    snapshots: summary.rows,
    ...extras,
  }
}

/**
 * So that every dashboard page has something to show: a model run, an intervention and one
 * alert rule of each kind, created through the public API (same validation as a user's) with a
 * short-lived admin key that is revoked afterwards.
 */
async function loadDemoActivity(
  app: FastifyInstance,
): Promise<Pick<DemoSummary, 'intervention_id' | 'alert_rules' | 'alerts_firing'>> {
  const secret = app.newApiKeySecret()
  const keyId = randomUUID()
  await app.keysRepository.insert({
    id: keyId,
    key_hash: app.hashApiKey(secret),
    role: 'admin',
    municipality: null,
    label: 'demo loader (revoked after loading)',
  })
  const headers = { authorization: `Bearer ${secret}` }
  const post = async (url: string, payload: object) => {
    const response = await app.inject({ method: 'POST', url, headers, payload })
    if (response.statusCode >= 300)
      throw new Error(`demo: POST ${url} answered ${response.statusCode}: ${response.body}`)
    return response.json() as Record<string, unknown>
  }
  try {
    const intervention = await post('/v1/interventions', {
      name: 'Preventie met gezag (demo)',
      description:
        'More youth work and sport in six flagged demo neighbourhoods from 2022 (synthetic data).',
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
  } finally {
    await app.keysRepository.revoke(keyId)
    app.forgetVerifiedKeys()
  }
}

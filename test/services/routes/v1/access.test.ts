import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import type { AlertFacts } from '../../../../monitors/rules/alert-input.js'
import { buildTestApp, createKey, engines, type Role } from '../../../helper.js'
import { csvOf, snapshotRow } from '../../../support/snapshot-fixtures.js'

/**
 * Every route against every kind of key (DESIGN.md §3 "Who may do what"): no key, a wrong key, a
 * revoked key, a key of the wrong role, a key of another municipality and the lowest key that is
 * allowed. The OpenAPI document is the list of routes: one without a case here fails the test.
 */
type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE'

/** Resources made in each engine's setup, so that a route with an id addresses a real one. */
interface Fixtures {
  /** An intervention in GM0518: read, patched. */
  interventionId: string
  /** An intervention in GM0518 for the DELETE case alone. */
  disposableInterventionId: string
  /** An alert rule of GM0518: read, patched; the alert below is its. */
  ruleId: string
  /** An alert rule of GM0518 for the DELETE case alone. */
  disposableRuleId: string
  /** An open alert in BU05180101 (inserted: alerts only arise from evaluation). */
  alertId: string
  /** A model run (queued; whether it ever succeeds does not matter). */
  runId: string
  webhookId: string
  /** A webhook for the DELETE case alone. */
  disposableWebhookId: string
  /** A key for the DELETE case alone. */
  disposableKeyId: string
}

interface RouteCase {
  name: string
  /** The route as the OpenAPI document names it, e.g. 'GET /v1/interventions/{id}'. */
  pattern: `${Method} /v1/${string}`
  url: string | ((f: Fixtures) => string)
  /** Lowest role allowed. */
  minimumRole: Role
  /** Touches one municipality's data: a key of another municipality gets 403. */
  scopedTo?: 'GM0518'
  payload?: (f: Fixtures) => unknown
  contentType?: string
  /** The answer for an allowed key when it is legitimately not a 2xx (with its error code). */
  allowedStatus?: number
  allowedCode?: string
  /** Runs before the allowed call only (the refused calls must fail whatever the state). */
  prepare?: (app: FastifyInstance, f: Fixtures) => Promise<void>
}

const rank = { viewer: 0, analyst: 1, admin: 2 }

const square = {
  type: 'Polygon',
  coordinates: [
    [
      [4.3, 52.07],
      [4.31, 52.07],
      [4.31, 52.08],
      [4.3, 52.08],
      [4.3, 52.07],
    ],
  ],
}

const routes: RouteCase[] = [
  // ---- keys and audit
  {
    name: 'create key',
    pattern: 'POST /v1/keys',
    url: '/v1/keys',
    minimumRole: 'admin',
    payload: () => ({ role: 'viewer' }),
  },
  { name: 'list keys', pattern: 'GET /v1/keys', url: '/v1/keys', minimumRole: 'admin' },
  {
    // Any key may ask who it is; it answers only about the caller, so it has no scope.
    name: 'the calling key',
    pattern: 'GET /v1/keys/me',
    url: '/v1/keys/me',
    minimumRole: 'viewer',
  },
  {
    name: 'revoke key',
    pattern: 'DELETE /v1/keys/{id}',
    url: (f) => `/v1/keys/${f.disposableKeyId}`,
    minimumRole: 'admin',
  },
  { name: 'audit', pattern: 'GET /v1/audit', url: '/v1/audit', minimumRole: 'admin' },

  // ---- geometries
  {
    name: 'upload boundaries',
    pattern: 'POST /v1/geometries',
    url: '/v1/geometries',
    minimumRole: 'admin',
    // An existing area under its own name: the upload changes nothing another case looks at.
    payload: () => ({
      type: 'FeatureCollection',
      features: [
        {
          type: 'Feature',
          properties: { BU_CODE: 'BU05180101', BU_NAAM: 'Centrum' },
          geometry: square,
        },
      ],
    }),
  },
  {
    name: 'boundaries of a municipality',
    pattern: 'GET /v1/geometries',
    url: '/v1/geometries?municipality=GM0518',
    minimumRole: 'viewer',
    scopedTo: 'GM0518',
  },

  {
    name: 'upload area links',
    pattern: 'POST /v1/area-links',
    url: '/v1/area-links',
    minimumRole: 'admin',
    // Weesp into Amsterdam: links change no case's data (reads are not bridged through them)
    payload: () => [
      { from_year: 2022, from_code: 'GM0457', to_year: 2023, to_code: 'GM0363', weight: 1 },
    ],
  },
  {
    // links between divisions are public geography, not data of a municipality
    name: 'list area links',
    pattern: 'GET /v1/area-links',
    url: '/v1/area-links?code=GM0363',
    minimumRole: 'viewer',
  },

  // ---- areas, snapshots, trends
  {
    name: 'list areas of a municipality',
    pattern: 'GET /v1/areas',
    url: '/v1/areas?municipality=GM0518',
    minimumRole: 'viewer',
    scopedTo: 'GM0518',
  },
  {
    name: 'one area',
    pattern: 'GET /v1/areas/{code}',
    url: '/v1/areas/BU05180101',
    minimumRole: 'viewer',
    scopedTo: 'GM0518',
  },
  {
    name: 'snapshot history',
    pattern: 'GET /v1/areas/{code}/snapshots',
    url: '/v1/areas/BU05180101/snapshots',
    minimumRole: 'viewer',
    scopedTo: 'GM0518',
  },
  {
    name: 'upload',
    pattern: 'POST /v1/snapshots',
    url: '/v1/snapshots',
    minimumRole: 'analyst',
    scopedTo: 'GM0518',
    contentType: 'text/csv',
    payload: () => csvOf([snapshotRow({ area_code: 'BU05180102' })]),
  },
  {
    name: 'trend of a neighbourhood',
    pattern: 'GET /v1/areas/{code}/trend',
    url: '/v1/areas/BU05180101/trend',
    minimumRole: 'viewer',
    scopedTo: 'GM0518',
  },
  {
    name: 'trends of a municipality',
    pattern: 'GET /v1/trends',
    url: '/v1/trends?municipality=GM0518',
    minimumRole: 'viewer',
    scopedTo: 'GM0518',
  },

  // ---- risk model (national: runs have no scope)
  {
    name: 'list model runs',
    pattern: 'GET /v1/risk-model/runs',
    url: '/v1/risk-model/runs',
    minimumRole: 'viewer',
  },
  {
    name: 'start a model run',
    pattern: 'POST /v1/risk-model/runs',
    url: '/v1/risk-model/runs',
    minimumRole: 'analyst',
    payload: () => ({ horizon_quarters: 1 }),
  },
  {
    name: 'one model run',
    pattern: 'GET /v1/risk-model/runs/{id}',
    url: (f) => `/v1/risk-model/runs/${f.runId}`,
    minimumRole: 'viewer',
  },
  {
    name: 'publish a model run',
    pattern: 'POST /v1/risk-model/runs/{id}/publish',
    url: (f) => `/v1/risk-model/runs/${f.runId}/publish`,
    minimumRole: 'admin',
    // The run of the fixtures never succeeds (three rows of one quarter): 409 for the admin.
    allowedStatus: 409,
    allowedCode: 'conflict',
  },
  {
    name: 'risk of a municipality',
    pattern: 'GET /v1/risk',
    url: '/v1/risk?municipality=GM0518',
    minimumRole: 'viewer',
    scopedTo: 'GM0518',
    // No run succeeds on three rows of one quarter (the model is not identifiable): 404.
    allowedStatus: 404,
    allowedCode: 'no_model_run',
  },

  // ---- interventions
  {
    name: 'list interventions',
    pattern: 'GET /v1/interventions',
    url: '/v1/interventions',
    minimumRole: 'viewer',
  },
  {
    name: 'register an intervention',
    pattern: 'POST /v1/interventions',
    url: '/v1/interventions',
    minimumRole: 'analyst',
    scopedTo: 'GM0518',
    payload: () => interventionBody('Preventie met gezag'),
  },
  {
    name: 'one intervention',
    pattern: 'GET /v1/interventions/{id}',
    url: (f) => `/v1/interventions/${f.interventionId}`,
    minimumRole: 'viewer',
    scopedTo: 'GM0518',
  },
  {
    name: 'change an intervention',
    pattern: 'PATCH /v1/interventions/{id}',
    url: (f) => `/v1/interventions/${f.interventionId}`,
    minimumRole: 'analyst',
    scopedTo: 'GM0518',
    payload: () => ({ description: 'herzien' }),
  },
  {
    name: 'delete an intervention',
    pattern: 'DELETE /v1/interventions/{id}',
    url: (f) => `/v1/interventions/${f.disposableInterventionId}`,
    minimumRole: 'analyst',
    scopedTo: 'GM0518',
  },
  {
    name: 'effects of an intervention',
    pattern: 'GET /v1/interventions/{id}/effects',
    url: (f) => `/v1/interventions/${f.interventionId}/effects`,
    minimumRole: 'viewer',
    scopedTo: 'GM0518',
    // Scope is checked before estimating; one quarter of data cannot be estimated on: 422.
    allowedStatus: 422,
    allowedCode: 'not_estimable',
  },
  {
    name: 'power of a planned intervention',
    pattern: 'POST /v1/interventions/power',
    url: '/v1/interventions/power',
    minimumRole: 'analyst',
    scopedTo: 'GM0518',
    payload: () => ({ areas: ['BU05180101'], start_period: '2024Q4', horizon_quarters: 1 }),
    // Scope is checked before simulating; one quarter of history cannot be simulated on: 422.
    allowedStatus: 422,
    allowedCode: 'not_estimable',
  },

  // ---- alert rules and alerts
  {
    name: 'list alert rules',
    pattern: 'GET /v1/alert-rules',
    url: '/v1/alert-rules',
    minimumRole: 'viewer',
  },
  {
    name: 'create an alert rule',
    pattern: 'POST /v1/alert-rules',
    url: '/v1/alert-rules',
    minimumRole: 'analyst',
    scopedTo: 'GM0518',
    payload: () => ({ name: 'rise', kind: 'yoy_rise', municipality: 'GM0518' }),
  },
  {
    name: 'one alert rule',
    pattern: 'GET /v1/alert-rules/{id}',
    url: (f) => `/v1/alert-rules/${f.ruleId}`,
    minimumRole: 'viewer',
    scopedTo: 'GM0518',
  },
  {
    name: 'change an alert rule',
    pattern: 'PATCH /v1/alert-rules/{id}',
    url: (f) => `/v1/alert-rules/${f.ruleId}`,
    minimumRole: 'analyst',
    scopedTo: 'GM0518',
    payload: () => ({ name: 'rise, renamed' }),
  },
  {
    name: 'delete an alert rule',
    pattern: 'DELETE /v1/alert-rules/{id}',
    url: (f) => `/v1/alert-rules/${f.disposableRuleId}`,
    minimumRole: 'analyst',
    scopedTo: 'GM0518',
  },
  {
    name: 'alerts of a municipality',
    pattern: 'GET /v1/alerts',
    url: '/v1/alerts?municipality=GM0518',
    minimumRole: 'viewer',
    scopedTo: 'GM0518',
  },
  {
    name: 'one alert',
    pattern: 'GET /v1/alerts/{id}',
    url: (f) => `/v1/alerts/${f.alertId}`,
    minimumRole: 'viewer',
    scopedTo: 'GM0518',
  },
  {
    name: 'acknowledge an alert',
    pattern: 'POST /v1/alerts/{id}/acknowledge',
    url: (f) => `/v1/alerts/${f.alertId}/acknowledge`,
    minimumRole: 'analyst',
    scopedTo: 'GM0518',
    // Every upload and rule change above triggers an evaluation, and on this little data it
    // resolves the inserted alert (a resolved alert cannot be acknowledged: 409). Let the
    // evaluations settle and open the alert again, so the allowed call meets an open alert.
    prepare: async (app, f) => {
      await app.alertEvaluator.idle()
      await app.knex('alerts').where({ id: f.alertId }).update({
        state: 'firing',
        resolved_at: null,
        acknowledged_at: null,
        acknowledged_by: null,
        clear_streak: 0,
      })
    },
  },

  // ---- webhooks
  { name: 'list webhooks', pattern: 'GET /v1/webhooks', url: '/v1/webhooks', minimumRole: 'admin' },
  {
    name: 'register a webhook',
    pattern: 'POST /v1/webhooks',
    url: '/v1/webhooks',
    minimumRole: 'admin',
    payload: () => webhookBody,
  },
  {
    name: 'delivery log of a webhook',
    pattern: 'GET /v1/webhooks/{id}/deliveries',
    url: (f) => `/v1/webhooks/${f.webhookId}/deliveries`,
    minimumRole: 'admin',
  },
  {
    name: 'remove a webhook',
    pattern: 'DELETE /v1/webhooks/{id}',
    url: (f) => `/v1/webhooks/${f.disposableWebhookId}`,
    minimumRole: 'admin',
  },
]

function interventionBody(name: string) {
  return {
    name,
    municipality: 'GM0518',
    areas: [{ area_code: 'BU05180101', start_period: '2024Q1' }],
  }
}

const webhookBody = { url: 'http://127.0.0.1:9/hook', secret: 'a-secret-of-sixteen-chars' }

const methodOf = (route: RouteCase) => route.pattern.split(' ')[0] as Method

/** The path of a pattern as a regular expression: {parameters} match one segment. */
const pathPattern = (route: RouteCase) =>
  new RegExp(`^${route.pattern.split(' ')[1].replace(/\{[^}/]+\}/g, '[^/]+')}$`)

/** Every operation under /v1/ of the OpenAPI document, as 'METHOD /v1/path/{param}'. */
function documentedRoutes(app: FastifyInstance): string[] {
  const document = app.swagger() as unknown as { paths?: Record<string, Record<string, unknown>> }
  const methods = new Set(['get', 'post', 'put', 'patch', 'delete'])
  return Object.entries(document.paths ?? {})
    .filter(([path]) => path.startsWith('/v1/'))
    .flatMap(([path, operations]) =>
      Object.keys(operations)
        .filter((method) => methods.has(method))
        .map((method) => `${method.toUpperCase()} ${path}`),
    )
    .sort()
}

/** Creates through the API as admin and answers the new id. */
async function created(
  app: FastifyInstance,
  admin: { authorization: string },
  url: string,
  payload: object,
): Promise<string> {
  const response = await app.inject({ method: 'POST', url, headers: admin, payload })
  if (response.statusCode >= 300) throw new Error(`POST ${url}: ${response.body}`)
  const body = response.json() as { id?: string; run_id?: string }
  return (body.id ?? body.run_id)!
}

for (const engine of engines) {
  t.test(engine, async (t) => {
    const { app, admin } = await buildTestApp(t, engine)

    const documented = documentedRoutes(app)
    const covered = new Set<string>(routes.map((route) => route.pattern))
    const missing = documented.filter((pattern) => !covered.has(pattern))
    t.ok(documented.length > 0, 'the OpenAPI document lists /v1 routes')
    t.same(missing, [], `every /v1 route has a case here; missing: ${missing.join(', ')}`)
    const unknown = [...covered].filter((pattern) => !documented.includes(pattern))
    t.same(unknown, [], `every case names a documented route; unknown: ${unknown.join(', ')}`)

    const upload = await app.inject({
      method: 'POST',
      url: '/v1/snapshots',
      headers: { ...admin, 'content-type': 'text/csv' },
      payload: csvOf([snapshotRow(), snapshotRow({ area_code: 'BU05990101' })]),
    })
    t.equal(upload.statusCode, 201)

    const keys = {
      viewer: await createKey(app, admin, 'viewer', 'GM0518'),
      analyst: await createKey(app, admin, 'analyst', 'GM0518'),
      otherViewer: await createKey(app, admin, 'viewer', 'GM0599'),
      otherAnalyst: await createKey(app, admin, 'analyst', 'GM0599'),
      revoked: await createKey(app, admin, 'analyst', 'GM0518'),
    }
    t.equal(
      (await app.inject({ method: 'DELETE', url: `/v1/keys/${keys.revoked.id}`, headers: admin }))
        .statusCode,
      204,
    )

    const ruleBody = { name: 'rise', kind: 'yoy_rise', municipality: 'GM0518' }
    const ruleId = await created(app, admin, '/v1/alert-rules', ruleBody)
    const alertId = randomUUID()
    const facts = {
      kind: 'yoy_rise',
      period: '2024Q3',
      count: 30,
      count_prev_year: 12,
      population: 800,
      population_prev_year: 800,
      rate: 0.0375,
      rate_prev_year: 0.015,
      relative_change: 1.5,
      p_value: 0.004,
      p_adjusted: 0.01,
      q: 0.05,
      min_relative_rise: 0.1,
      predictor: null,
    } satisfies AlertFacts
    await app.knex('alerts').insert({
      id: alertId,
      rule_id: ruleId,
      kind: 'yoy_rise',
      area_code: 'BU05180101',
      municipality_code: 'GM0518',
      period: '2024Q3',
      value: 1.5,
      threshold: 0.1,
      facts: JSON.stringify(facts),
      explanation: 'inserted by the access test',
      state: 'firing',
      hit_streak: 1,
      clear_streak: 0,
      first_fired_at: new Date(),
    })
    const fixtures: Fixtures = {
      interventionId: await created(app, admin, '/v1/interventions', interventionBody('Kept')),
      disposableInterventionId: await created(
        app,
        admin,
        '/v1/interventions',
        interventionBody('Deleted'),
      ),
      ruleId,
      disposableRuleId: await created(app, admin, '/v1/alert-rules', ruleBody),
      alertId,
      runId: await created(app, admin, '/v1/risk-model/runs', { horizon_quarters: 0 }),
      webhookId: await created(app, admin, '/v1/webhooks', webhookBody),
      disposableWebhookId: await created(app, admin, '/v1/webhooks', webhookBody),
      disposableKeyId: (await createKey(app, admin, 'viewer')).id,
    }

    const urlOf = (route: RouteCase) =>
      typeof route.url === 'function' ? route.url(fixtures) : route.url
    const call = (route: RouteCase, headers: Record<string, string>) =>
      app.inject({
        method: methodOf(route),
        url: urlOf(route),
        headers: {
          ...headers,
          ...(route.contentType ? { 'content-type': route.contentType } : {}),
        },
        ...(route.payload ? { payload: route.payload(fixtures) as string } : {}),
      })

    for (const route of routes) {
      t.test(`${route.pattern} (${route.name})`, async (t) => {
        t.match(new URL(urlOf(route), 'http://localhost').pathname, pathPattern(route))

        t.test('when no key, a wrong key or a revoked key is sent, then 401', async (t) => {
          for (const headers of [{}, { authorization: 'Bearer not-a-key' }, keys.revoked.headers]) {
            const response = await call(route, headers)
            t.equal(response.statusCode, 401, JSON.stringify(headers))
            t.equal(response.json().error.code, 'unauthorized')
          }
        })

        t.test('when the key has a lower role, then 403', async (t) => {
          for (const role of ['viewer', 'analyst'] as const) {
            if (rank[role] >= rank[route.minimumRole]) continue
            const response = await call(route, keys[role].headers)
            t.equal(response.statusCode, 403, role)
            t.equal(response.json().error.code, 'forbidden')
          }
        })

        if (route.scopedTo) {
          t.test('when the key belongs to another municipality, then 403', async (t) => {
            const other =
              rank[route.minimumRole] <= rank.viewer ? keys.otherViewer : keys.otherAnalyst
            const response = await call(route, other.headers)
            t.equal(response.statusCode, 403)
            t.match(response.json().error.code, /^(forbidden|out_of_scope)$/)
          })
        }

        // Last: a DELETE removes its (disposable) resource only now.
        t.test(
          route.scopedTo
            ? 'when the key is of the lowest allowed role and its municipality, then it is allowed'
            : 'when the key is of the lowest allowed role, then it is allowed',
          async (t) => {
            // The role keys are scoped to GM0518, the municipality of every scoped case.
            const headers = route.minimumRole === 'admin' ? admin : keys[route.minimumRole].headers
            await route.prepare?.(app, fixtures)
            const response = await call(route, headers)
            if (route.allowedStatus) {
              t.equal(response.statusCode, route.allowedStatus, response.body)
              if (route.allowedCode) t.equal(response.json().error.code, route.allowedCode)
            } else t.ok(response.statusCode < 300, `${response.statusCode} ${response.body}`)
          },
        )
      })
    }

    t.test('scoped lists', async (t) => {
      t.test(
        'when a scoped key lists areas without a municipality, then only its own are listed',
        async (t) => {
          const response = await app.inject({
            method: 'GET',
            url: '/v1/areas',
            headers: keys.viewer.headers,
          })
          const codes = response.json().items.map((area: { area_code: string }) => area.area_code)
          t.ok(codes.length > 0)
          t.ok(
            codes.every((code: string) => code.slice(2, 6) === '0518'),
            codes.join(','),
          )
        },
      )

      t.test(
        'when an analyst uploads a row outside its municipality, then 403 out_of_scope names the row',
        async (t) => {
          const response = await app.inject({
            method: 'POST',
            url: '/v1/snapshots',
            headers: { ...keys.analyst.headers, 'content-type': 'text/csv' },
            payload: csvOf([
              snapshotRow({ area_code: 'BU05180103' }),
              snapshotRow({ area_code: 'BU05990102' }),
            ]),
          })
          t.equal(response.statusCode, 403)
          t.match(response.json().error, {
            code: 'out_of_scope',
            details: { total: 1, errors: [{ row: 3, column: 'area_code' }] },
          })
          t.notOk(await app.areasRepository.find('BU05180103'), 'nothing of it is stored')
        },
      )

      t.test(
        'when the scope is wrong and rows are also invalid, then scope is reported first',
        async (t) => {
          const response = await app.inject({
            method: 'POST',
            url: '/v1/snapshots',
            headers: { ...keys.analyst.headers, 'content-type': 'text/csv' },
            payload: csvOf([snapshotRow({ area_code: 'BU05990102', youth_population: -1 })]),
          })
          t.equal(response.statusCode, 403)
        },
      )
    })
  })
}

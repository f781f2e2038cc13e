import t from 'tap'
import { buildTestApp, createKey, engines } from '../../../helper.js'
import { csvOf, snapshotRow } from '../../../support/snapshot-fixtures.js'

/**
 * Every route against every kind of key (DESIGN.md §3 "Who may do what"): no key, a wrong key, a
 * revoked key, a key of the wrong role and a key of another municipality.
 */
interface RouteCase {
  name: string
  method: 'GET' | 'POST' | 'DELETE'
  url: string
  /** Lowest role allowed. */
  minimumRole: 'viewer' | 'analyst' | 'admin'
  /** Touches one municipality's data: a key of another municipality gets 403. */
  scopedTo?: string
  payload?: () => unknown
  contentType?: string
  /** The answer for an allowed key when it is not a 2xx (no model run yet: 404). */
  allowedStatus?: number
}

const rank = { viewer: 0, analyst: 1, admin: 2 }

const routes: RouteCase[] = [
  {
    name: 'list areas of a municipality',
    method: 'GET',
    url: '/v1/areas?municipality=GM0518',
    minimumRole: 'viewer',
    scopedTo: 'GM0518',
  },
  {
    name: 'one area',
    method: 'GET',
    url: '/v1/areas/BU05180101',
    minimumRole: 'viewer',
    scopedTo: 'GM0518',
  },
  {
    name: 'snapshot history',
    method: 'GET',
    url: '/v1/areas/BU05180101/snapshots',
    minimumRole: 'viewer',
    scopedTo: 'GM0518',
  },
  {
    name: 'upload',
    method: 'POST',
    url: '/v1/snapshots',
    minimumRole: 'analyst',
    scopedTo: 'GM0518',
    contentType: 'text/csv',
    payload: () => csvOf([snapshotRow({ area_code: 'BU05180102' })]),
  },
  {
    name: 'trend of a neighbourhood',
    method: 'GET',
    url: '/v1/areas/BU05180101/trend',
    minimumRole: 'viewer',
    scopedTo: 'GM0518',
  },
  {
    name: 'trends of a municipality',
    method: 'GET',
    url: '/v1/trends?municipality=GM0518',
    minimumRole: 'viewer',
    scopedTo: 'GM0518',
  },
  { name: 'list interventions', method: 'GET', url: '/v1/interventions', minimumRole: 'viewer' },
  {
    name: 'register an intervention',
    method: 'POST',
    url: '/v1/interventions',
    minimumRole: 'analyst',
    scopedTo: 'GM0518',
    payload: () => ({
      name: 'Preventie met gezag',
      municipality: 'GM0518',
      areas: [{ area_code: 'BU05180101', start_period: '2024Q1' }],
    }),
  },
  {
    name: 'alerts of a municipality',
    method: 'GET',
    url: '/v1/alerts?municipality=GM0518',
    minimumRole: 'viewer',
    scopedTo: 'GM0518',
  },
  { name: 'list alert rules', method: 'GET', url: '/v1/alert-rules', minimumRole: 'viewer' },
  {
    name: 'create an alert rule',
    method: 'POST',
    url: '/v1/alert-rules',
    minimumRole: 'analyst',
    scopedTo: 'GM0518',
    payload: () => ({ name: 'rise', kind: 'yoy_rise', municipality: 'GM0518' }),
  },
  { name: 'list webhooks', method: 'GET', url: '/v1/webhooks', minimumRole: 'admin' },
  {
    name: 'register a webhook',
    method: 'POST',
    url: '/v1/webhooks',
    minimumRole: 'admin',
    payload: () => ({ url: 'http://127.0.0.1:9/hook', secret: 'a-secret-of-sixteen-chars' }),
  },
  { name: 'list model runs', method: 'GET', url: '/v1/risk-model/runs', minimumRole: 'viewer' },
  {
    name: 'start a model run',
    method: 'POST',
    url: '/v1/risk-model/runs',
    minimumRole: 'analyst',
    payload: () => ({ horizon_quarters: 1 }),
  },
  {
    name: 'risk of a municipality',
    method: 'GET',
    url: '/v1/risk?municipality=GM0518',
    minimumRole: 'viewer',
    scopedTo: 'GM0518',
    allowedStatus: 404,
  },
  {
    name: 'create key',
    method: 'POST',
    url: '/v1/keys',
    minimumRole: 'admin',
    payload: () => ({ role: 'viewer' }),
  },
  { name: 'list keys', method: 'GET', url: '/v1/keys', minimumRole: 'admin' },
  {
    name: 'revoke key',
    method: 'DELETE',
    url: '/v1/keys/00000000-0000-4000-8000-000000000000',
    minimumRole: 'admin',
  },
  { name: 'audit', method: 'GET', url: '/v1/audit', minimumRole: 'admin' },
]

for (const engine of engines) {
  t.test(engine, async (t) => {
    const { app, admin } = await buildTestApp(t, engine)
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

    const call = (route: RouteCase, headers: Record<string, string>) =>
      app.inject({
        method: route.method,
        url: route.url,
        headers: {
          ...headers,
          ...(route.contentType ? { 'content-type': route.contentType } : {}),
        },
        ...(route.payload ? { payload: route.payload() as string } : {}),
      })

    for (const route of routes) {
      t.test(`${route.method} ${route.url} (${route.name})`, async (t) => {
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

          t.test(
            'when the key is of the right role and municipality, then it is allowed',
            async (t) => {
              const own = route.minimumRole === 'viewer' ? keys.viewer : keys.analyst
              const response = await call(route, own.headers)
              if (route.allowedStatus)
                t.equal(response.statusCode, route.allowedStatus, response.body)
              else t.ok(response.statusCode < 300, `${response.statusCode} ${response.body}`)
            },
          )
        }
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

import t from 'tap'
import fc from 'fast-check'
import { buildTestApp } from '../../helper.js'
import { fullHeader } from '../../support/snapshot-fixtures.js'

/**
 * Bad input never crashes the service: random CSV and JSON uploads and random query parameters
 * always answer a 2xx or a 4xx with the error shape, never a 500.
 */
t.test('fuzzing the upload paths and query parameters', async (t) => {
  const { app, admin } = await buildTestApp(t, 'pglite', {
    maxRows: 200,
    bodyLimitBytes: 256 * 1024,
  })
  /** The problem with an answer, or undefined for a clean 2xx, or a 4xx with the error shape. */
  const problem = (response: { statusCode: number; body: string }): string | undefined => {
    if (response.statusCode >= 500) return `status ${response.statusCode}`
    if (response.statusCode < 400) return undefined
    const body = JSON.parse(response.body) as { error?: { code?: unknown; message?: unknown } }
    if (typeof body.error?.code !== 'string' || typeof body.error?.message !== 'string') {
      return 'no error shape'
    }
    if (/at [\w.]+ \(|node_modules/.test(response.body)) return 'a stack trace in the answer'
    return undefined
  }
  const describe = (response: { statusCode: number; body: string }, label: string) =>
    `${label.slice(0, 120)}: ${response.statusCode} ${response.body.slice(0, 300)}`

  const nasty = fc.oneof(
    fc.string(),
    fc.constantFrom(
      "=cmd|' /C calc'!A0",
      '+1+1',
      '@SUM(A1)',
      "'; DROP TABLE snapshots; --",
      '../../etc/passwd',
      'BU0518\u00000101',
      '"',
      '""',
      '\r',
      '\uFEFF',
    ),
    fc.string({ minLength: 5000, maxLength: 20000 }),
    fc.integer().map(String),
    fc.double().map(String),
  )

  await t.test('when CSV bodies are random, then the answer is never a 500', async (t) => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(nasty, { minLength: 1, maxLength: 9 }), { maxLength: 8 }),
        fc.boolean(),
        async (rows, withHeader) => {
          const lines = rows.map((cells) => cells.join(','))
          const body = (withHeader ? [fullHeader, ...lines] : lines).join('\n')
          const response = await app.inject({
            method: 'POST',
            url: '/v1/snapshots',
            headers: { ...admin, 'content-type': 'text/csv' },
            payload: body,
          })
          t.equal(problem(response), undefined, describe(response, 'csv'))
        },
      ),
      { numRuns: 60, seed: 20241 },
    )
  })

  await t.test(
    'when CSV bytes are not UTF-8, then the answer is a 422 naming the record',
    async (t) => {
      await fc.assert(
        fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 400 }), async (bytes) => {
          const body = Buffer.concat([Buffer.from(`${fullHeader}\n`), Buffer.from(bytes)])
          const response = await app.inject({
            method: 'POST',
            url: '/v1/snapshots',
            headers: { ...admin, 'content-type': 'text/csv' },
            payload: body,
          })
          t.equal(problem(response), undefined, describe(response, 'bytes'))
        }),
        { numRuns: 60, seed: 20242 },
      )
    },
  )

  await t.test(
    'when JSON bodies are random or deeply nested, then the answer is never a 500',
    async (t) => {
      await fc.assert(
        fc.asyncProperty(fc.jsonValue({ maxDepth: 6 }), async (value) => {
          const response = await app.inject({
            method: 'POST',
            url: '/v1/snapshots',
            headers: { ...admin, 'content-type': 'application/json' },
            payload: JSON.stringify(value),
          })
          t.equal(problem(response), undefined, describe(response, 'json'))
        }),
        { numRuns: 80, seed: 20243 },
      )
      let deep: unknown = 1
      for (let depth = 0; depth < 2000; depth += 1) deep = [deep]
      const response = await app.inject({
        method: 'POST',
        url: '/v1/snapshots',
        headers: { ...admin, 'content-type': 'application/json' },
        payload: JSON.stringify(deep),
      })
      t.equal(problem(response), undefined, describe(response, 'deep json'))
      const broken = await app.inject({
        method: 'POST',
        url: '/v1/snapshots',
        headers: { ...admin, 'content-type': 'application/json' },
        payload: '{"a": [1, 2',
      })
      t.equal(broken.statusCode, 400)
    },
  )

  await t.test(
    'when query parameters and path codes are random, then every read answers without a 500',
    async (t) => {
      // Every GET route and every query parameter the OpenAPI document declares, so a route or
      // parameter added later is fuzzed without touching this test.
      const document = app.swagger() as {
        paths: Record<string, Record<string, { parameters?: Array<{ in: string; name: string }> }>>
      }
      const routes = Object.entries(document.paths)
        .filter(([path, operations]) => path.startsWith('/v1/') && operations.get)
        .map(([path]) => path.replace(/\{[^}]+\}/g, '{code}'))
      const names = new Set(
        Object.values(document.paths).flatMap((operations) =>
          (operations.get?.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
        ),
      )
      t.ok(routes.length >= 17 && names.has('format') && names.has('as_of'), [...names].join(','))
      const parameter = fc.constantFrom(...names)
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...routes),
          nasty,
          fc.array(fc.tuple(parameter, nasty), { maxLength: 4 }),
          async (route, code, query) => {
            const path = route.replace('{code}', encodeURIComponent(code.slice(0, 300)))
            const search = new URLSearchParams(
              query.map(([name, value]) => [name, value.slice(0, 2000)]),
            ).toString()
            const response = await app.inject({
              method: 'GET',
              url: `${path}${search ? `?${search}` : ''}`,
              headers: admin,
            })
            t.equal(problem(response), undefined, describe(response, `${path}?${search}`))
          },
        ),
        { numRuns: 300, seed: 20244 },
      )
    },
  )
})

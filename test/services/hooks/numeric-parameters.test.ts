import t from 'tap'
import { buildTestApp } from '../../helper.js'

/**
 * Numeric query parameters (issue 14, finding 10): `offset=99999999999999999999` answered 500 on
 * nine list routes, `horizon_quarters=Infinity` or `1e309` 500, and `limit=Infinity` dropped the
 * LIMIT. Every numeric parameter of every route in the OpenAPI document is tried with spellings
 * that coerce to odd numbers: each answer is a 400 naming the parameter.
 */
const oddValues = [
  '99999999999999999999',
  'Infinity',
  '-Infinity',
  '1e309',
  '1e3',
  '0x10',
  ' 5',
  'NaN',
]

t.test('numeric query parameters', async (t) => {
  const { app, admin } = await buildTestApp(t, 'pglite')
  const document = app.swagger() as unknown as {
    paths: Record<
      string,
      Record<
        string,
        { parameters?: Array<{ in: string; name: string; schema?: { type?: string } }> }
      >
    >
  }
  let tried = 0
  for (const [pattern, byMethod] of Object.entries(document.paths)) {
    const path = pattern
      .replace('{code}', 'BU05180101')
      .replace('{id}', '00000000-0000-4000-8000-000000000000')
    for (const [method, operation] of Object.entries(byMethod)) {
      for (const parameter of operation.parameters ?? []) {
        const type = parameter.schema?.type
        if (parameter.in !== 'query' || (type !== 'integer' && type !== 'number')) continue
        for (const value of oddValues) {
          tried += 1
          const response = await app.inject({
            method: method.toUpperCase() as 'GET',
            url: `${path}?${parameter.name}=${encodeURIComponent(value)}`,
            headers: admin,
            ...(method === 'get' ? {} : { payload: {} }),
          })
          t.equal(response.statusCode, 400, `${method} ${path} ${parameter.name}=${value}`)
          t.match(response.json().error.message, parameter.name)
        }
      }
    }
  }
  t.ok(tried >= 100, `${tried} odd values tried`)

  t.test('when a numeric parameter is plain digits, then its bounds apply as before', async (t) => {
    const page = await app.inject({
      method: 'GET',
      url: '/v1/areas?limit=2&offset=0',
      headers: admin,
    })
    t.equal(page.statusCode, 200)
    const tooFar = await app.inject({
      method: 'GET',
      url: '/v1/areas?offset=1000000001',
      headers: admin,
    })
    t.equal(tooFar.statusCode, 400)
  })
})

import t from 'tap'
import { helmetHeaders, helmetOptions } from '../../../services/plugins/helmet.js'
import { buildTestApp, createKey } from '../../helper.js'

t.test('rate limit and security headers', async (t) => {
  const { app, admin } = await buildTestApp(t, 'pglite', { rateLimit: 3 })

  t.test(
    'when a key exceeds AANWAS_RATE_LIMIT per minute, then 429 in the error shape, per key',
    async (t) => {
      const viewer = await createKey(app, admin, 'viewer')
      const statuses: number[] = []
      for (let index = 0; index < 4; index += 1) {
        statuses.push(
          (await app.inject({ method: 'GET', url: '/v1/areas', headers: viewer.headers }))
            .statusCode,
        )
      }
      t.same(statuses, [200, 200, 200, 429])
      const limited = await app.inject({ method: 'GET', url: '/v1/areas', headers: viewer.headers })
      t.equal(limited.json().error.code, 'rate_limited')
      t.ok(limited.headers['retry-after'])
      const other = await createKey(app, admin, 'viewer')
      t.equal(
        (await app.inject({ method: 'GET', url: '/v1/areas', headers: other.headers })).statusCode,
        200,
        'another key has its own budget',
      )
    },
  )

  t.test('when any route answers, then the same security headers are set', async (t) => {
    const viewer = await createKey(app, admin, 'viewer')
    const expected = helmetHeaders(helmetOptions)
    const csp = expected['content-security-policy'].split(';')
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "connect-src 'self'",
      "object-src 'none'",
      "frame-ancestors 'self'",
    ]) {
      t.ok(csp.includes(directive), `the dashboard's policy has ${directive}`)
    }
    t.equal(expected['x-content-type-options'], 'nosniff')
    t.match(expected['strict-transport-security'], /^max-age=\d+/)
    const answers = [
      await app.inject({ method: 'GET', url: '/health' }),
      await app.inject({ method: 'GET', url: '/' }),
      await app.inject({ method: 'GET', url: '/v1/areas', headers: viewer.headers }),
      await app.inject({ method: 'GET', url: '/v1/areas' }),
      await app.inject({ method: 'GET', url: '/v1/nowhere', headers: viewer.headers }),
    ]
    t.same(
      answers.map((answer) => answer.statusCode),
      [200, 200, 200, 401, 404],
    )
    for (const answer of answers) {
      for (const [name, value] of Object.entries(expected)) {
        t.equal(answer.headers[name], value, `${answer.statusCode}: ${name}`)
      }
      t.equal(answer.headers['x-powered-by'], undefined)
    }
  })
})

t.test('cross-origin requests and secrets in logs', async (t) => {
  const lines: string[] = []
  const { buildServer } = await import('../../../services/server.js')
  const { freshDataDir, testConfig } = await import('../../helper.js')
  const dataDir = await freshDataDir(t)
  const app = await buildServer({
    overrides: { ...testConfig, dataDir, databaseUrl: undefined, logLevel: 'debug' },
    logger: { level: 'debug', stream: { write: (line: string) => lines.push(line) } },
  })
  t.teardown(() => app.close())

  t.test('when a browser from another origin asks, then no CORS header allows it', async (t) => {
    const preflight = await app.inject({
      method: 'OPTIONS',
      url: '/v1/areas',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    })
    t.equal(preflight.headers['access-control-allow-origin'], undefined)
    const read = await app.inject({
      method: 'GET',
      url: '/v1/areas',
      headers: { origin: 'https://evil.example', authorization: `Bearer ${testConfig.adminKey}` },
    })
    t.equal(read.headers['access-control-allow-origin'], undefined)
  })

  t.test(
    'when a request is refused before the audit hook ran, then nothing is logged as an error',
    async (t) => {
      // issue 14, finding 12 (and 15, point 8): the audit's onResponse read the audit state of a
      // request that authentication had refused first, a TypeError at error level every time
      const before = lines.length
      const refused = await app.inject({ method: 'GET', url: '/v1/areas' })
      t.equal(refused.statusCode, 401)
      const unknown = await app.inject({
        method: 'GET',
        url: '/v1/areas',
        headers: { authorization: 'Bearer not-a-key' },
      })
      t.equal(unknown.statusCode, 401)
      const logged = lines.slice(before).map((line) => JSON.parse(line) as { level: number })
      t.same(
        logged.filter((entry) => entry.level >= 50),
        [],
        'no error-level entry',
      )
    },
  )

  t.test(
    'when requests carry keys, then neither the key nor the server secret reaches the log',
    async (t) => {
      await app.inject({
        method: 'GET',
        url: '/v1/areas',
        headers: { authorization: `Bearer ${testConfig.adminKey}` },
      })
      await app.inject({
        method: 'GET',
        url: '/v1/areas',
        headers: { authorization: 'Bearer wrong-key-123456' },
      })
      const created = await app.inject({
        method: 'POST',
        url: '/v1/keys',
        headers: { authorization: `Bearer ${testConfig.adminKey}` },
        payload: { role: 'viewer' },
      })
      const log = lines.join('')
      t.ok(lines.length > 0, 'something was logged')
      t.notMatch(log, testConfig.adminKey!)
      t.notMatch(log, 'wrong-key-123456')
      t.notMatch(log, created.json().key)
      t.notMatch(log, testConfig.keySecret!)
    },
  )
})

t.test('rate limits per verified key, with costs (issue 14, finding 8)', async (t) => {
  const { app, admin } = await buildTestApp(t, 'pglite', { rateLimit: 20 })
  const viewer = await createKey(app, admin, 'viewer', 'GM0518')
  const secret = viewer.headers.authorization.slice('Bearer '.length)

  t.test(
    'when one key is sent in different spellings of the header, then they share one budget',
    async (t) => {
      const spellings = [
        `Bearer ${secret}`,
        `bearer ${secret}`,
        `BEARER ${secret}`,
        `Bearer  ${secret}`,
        `Bearer\t${secret}`,
      ]
      let answered = 0
      let limited = 0
      for (let round = 0; round < 6; round += 1) {
        for (const authorization of spellings) {
          const answer = await app.inject({
            method: 'GET',
            url: '/v1/areas',
            headers: { authorization },
          })
          if (answer.statusCode === 200) answered += 1
          else if (answer.statusCode === 429) limited += 1
        }
      }
      t.equal(answered, 20, 'exactly the budget of one key, across all spellings')
      t.equal(limited, 10)
      const last = await app.inject({
        method: 'GET',
        url: '/v1/areas',
        headers: { authorization: `bEaReR ${secret}` },
      })
      t.equal(last.statusCode, 429)
      t.match(last.json().error.message, /20 units per minute/, 'the message states the window')
      t.notMatch(last.json().error.message, /5 seconds/)
    },
  )

  t.test('when an expensive route is called, then it costs more than one unit', async (t) => {
    const analyst = await createKey(app, admin, 'analyst', 'GM0518')
    const statuses: number[] = []
    for (let call = 0; call < 5; call += 1) {
      statuses.push(
        (await app.inject({ method: 'GET', url: '/v1/trends', headers: analyst.headers }))
          .statusCode,
      )
    }
    // trends costs 5 units of 20: four calls, then 429
    t.same(statuses, [200, 200, 200, 200, 429])
    const answer = await app.inject({ method: 'GET', url: '/v1/areas', headers: analyst.headers })
    t.equal(answer.statusCode, 429, 'the expensive calls used the same budget as every route')
    const limited = await app.inject({ method: 'GET', url: '/v1/trends', headers: analyst.headers })
    t.match(limited.json().error.message, /costs 5 units/)
  })

  t.test(
    'when an address keeps sending unknown keys, then it is limited per address',
    async (t) => {
      const statuses = new Set<number>()
      for (let attempt = 0; attempt < 25; attempt += 1) {
        const answer = await app.inject({
          method: 'GET',
          url: '/v1/areas',
          headers: { authorization: `Bearer guess-${attempt}` },
        })
        statuses.add(answer.statusCode)
      }
      t.same([...statuses].sort(), [401, 429])
      const other = await createKey(app, admin, 'viewer')
      t.equal(
        (await app.inject({ method: 'GET', url: '/v1/areas', headers: other.headers })).statusCode,
        200,
        'a valid key from the same address is still admitted',
      )
    },
  )
})

import { randomUUID } from 'node:crypto'
import { connect } from 'node:net'
import type { FastifyInstance } from 'fastify'
import t from 'tap'
import { nonCanonicalPathReason } from '../../../services/hooks/canonical-path.js'
import { buildTestApp, createKey, engines } from '../../helper.js'
import { snapshotRow } from '../../support/snapshot-fixtures.js'

/**
 * Deny by default (issue 14, finding 1): whether a request needs a key is decided on the matched
 * route, never on the URL string, and a path in any spelling other than the canonical one reaches
 * no route. Every route of the OpenAPI document is tried without a key in its canonical form and
 * in encoded, doubled, dotted and case-changed variants: each answer is 401 or 404, never data.
 */
type Method = 'GET' | 'POST' | 'PATCH' | 'DELETE' | 'PUT'

/** Values for the path parameters the API uses. */
const parameterValues: Record<string, string> = {
  code: 'BU05180101',
  id: randomUUID(),
}

function concretePath(pattern: string): string {
  return pattern.replace(/\{(\w+)\}/g, (_, name: string) => {
    const value = parameterValues[name]
    if (!value) throw new Error(`no test value for path parameter ${name} in ${pattern}`)
    return value
  })
}

/** The keyed operations of the OpenAPI document (those not marked `security: []`). */
function keyedOperations(app: FastifyInstance): { method: Method; path: string }[] {
  const document = app.swagger() as unknown as {
    paths: Record<string, Record<string, { security?: unknown[] }>>
  }
  const operations: { method: Method; path: string }[] = []
  for (const [pattern, byMethod] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(byMethod)) {
      if (Array.isArray(operation.security) && operation.security.length === 0) continue
      operations.push({ method: method.toUpperCase() as Method, path: concretePath(pattern) })
    }
  }
  return operations
}

const encode = (character: string) => `%${character.charCodeAt(0).toString(16).padStart(2, '0')}`

/** Spelling variants of a path that a router, proxy or file server might read as the same. */
export function pathVariants(path: string): string[] {
  const variants = new Set<string>()
  const segments = path.split('/').slice(1)
  segments.forEach((segment, index) => {
    const before = '/' + segments.slice(0, index).join('/') + (index > 0 ? '/' : '')
    const after = segments.slice(index + 1).length ? '/' + segments.slice(index + 1).join('/') : ''
    // each letter of the segment percent-encoded, lower- and upper-case hex
    for (let position = 0; position < segment.length; position += 1) {
      const encoded = encode(segment[position])
      for (const hex of [encoded, encoded.toUpperCase()]) {
        variants.add(
          before + segment.slice(0, position) + hex + segment.slice(position + 1) + after,
        )
      }
    }
    variants.add(before + segment.toUpperCase() + after)
    variants.add(before + segment.toLowerCase() + after)
    variants.add(before + '/' + segment + after) // doubled slash
    variants.add(before + './' + segment + after) // dot segment
    variants.add(before + 'x/../' + segment + after) // dot-dot segment
    variants.add(before + segment + '%2F' + after.slice(1)) // encoded slash
    variants.add(before + segment + '%2f' + after.slice(1))
    variants.add(before + segment + '\\' + after.slice(1)) // backslash
  })
  variants.add(path + '/')
  variants.add(path.toUpperCase())
  variants.add('/' + path)
  variants.delete(path)
  return [...variants]
}

/** The status line of a GET sent over a plain socket with the path exactly as given. */
function rawStatus(port: number, path: string, authorization: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: ${authorization}\r\nConnection: close\r\n\r\n`,
      )
    })
    let text = ''
    socket.on('data', (chunk) => (text += chunk.toString('latin1')))
    socket.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)))
    socket.on('error', reject)
  })
}

t.test('nonCanonicalPathReason', async (t) => {
  t.equal(nonCanonicalPathReason('/v1/areas?x=%20'), null, 'a query string may be encoded')
  t.equal(nonCanonicalPathReason('/v1/areas/BU05180101/snapshots'), null)
  t.match(nonCanonicalPathReason('/%761/areas'), /percent-encoding/)
  t.match(nonCanonicalPathReason('/v1//areas'), /empty path segments/)
  t.match(nonCanonicalPathReason('/v1/x/../areas'), /dot segments/)
  t.match(nonCanonicalPathReason('/v1/./areas'), /dot segments/)
  t.match(nonCanonicalPathReason('/v1\\areas'), /backslash/)
})

for (const engine of engines) {
  t.test(`deny by default (${engine})`, async (t) => {
    const { app, admin } = await buildTestApp(t, engine)
    const upload = await app.inject({
      method: 'POST',
      url: '/v1/snapshots',
      headers: admin,
      payload: [snapshotRow({ area_code: 'BU05180101', period: '2024Q3' })],
    })
    t.equal(upload.statusCode, 201, upload.body)

    t.test(
      "when the red team's encoded path is sent without a key, then no data (finding 1)",
      async (t) => {
        const stolen = await app.inject({
          method: 'GET',
          url: '/%761/areas/BU05180101/snapshots?from=2024Q3&to=2024Q3',
        })
        t.equal(stolen.statusCode, 404)
        t.equal(stolen.json().error.code, 'not_found')
        t.notMatch(stolen.body, /drug_offence_suspects/)
        const me = await app.inject({ method: 'GET', url: '/%761/keys/me' })
        t.equal(me.statusCode, 404, 'was a 500')
      },
    )

    t.test('when a keyed route is called in canonical form without a key, then 401', async (t) => {
      const operations = keyedOperations(app)
      t.ok(operations.length >= 30, `${operations.length} keyed operations`)
      for (const { method, path } of operations) {
        const answer = await app.inject({
          method,
          url: path,
          payload: method === 'GET' ? undefined : {},
        })
        t.equal(answer.statusCode, 401, `${method} ${path}`)
        t.equal(
          answer.headers['cache-control'],
          'private, no-cache',
          `${method} ${path}: not cacheable`,
        )
      }
    })

    t.test(
      'when any route is called in a variant spelling without a key, then 401 or 404, never data',
      async (t) => {
        let tried = 0
        for (const { method, path } of keyedOperations(app)) {
          for (const variant of pathVariants(path)) {
            tried += 1
            const answer = await app.inject({
              method,
              url: variant,
              payload: method === 'GET' ? undefined : {},
            })
            if (answer.statusCode !== 401 && answer.statusCode !== 404) {
              t.fail(
                `${method} ${variant} answered ${answer.statusCode}: ${answer.body.slice(0, 200)}`,
              )
            }
          }
        }
        t.ok(tried > 1000, `${tried} variants tried`)
      },
    )

    t.test('when a variant spelling carries a valid key, then still no route', async (t) => {
      const viewer = await createKey(app, admin, 'viewer', 'GM0518')
      for (const url of ['/%761/areas', '/v1/%61reas', '/v1//areas', '/V1/areas']) {
        const answer = await app.inject({ method: 'GET', url, headers: viewer.headers })
        t.equal(answer.statusCode, 404, url)
      }
      // inject (like a browser) resolves dot segments before sending; a raw client does not
      const address = await app.listen({ port: 0, host: '127.0.0.1' })
      const { port } = new URL(address)
      for (const path of ['/v1/./areas', '/v1/x/../areas', '/v1/areas/../keys']) {
        const status = await rawStatus(Number(port), path, viewer.headers.authorization)
        t.equal(status, 404, `${path} sent as is`)
      }
    })

    t.test('when public routes are called without a key, then they answer', async (t) => {
      for (const url of ['/health', '/health/ready', '/docs', '/docs/json', '/metrics', '/']) {
        const answer = await app.inject({ method: 'GET', url })
        t.ok(answer.statusCode < 400, `${url}: ${answer.statusCode}`)
      }
    })

    t.test('when a keyed route answers, then it may not be cached by others', async (t) => {
      const viewer = await createKey(app, admin, 'viewer', 'GM0518')
      const answer = await app.inject({ method: 'GET', url: '/v1/areas', headers: viewer.headers })
      t.equal(answer.statusCode, 200)
      t.equal(answer.headers['cache-control'], 'private, no-cache')
    })
  })
}

import t from 'tap'
import { buildTestApp, createKey, engines } from '../../../helper.js'

for (const engine of engines) {
  t.test(engine, async (t) => {
    const { app, admin, reset } = await buildTestApp(t, engine)
    t.beforeEach(() => reset())

    t.test('POST /v1/keys', async (t) => {
      t.test(
        'when an admin creates a key, then the secret is shown once and stored only as a hash',
        async (t) => {
          const response = await app.inject({
            method: 'POST',
            url: '/v1/keys',
            headers: admin,
            payload: { role: 'viewer', municipality: 'GM0518', label: 'team' },
          })
          t.equal(response.statusCode, 201)
          const { id, key } = response.json()
          t.ok(
            Buffer.from(key.replace(/^aw_/, ''), 'base64url').length >= 16,
            'at least 128 random bits',
          )
          const stored = await app.knex('api_keys').where({ id }).first()
          t.not(stored.key_hash, key)
          t.notMatch(JSON.stringify(stored), key)
          const read = await app.inject({
            method: 'GET',
            url: '/v1/areas',
            headers: { authorization: `Bearer ${key}` },
          })
          t.equal(read.statusCode, 200)
        },
      )

      t.test('when an admin key is given a municipality, then 400', async (t) => {
        const response = await app.inject({
          method: 'POST',
          url: '/v1/keys',
          headers: admin,
          payload: { role: 'admin', municipality: 'GM0518' },
        })
        t.equal(response.statusCode, 400)
      })

      t.test('when the body has an unknown field or a bad role, then 400', async (t) => {
        for (const payload of [
          { role: 'viewer', extra: 1 },
          { role: 'superuser' },
          { role: 'viewer', municipality: 'WK051801' },
          {},
        ]) {
          const response = await app.inject({
            method: 'POST',
            url: '/v1/keys',
            headers: admin,
            payload,
          })
          t.equal(response.statusCode, 400, JSON.stringify(payload))
          t.equal(response.json().error.code, 'bad_request')
        }
      })
    })

    t.test('GET /v1/keys', async (t) => {
      t.test('when keys are listed, then no secret or hash is shown', async (t) => {
        const created = await createKey(app, admin, 'analyst', 'GM0518')
        const response = await app.inject({ method: 'GET', url: '/v1/keys', headers: admin })
        t.equal(response.statusCode, 200)
        const listed = response.json().items.find((key: { id: string }) => key.id === created.id)
        t.match(listed, { role: 'analyst', municipality: 'GM0518', revoked_at: null })
        t.notMatch(response.body, created.key)
        t.notMatch(response.body, /key_hash/)
      })
    })

    t.test('GET /v1/keys/me', async (t) => {
      t.test('when any key asks who it is, then its role and scope come back', async (t) => {
        const viewer = await createKey(app, admin, 'viewer', 'GM0518')
        const response = await app.inject({
          method: 'GET',
          url: '/v1/keys/me',
          headers: viewer.headers,
        })
        t.same(response.json(), { id: viewer.id, role: 'viewer', municipality: 'GM0518' })
        t.equal((await app.inject({ method: 'GET', url: '/v1/keys/me' })).statusCode, 401)
      })
    })

    t.test('DELETE /v1/keys/:id', async (t) => {
      t.test('when a key is revoked, then it is refused at once', async (t) => {
        const created = await createKey(app, admin, 'viewer')
        t.equal(
          (await app.inject({ method: 'GET', url: '/v1/areas', headers: created.headers }))
            .statusCode,
          200,
        )
        t.equal(
          (await app.inject({ method: 'DELETE', url: `/v1/keys/${created.id}`, headers: admin }))
            .statusCode,
          204,
        )
        t.equal(
          (await app.inject({ method: 'GET', url: '/v1/areas', headers: created.headers }))
            .statusCode,
          401,
        )
      })

      t.test('when the key does not exist, then 404', async (t) => {
        const response = await app.inject({
          method: 'DELETE',
          url: '/v1/keys/00000000-0000-4000-8000-000000000000',
          headers: admin,
        })
        t.equal(response.statusCode, 404)
      })
    })

    t.test('key expiry (issue 14)', async (t) => {
      t.test(
        'when a key is created with expires_at, then it works until then and is refused after',
        async (t) => {
          const expiresAt = new Date(Date.now() + 1500).toISOString()
          const response = await app.inject({
            method: 'POST',
            url: '/v1/keys',
            headers: admin,
            payload: { role: 'viewer', expires_at: expiresAt },
          })
          t.equal(response.statusCode, 201, response.body)
          const headers = { authorization: `Bearer ${response.json().key}` }
          const before = await app.inject({ method: 'GET', url: '/v1/areas', headers })
          t.equal(before.statusCode, 200)
          const listed = (await app.inject({ method: 'GET', url: '/v1/keys', headers: admin }))
            .json()
            .items.find((key: { id: string }) => key.id === response.json().id)
          t.equal(listed.expires_at, expiresAt)
          await new Promise((resolve) =>
            setTimeout(resolve, Date.parse(expiresAt) - Date.now() + 50),
          )
          const after = await app.inject({ method: 'GET', url: '/v1/areas', headers })
          t.equal(after.statusCode, 401, 'refused at once, though verified a moment ago')
          t.match(after.json().error.message, /expired/)
        },
      )

      t.test('when expires_at is in the past or has no offset, then 400', async (t) => {
        for (const expiresAt of ['2020-01-01T00:00:00Z', '2030-01-01T00:00:00', 'tomorrow']) {
          const response = await app.inject({
            method: 'POST',
            url: '/v1/keys',
            headers: admin,
            payload: { role: 'viewer', expires_at: expiresAt },
          })
          t.equal(response.statusCode, 400, expiresAt)
        }
      })
    })
  })
}

import t from 'tap'
import { createHash, randomUUID } from 'node:crypto'
import { buildTestApp, engines } from '../../helper.js'
import { databaseNow } from '../../support/repository-fixtures.js'
import type { Role } from '../../../services/repositories/keys-repository.js'

/**
 * The keys repository (services/repositories/keys-repository.ts) on each engine: keys found by
 * hash only while neither revoked nor expired, admins counted, bootstrap keys rotated, settings
 * written once. The app's own bootstrap admin key stays in the table throughout.
 */

const hashOf = (text: string) => createHash('sha256').update(text).digest('hex')

for (const engine of engines) {
  t.test(engine, async (t) => {
    const { app, reset } = await buildTestApp(t, engine)
    const repository = app.keysRepository
    t.beforeEach(() => reset())

    /** Inserts a key through the repository; answers its id and hash. */
    const insertKey = async (
      role: Role,
      options: { municipality?: string; expires_at?: Date | null; bootstrap?: boolean } = {},
    ) => {
      const id = randomUUID()
      const key_hash = hashOf(id)
      await repository.insert({
        id,
        key_hash,
        role,
        municipality: options.municipality ?? null,
        label: `${role} key`,
        bootstrap: options.bootstrap,
        expires_at: options.expires_at,
      })
      return { id, key_hash }
    }

    t.test('insert and findActiveByHash', async (t) => {
      t.test('when a key is inserted, then it is found by its hash with its fields', async (t) => {
        const { id, key_hash } = await insertKey('viewer', { municipality: 'GM0518' })

        const found = await repository.findActiveByHash(key_hash)

        t.match(found, {
          id,
          key_hash,
          role: 'viewer',
          municipality: 'GM0518',
          label: 'viewer key',
          bootstrap: false,
          revoked_at: null,
          expires_at: null,
        })
        t.ok(found!.created_at instanceof Date)
        t.equal(await repository.findActiveByHash(hashOf('unknown')), undefined)
      })

      t.test('when a hash is inserted twice, then the second insert fails', async (t) => {
        const { key_hash } = await insertKey('analyst')

        await t.rejects(
          repository.insert({
            id: randomUUID(),
            key_hash,
            role: 'viewer',
            municipality: null,
            label: null,
          }),
        )
        const [{ n }] = await app
          .knex('api_keys')
          .where({ key_hash })
          .count<{ n: number }[]>({ n: '*' })
        t.equal(Number(n), 1)
      })

      t.test('when a key has expired, then it is not found; before expiry it is', async (t) => {
        const now = await databaseNow(app.knex)
        const expired = await insertKey('analyst', {
          expires_at: new Date(now.getTime() - 60_000),
        })
        const expiring = await insertKey('analyst', {
          expires_at: new Date(now.getTime() + 3_600_000),
        })

        const expiredFound = await repository.findActiveByHash(expired.key_hash)
        const expiringFound = await repository.findActiveByHash(expiring.key_hash)

        t.equal(expiredFound, undefined)
        t.equal(expiringFound?.id, expiring.id)
        t.ok(expiringFound?.expires_at instanceof Date)
        t.ok(await repository.exists(expired.id), 'an expired key still exists')
      })

      t.test('when a key is revoked, then it is not found by its hash', async (t) => {
        const { id, key_hash } = await insertKey('viewer')

        const revoked = await repository.revoke(id)

        t.equal(revoked, true)
        t.equal(await repository.findActiveByHash(key_hash), undefined)
        const [row] = await app.knex('api_keys').where({ id }).select('revoked_at')
        t.ok(row.revoked_at instanceof Date, 'revoked_at is stored')
      })
    })

    t.test('revoke and exists', async (t) => {
      t.test(
        'when a key is revoked twice or does not exist, then false; the first revocation is kept',
        async (t) => {
          const { id } = await insertKey('viewer')

          const first = await repository.revoke(id)
          const [{ revoked_at: firstTime }] = await app
            .knex('api_keys')
            .where({ id })
            .select('revoked_at')
          const second = await repository.revoke(id)
          const unknown = await repository.revoke(randomUUID())

          t.same([first, second, unknown], [true, false, false])
          const [{ revoked_at: after }] = await app
            .knex('api_keys')
            .where({ id })
            .select('revoked_at')
          t.equal(after.getTime(), firstTime.getTime())
          t.equal(await repository.exists(id), true)
          t.equal(await repository.exists(randomUUID()), false)
        },
      )
    })

    t.test('countActiveAdmins', async (t) => {
      t.test('when admins are revoked or expired, then they are not counted', async (t) => {
        const before = await repository.countActiveAdmins()
        const now = await databaseNow(app.knex)
        await insertKey('admin')
        await insertKey('admin', { expires_at: new Date(now.getTime() + 3_600_000) })
        const revoked = await insertKey('admin')
        await repository.revoke(revoked.id)
        await insertKey('admin', { expires_at: new Date(now.getTime() - 60_000) })
        await insertKey('analyst')

        const after = await repository.countActiveAdmins()

        t.equal(before, 1, 'the bootstrap admin')
        t.equal(after, 3)
      })
    })

    t.test('revokeOtherBootstrapKeys', async (t) => {
      t.test(
        'when the admin key changed, then other bootstrap keys are revoked and the kept one and other keys stay',
        async (t) => {
          const [current] = await app.knex('api_keys').where({ bootstrap: true }).select('*')
          const old = await insertKey('admin', { bootstrap: true })
          t.teardown(() => app.knex('api_keys').where({ id: old.id }).delete())
          const other = await insertKey('admin')

          await repository.revokeOtherBootstrapKeys(current.key_hash)

          t.equal(await repository.findActiveByHash(old.key_hash), undefined)
          t.equal((await repository.findActiveByHash(current.key_hash))?.id, current.id)
          t.equal((await repository.findActiveByHash(other.key_hash))?.id, other.id)
        },
      )
    })

    t.test('list', async (t) => {
      t.test(
        'when keys are listed, then the newest come first and the total counts every key',
        async (t) => {
          const first = await insertKey('viewer')
          await app
            .knex('api_keys')
            .where({ id: first.id })
            .update({ created_at: new Date('2030-01-01T00:00:00Z') })
          const second = await insertKey('analyst')
          await app
            .knex('api_keys')
            .where({ id: second.id })
            .update({ created_at: new Date('2031-01-01T00:00:00Z') })

          const page = await repository.list({ limit: 2, offset: 0 })
          const rest = await repository.list({ limit: 10, offset: 2 })

          t.equal(page.total, 3, 'the bootstrap key and two more')
          t.same(
            page.items.map((row) => row.id),
            [second.id, first.id],
          )
          t.same(
            rest.items.map((row) => row.bootstrap),
            [true],
          )
        },
      )
    })

    t.test('getSetting and initSetting', async (t) => {
      t.test('when a setting is initialised twice, then the first value stays', async (t) => {
        const name = `test.setting.${randomUUID().slice(0, 8)}`

        const missing = await repository.getSetting(name)
        const first = await repository.initSetting(name, 'first')
        const second = await repository.initSetting(name, 'second')

        t.equal(missing, undefined)
        t.equal(first, 'first')
        t.equal(second, 'first', 'first writer wins')
        t.equal(await repository.getSetting(name), 'first')
      })

      t.test(
        'when two writers initialise at once, then both answer the same stored value',
        async (t) => {
          const name = `test.race.${randomUUID().slice(0, 8)}`

          const answers = await Promise.all([
            repository.initSetting(name, 'a'),
            repository.initSetting(name, 'b'),
          ])

          t.equal(answers[0], answers[1])
          t.equal(await repository.getSetting(name), answers[0])
        },
      )
    })
  })
}

import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Knex } from 'knex'

export type Role = 'viewer' | 'analyst' | 'admin'

export interface ApiKeyRow {
  id: string
  key_hash: string
  role: Role
  municipality: string | null
  label: string | null
  bootstrap: boolean
  created_at: Date
  revoked_at: Date | null
  /** After this time the key is refused like a revoked one; null: it does not expire. */
  expires_at: Date | null
}

export function createKeysRepository(knex: Knex) {
  return {
    async findActiveByHash(
      hash: string,
      trx: Knex | Knex.Transaction = knex,
    ): Promise<ApiKeyRow | undefined> {
      return (await trx('api_keys')
        .where({ key_hash: hash })
        .whereNull('revoked_at')
        .where((valid) => valid.whereNull('expires_at').orWhere('expires_at', '>', trx.fn.now()))
        .first()) as ApiKeyRow | undefined
    },

    async insert(
      key: {
        id: string
        key_hash: string
        role: Role
        municipality: string | null
        label: string | null
        bootstrap?: boolean
        expires_at?: Date | null
      },
      trx: Knex | Knex.Transaction = knex,
    ): Promise<void> {
      await trx('api_keys').insert({ ...key, bootstrap: key.bootstrap ?? false })
    },

    async countActiveAdmins(trx: Knex | Knex.Transaction = knex): Promise<number> {
      const [{ n }] = await trx('api_keys')
        .where({ role: 'admin' })
        .whereNull('revoked_at')
        .where((valid) => valid.whereNull('expires_at').orWhere('expires_at', '>', trx.fn.now()))
        .count<{ n: number }[]>({ n: '*' })
      return Number(n)
    },

    /** Revokes bootstrap keys other than the given hash (AANWAS_ADMIN_KEY changed). */
    async revokeOtherBootstrapKeys(
      keepHash: string,
      trx: Knex | Knex.Transaction = knex,
    ): Promise<void> {
      await trx('api_keys')
        .where({ bootstrap: true })
        .whereNot({ key_hash: keepHash })
        .whereNull('revoked_at')
        .update({ revoked_at: trx.fn.now() })
    },

    async list(
      page: { limit: number; offset: number },
      trx: Knex | Knex.Transaction = knex,
    ): Promise<{ items: ApiKeyRow[]; total: number }> {
      const [{ total }] = await trx('api_keys').count<{ total: number }[]>({ total: '*' })
      const items = (await trx('api_keys')
        .select('*')
        .orderBy('created_at', 'desc')
        .orderBy('id')
        .limit(page.limit)
        .offset(page.offset)) as ApiKeyRow[]
      return { items, total: Number(total) }
    },

    /** Marks a key revoked; false when it does not exist or was revoked before. */
    async revoke(id: string, trx: Knex | Knex.Transaction = knex): Promise<boolean> {
      const changed = await trx('api_keys')
        .where({ id })
        .whereNull('revoked_at')
        .update({ revoked_at: trx.fn.now() })
      return changed > 0
    },

    async exists(id: string, trx: Knex | Knex.Transaction = knex): Promise<boolean> {
      return (await trx('api_keys').where({ id }).first('id')) !== undefined
    },

    async getSetting(
      name: string,
      trx: Knex | Knex.Transaction = knex,
    ): Promise<string | undefined> {
      const row = (await trx('settings').where({ name }).first('value')) as
        { value: string } | undefined
      return row?.value
    },

    /** Stores a setting unless one exists; returns the stored value (first writer wins). */
    async initSetting(
      name: string,
      value: string,
      trx: Knex | Knex.Transaction = knex,
    ): Promise<string> {
      await trx('settings').insert({ name, value }).onConflict('name').ignore()
      return (await this.getSetting(name, trx)) as string
    },
  }
}

export type KeysRepository = ReturnType<typeof createKeysRepository>

declare module 'fastify' {
  interface FastifyInstance {
    keysRepository: KeysRepository
  }
}

export default fp(
  async function keysRepository(fastify: FastifyInstance) {
    fastify.decorate('keysRepository', createKeysRepository(fastify.knex))
  },
  { name: 'keys-repository', dependencies: ['db'] },
)

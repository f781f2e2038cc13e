import type { Knex } from 'knex'

// Issue 14: a key may be created with an expiry; an expired key is refused like a revoked one.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('api_keys', (table) => {
    table.timestamp('expires_at', { useTz: true })
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('api_keys', (table) => {
    table.dropColumn('expires_at')
  })
}

import type { Knex } from 'knex'

// API keys are stored as HMAC-SHA256 of the secret (never the secret itself). The server
// secret used for that HMAC lives in `settings` unless AANWAS_KEY_SECRET is given.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('settings', (table) => {
    table.string('name', 64).primary()
    table.text('value').notNullable()
  })
  await knex.schema.createTable('api_keys', (table) => {
    table.uuid('id').primary()
    table.string('key_hash', 64).notNullable().unique()
    table.string('role', 16).notNullable()
    table.string('municipality', 6)
    table.text('label')
    table.boolean('bootstrap').notNullable().defaultTo(false)
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    table.timestamp('revoked_at', { useTz: true })
  })
  await knex.raw(
    `ALTER TABLE api_keys ADD CONSTRAINT api_keys_role_check CHECK (role IN ('viewer', 'analyst', 'admin'))`,
  )
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('api_keys')
  await knex.schema.dropTable('settings')
}

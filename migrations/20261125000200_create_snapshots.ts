import type { Knex } from 'knex'

// Snapshots are append-only revisions: a re-delivered quarter with a changed value closes the
// current row (valid_to) and adds a new one, so every earlier state stays readable with `as_of`.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('upload_batches', (table) => {
    table.uuid('id').primary()
    table.uuid('key_id')
    table.string('content_type', 16).notNullable()
    table.string('checksum', 64).notNullable()
    table.integer('rows').notNullable()
    table.integer('inserted').notNullable()
    table.integer('revised').notNullable()
    table.integer('unchanged').notNullable()
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
  })
  await knex.schema.createTable('snapshots', (table) => {
    table.bigIncrements('id').primary()
    table.string('area_code', 10).notNullable().references('area_code').inTable('areas')
    table.string('period', 6).notNullable()
    table.integer('youth_population').notNullable()
    table.integer('early_school_leavers')
    table.integer('halt_registrations')
    table.integer('parental_debt')
    table.integer('drug_offence_suspects')
    table.uuid('batch_id').notNullable().references('id').inTable('upload_batches')
    table.timestamp('valid_from', { useTz: true }).notNullable()
    table.timestamp('valid_to', { useTz: true })
    table.index(['area_code', 'period', 'valid_from'])
  })
  // One current row per (area_code, period): the guard behind serialised uploads.
  await knex.raw(
    'CREATE UNIQUE INDEX snapshots_current_unique ON snapshots (area_code, period) WHERE valid_to IS NULL',
  )
  await knex.raw(
    'CREATE INDEX snapshots_current_period ON snapshots (period) WHERE valid_to IS NULL',
  )
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('snapshots')
  await knex.schema.dropTable('upload_batches')
}

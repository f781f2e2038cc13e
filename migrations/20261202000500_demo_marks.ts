import type { Knex } from 'knex'

// Issue 16: the demo's rows are recognisable, so `aanwas demo --remove` can take out exactly
// what the demo added and nothing a user stored. A demo upload batch is marked `demo` (its key
// is the demo loader's, which also created the demo's intervention, alert rules and model run);
// an area is marked when the demo created it; a boundary keeps the `updated_at` the demo wrote
// in `demo_written_at`, so a boundary a user replaced later (a new `updated_at`) is no longer
// the demo's. `demo_removed_at` keeps a removed demo's batches as a record, so a service started
// on the now empty database does not load the demo again on its own.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('upload_batches', (table) => {
    table.boolean('demo').notNullable().defaultTo(false)
    table.timestamp('demo_removed_at', { useTz: true })
  })
  await knex.schema.alterTable('areas', (table) => {
    table.boolean('demo').notNullable().defaultTo(false)
  })
  await knex.schema.alterTable('area_geometries', (table) => {
    table.timestamp('demo_written_at', { useTz: true })
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('area_geometries', (table) => {
    table.dropColumn('demo_written_at')
  })
  await knex.schema.alterTable('areas', (table) => {
    table.dropColumn('demo')
  })
  await knex.schema.alterTable('upload_batches', (table) => {
    table.dropColumn('demo_removed_at')
    table.dropColumn('demo')
  })
}

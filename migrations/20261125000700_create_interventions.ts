import type { Knex } from 'knex'

// Interventions (DESIGN.md §3): a programme in one municipality with its treated neighbourhoods,
// each from a start quarter to an optional end quarter, and a cache of computed effects keyed by
// intervention, method, options and the data version (the highest snapshot id: snapshots are
// append-only, so any upload that changed data raises it and misses the cache).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('interventions', (table) => {
    table.uuid('id').primary()
    table.text('name').notNullable()
    table.text('description')
    table.string('municipality', 6).notNullable()
    table.uuid('created_by')
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    table.index(['municipality', 'created_at'])
  })
  await knex.schema.createTable('intervention_areas', (table) => {
    table
      .uuid('intervention_id')
      .notNullable()
      .references('id')
      .inTable('interventions')
      .onDelete('CASCADE')
    table.string('area_code', 10).notNullable().references('area_code').inTable('areas')
    table.string('start_period', 6).notNullable()
    table.string('end_period', 6)
    table.primary(['intervention_id', 'area_code'])
    table.index(['area_code'])
  })
  await knex.schema.createTable('intervention_effects_cache', (table) => {
    table
      .uuid('intervention_id')
      .notNullable()
      .references('id')
      .inTable('interventions')
      .onDelete('CASCADE')
    table.string('method', 32).notNullable()
    table.text('options_key').notNullable()
    table.text('data_version').notNullable()
    table.jsonb('result').notNullable()
    table.timestamp('computed_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    table.primary(['intervention_id', 'method', 'options_key'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('intervention_effects_cache')
  await knex.schema.dropTable('intervention_areas')
  await knex.schema.dropTable('interventions')
}

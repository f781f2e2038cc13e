import type { Knex } from 'knex'

// Areas are keyed by their CBS code; level and parent follow from the code itself
// (BU05180101 -> WK051801 -> GM0518), so a neighbourhood upload can create its parents.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('areas', (table) => {
    table.string('area_code', 10).primary()
    table.text('area_name')
    table.string('level', 16).notNullable()
    table.string('parent_code', 10).references('area_code').inTable('areas')
    table.string('municipality_code', 6).notNullable()
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    table.index(['municipality_code', 'level'])
    table.index(['parent_code'])
  })
  await knex.raw(
    `ALTER TABLE areas ADD CONSTRAINT areas_level_check CHECK (level IN ('municipality', 'district', 'neighbourhood'))`,
  )
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('areas')
}

import type { Knex } from 'knex'

// Issue 16: links between CBS divisions — the share of an area's counts (in the division of
// from_year) that belongs to an area of a later division. One row per (from_year, from_code,
// to_code); an upload replaces every link of the areas it gives. `source` says whether a link
// was uploaded or derived from geometries.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('area_links', (table) => {
    table.smallint('from_year').notNullable()
    table.string('from_code', 10).notNullable()
    table.smallint('to_year').notNullable()
    table.string('to_code', 10).notNullable()
    table.double('weight').notNullable()
    table.string('source', 16).notNullable()
    table.uuid('created_by')
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    table.primary(['from_year', 'from_code', 'to_code'])
    table.index(['to_code'])
    table.check('?? > ??', ['to_year', 'from_year'], 'area_links_forward')
    table.check('?? > 0 AND ?? <= 1', ['weight', 'weight'], 'area_links_weight')
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('area_links')
}

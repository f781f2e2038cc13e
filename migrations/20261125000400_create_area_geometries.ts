import type { Knex } from 'knex'

// Boundaries for the dashboard's map, one GeoJSON geometry per area (WGS84 lon/lat).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('area_geometries', (table) => {
    table
      .string('area_code', 10)
      .primary()
      .references('area_code')
      .inTable('areas')
      .onDelete('CASCADE')
    table.jsonb('geometry').notNullable()
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('area_geometries')
}

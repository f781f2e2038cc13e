import type { Knex } from 'knex'

// Every write and every read of exact values, with the key that did it (DESIGN.md §5).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('audit_log', (table) => {
    table.bigIncrements('id').primary()
    table.timestamp('at', { useTz: true }).notNullable()
    table.uuid('key_id')
    table.string('method', 8).notNullable()
    table.text('route').notNullable()
    table.string('area_code', 10)
    table.boolean('exact_read').notNullable().defaultTo(false)
    table.integer('status_code').notNullable()
    table.integer('rows')
    table.index(['at'])
    table.index(['key_id', 'at'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('audit_log')
}

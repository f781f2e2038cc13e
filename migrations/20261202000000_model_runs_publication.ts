import type { Knex } from 'knex'

// Issue 14: runs an admin starts and automatic recomputes publish on success (they are what
// GET /v1/risk serves); runs an analyst starts are previews until an admin publishes one.
// `publish_on_success` is decided when the run is queued. Runs that succeeded before this
// migration were what the service served: they count as published.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('model_runs', (table) => {
    table.boolean('publish_on_success').notNullable().defaultTo(true)
    table.boolean('published').notNullable().defaultTo(false)
    table.timestamp('published_at', { useTz: true })
    table.uuid('published_by')
  })
  await knex('model_runs')
    .where({ status: 'succeeded' })
    .update({ published: true, published_at: knex.ref('finished_at') })
  await knex.schema.alterTable('model_runs', (table) => {
    table.index(['horizon_quarters', 'published', 'published_at'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('model_runs', (table) => {
    table.dropIndex(['horizon_quarters', 'published', 'published_at'])
    table.dropColumn('published_by')
    table.dropColumn('published_at')
    table.dropColumn('published')
    table.dropColumn('publish_on_success')
  })
}

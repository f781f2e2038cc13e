import type { Knex } from 'knex'

// Issue 15: the data version (what cached answers are keyed by) was max(snapshots.id), which an
// upload that started first but committed last left unchanged (its ids are the lower ones). It is
// now a counter each upload that changed data moves in its own transaction. It starts at the old
// version, so no answer stored under an earlier version can match a later one.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('data_version', (table) => {
    table.smallint('id').primary()
    table.bigInteger('version').notNullable()
    table.check('?? = 1', ['id'], 'data_version_one_row')
  })
  await knex.raw(
    'INSERT INTO data_version (id, version) SELECT 1, COALESCE(max(id), 0) FROM snapshots',
  )
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('data_version')
}

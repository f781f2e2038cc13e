import type { Knex } from 'knex'

// Issue 14: a viewer's risks are the run's model applied to the rounded table, so a run keeps
// what that needs: the coefficients' covariance (for the delta-method interval) and the time its
// input was read (the snapshots valid then are the table it was fitted on).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.alterTable('model_runs', (table) => {
    table.jsonb('covariance')
    table.timestamp('input_at', { useTz: true })
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.alterTable('model_runs', (table) => {
    table.dropColumn('input_at')
    table.dropColumn('covariance')
  })
}

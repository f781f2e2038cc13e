import type { Knex } from 'knex'

// Risk-model runs and their per neighbourhood-quarter scores (DESIGN.md §3 risk rows).
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('model_runs', (table) => {
    table.uuid('id').primary()
    table.string('status', 16).notNullable()
    table.double('progress').notNullable().defaultTo(0)
    table.integer('horizon_quarters').notNullable()
    table.string('from_period', 6)
    table.string('to_period', 6)
    table.uuid('requested_by')
    table.string('backend', 16)
    table.integer('n_rows')
    table.integer('n_excluded')
    table.integer('iterations')
    table.boolean('converged')
    table.double('deviance')
    table.double('null_deviance')
    table.double('aic')
    table.jsonb('coefficients')
    table.jsonb('quality')
    table.string('data_from', 6)
    table.string('data_to', 6)
    table.integer('fit_ms')
    table.jsonb('error')
    table.boolean('scores_kept').notNullable().defaultTo(false)
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    table.timestamp('started_at', { useTz: true })
    table.timestamp('finished_at', { useTz: true })
    table.index(['status', 'created_at'])
    table.index(['horizon_quarters', 'status', 'finished_at'])
  })
  await knex.raw(
    `ALTER TABLE model_runs ADD CONSTRAINT model_runs_status_check CHECK (status IN ('queued', 'running', 'succeeded', 'failed'))`,
  )
  await knex.schema.createTable('risk_scores', (table) => {
    table.uuid('run_id').notNullable()
    table.string('area_code', 10).notNullable()
    table.string('municipality_code', 6).notNullable()
    table.string('period', 6).notNullable()
    table.string('target_period', 6).notNullable()
    table.integer('youth_population').notNullable()
    table.double('risk').notNullable()
    table.double('risk_ci_low').notNullable()
    table.double('risk_ci_high').notNullable()
    table.double('expected')
    table.integer('observed')
    table.double('standardized_ratio')
    table.double('ratio_ci_low')
    table.double('ratio_ci_high')
    table.double('percentile').notNullable()
    table.integer('rank').notNullable()
    table.double('percentile_national').notNullable()
    table.integer('rank_national').notNullable()
    table.primary(['run_id', 'period', 'area_code'])
    table.index(['run_id', 'municipality_code', 'period'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('risk_scores')
  await knex.schema.dropTable('model_runs')
}

import type { Knex } from 'knex'

// Alerting (DESIGN.md §3 alert-rules, alerts, webhooks): rules, the alerts they raise (one open
// alert per rule and area, kept after it resolves), webhook endpoints, and the transactional
// outbox their events are written to in the same transaction as the alert, with a log of every
// delivery attempt. The outbox body is the exact text that is POSTed and signed, so a retry
// sends the same bytes and the same event id.
export async function up(knex: Knex): Promise<void> {
  await knex.schema.createTable('alert_rules', (table) => {
    table.uuid('id').primary()
    table.text('name').notNullable()
    table.string('kind', 32).notNullable()
    table.jsonb('params').notNullable()
    table.string('municipality', 6)
    table.uuid('created_by')
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    table.index(['municipality', 'created_at'])
  })
  await knex.raw(
    `ALTER TABLE alert_rules ADD CONSTRAINT alert_rules_kind_check CHECK (kind IN ('risk_percentile', 'yoy_rise', 'aberration', 'trend'))`,
  )
  await knex.schema.createTable('alerts', (table) => {
    table.uuid('id').primary()
    table.uuid('rule_id').notNullable().references('id').inTable('alert_rules').onDelete('CASCADE')
    table.string('kind', 32).notNullable()
    table.string('area_code', 10).notNullable()
    table.string('municipality_code', 6).notNullable()
    table.string('period', 6).notNullable()
    table.double('value')
    table.double('threshold')
    table.jsonb('facts').notNullable()
    table.text('explanation').notNullable()
    table.string('state', 16).notNullable()
    // Hysteresis: consecutive quarters the condition held (hit) or was clear, up to the latest.
    table.integer('hit_streak').notNullable().defaultTo(0)
    table.integer('clear_streak').notNullable().defaultTo(0)
    table.timestamp('first_fired_at', { useTz: true }).notNullable()
    table.timestamp('resolved_at', { useTz: true })
    table.timestamp('acknowledged_at', { useTz: true })
    table.uuid('acknowledged_by')
    table.timestamp('updated_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    table.index(['state', 'kind', 'municipality_code'])
    table.index(['area_code'])
  })
  await knex.raw(
    `ALTER TABLE alerts ADD CONSTRAINT alerts_state_check CHECK (state IN ('firing', 'acknowledged', 'resolved'))`,
  )
  // One open alert per rule and area.
  await knex.raw(
    `CREATE UNIQUE INDEX alerts_open_unique ON alerts (rule_id, area_code) WHERE state <> 'resolved'`,
  )
  await knex.schema.createTable('webhooks', (table) => {
    table.uuid('id').primary()
    table.text('url').notNullable()
    table.text('secret').notNullable()
    table.uuid('created_by')
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
  })
  await knex.schema.createTable('webhook_outbox', (table) => {
    table.uuid('event_id').notNullable()
    table.uuid('webhook_id').notNullable().references('id').inTable('webhooks').onDelete('CASCADE')
    table.string('event_type', 32).notNullable()
    table.text('body').notNullable()
    table.integer('attempts').notNullable().defaultTo(0)
    table.timestamp('next_attempt_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    table.timestamp('delivered_at', { useTz: true })
    table.text('last_error')
    table.timestamp('created_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    table.primary(['event_id', 'webhook_id'])
  })
  await knex.raw(
    'CREATE INDEX webhook_outbox_due ON webhook_outbox (next_attempt_at) WHERE delivered_at IS NULL',
  )
  await knex.schema.createTable('webhook_deliveries', (table) => {
    table.bigIncrements('id').primary()
    table.uuid('event_id').notNullable()
    table.uuid('webhook_id').notNullable().references('id').inTable('webhooks').onDelete('CASCADE')
    table.integer('attempt').notNullable()
    table.timestamp('attempted_at', { useTz: true }).notNullable().defaultTo(knex.fn.now())
    table.integer('status_code')
    table.boolean('delivered').notNullable()
    table.text('error')
    table.integer('duration_ms').notNullable()
    table.index(['webhook_id', 'event_id'])
  })
}

export async function down(knex: Knex): Promise<void> {
  await knex.schema.dropTable('webhook_deliveries')
  await knex.schema.dropTable('webhook_outbox')
  await knex.schema.dropTable('webhooks')
  await knex.schema.dropTable('alerts')
  await knex.schema.dropTable('alert_rules')
}

import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import type { Knex } from 'knex'
import { isWebhookFailure, type WebhookFailure } from '../../monitors/webhook-delivery.js'

export interface WebhookRow {
  id: string
  url: string
  secret: string
  created_by: string | null
  created_at: Date
}

export interface OutboxEvent {
  event_id: string
  webhook_id: string
  event_type: string
  body: string
}

/** An event claimed for delivery, with where to send it. */
export interface ClaimedEvent extends OutboxEvent {
  attempts: number
  url: string
  secret: string
}

export interface DeliveryRow {
  id: number
  event_id: string
  webhook_id: string
  attempt: number
  attempted_at: Date
  status_code: number | null
  delivered: boolean
  /** the failure class (`connection_failed`, …); older rows hold the raw error text */
  error: string | null
  /** stored for operators, never answered (the delivery log is no timing oracle) */
  duration_ms: number
}

/** One attempt as the delivery log shows it: the failure class, no raw error, no duration. */
export interface DeliveryEntry {
  event_id: string
  attempt: number
  attempted_at: Date
  status_code: number | null
  delivered: boolean
  failure: WebhookFailure | null
}

/**
 * The failure class of a stored attempt. Attempts are recorded with the class name in `error`;
 * rows written before the classes existed hold a raw error text (`HTTP 500`, `ECONNREFUSED`,
 * `ETIMEDOUT`), classed here so no raw socket error is ever answered.
 */
export function failureOf(
  row: Pick<DeliveryRow, 'delivered' | 'status_code' | 'error'>,
): WebhookFailure | null {
  if (row.delivered) return null
  if (isWebhookFailure(row.error)) return row.error
  if (row.status_code !== null) return 'http_status'
  const error = row.error ?? ''
  if (/ENOTFOUND|EAI_AGAIN|EAI_NONAME/.test(error)) return 'dns_failed'
  if (/timeout|timed out|ETIMEDOUT|aborted/i.test(error)) return 'timeout'
  if (/CERT|TLS|SSL|EPROTO/.test(error)) return 'tls_failed'
  return 'connection_failed'
}

export function createWebhooksRepository(knex: Knex) {
  return {
    async insert(
      webhook: Omit<WebhookRow, 'created_at'>,
      trx: Knex | Knex.Transaction = knex,
    ): Promise<void> {
      await trx('webhooks').insert(webhook)
    },

    async list(
      page: { limit: number; offset: number },
      trx: Knex | Knex.Transaction = knex,
    ): Promise<{ items: WebhookRow[]; total: number }> {
      const [{ total }] = await trx('webhooks').count<{ total: number }[]>({ total: '*' })
      const items = (await trx('webhooks')
        .select('*')
        .orderBy('created_at')
        .orderBy('id')
        .limit(page.limit)
        .offset(page.offset)) as WebhookRow[]
      return { items, total: Number(total) }
    },

    async all(trx: Knex | Knex.Transaction = knex): Promise<WebhookRow[]> {
      return (await trx('webhooks').select('*').orderBy('created_at')) as WebhookRow[]
    },

    async exists(id: string, trx: Knex | Knex.Transaction = knex): Promise<boolean> {
      return (await trx('webhooks').where({ id }).first('id')) !== undefined
    },

    /** Removes the endpoint with its pending events and delivery log. */
    async delete(id: string, trx: Knex | Knex.Transaction = knex): Promise<boolean> {
      return (await trx('webhooks').where({ id }).delete().returning('id')).length > 0
    },

    /**
     * Writes events into the outbox; the caller's transaction also writes the alerts. One
     * statement per 1000 events (a JSON recordset), not one bound parameter per value.
     */
    async enqueue(events: readonly OutboxEvent[], trx: Knex.Transaction): Promise<void> {
      for (let start = 0; start < events.length; start += 1000) {
        await trx.raw(
          `INSERT INTO webhook_outbox (event_id, webhook_id, event_type, body)
           SELECT v.event_id, v.webhook_id, v.event_type, v.body
           FROM jsonb_to_recordset(?::jsonb) AS v(event_id uuid, webhook_id uuid,
             event_type text, body text)`,
          [JSON.stringify(events.slice(start, start + 1000))],
        )
      }
    },

    /**
     * Claims up to `limit` due events: one short transaction takes the rows with
     * `FOR UPDATE SKIP LOCKED` (another instance claiming at the same moment skips them), counts
     * the attempt and pushes `next_attempt_at` a lease ahead, so no other instance takes them
     * while this one is POSTing. The POST then happens outside any transaction (on the embedded
     * engine a transaction holds the only connection).
     */
    async claimDue(limit: number, leaseMs: number): Promise<ClaimedEvent[]> {
      return knex.transaction(async (trx) => {
        const result = await trx.raw(
          `UPDATE webhook_outbox o
           SET attempts = o.attempts + 1,
               next_attempt_at = now() + make_interval(secs => ?::double precision / 1000)
           FROM (
             SELECT event_id, webhook_id FROM webhook_outbox
             WHERE delivered_at IS NULL AND next_attempt_at <= now()
             ORDER BY next_attempt_at, created_at
             LIMIT ?
             FOR UPDATE SKIP LOCKED
           ) due, webhooks w
           WHERE o.event_id = due.event_id AND o.webhook_id = due.webhook_id AND w.id = o.webhook_id
           RETURNING o.event_id, o.webhook_id, o.event_type, o.body, o.attempts, w.url, w.secret`,
          [leaseMs, limit],
        )
        return (result as { rows: ClaimedEvent[] }).rows
      })
    },

    /**
     * Records an attempt: delivered, or the time of the next one. A failure is stored as its
     * class name (`error` of the log, `last_error` of the outbox), never as a raw error text.
     */
    async recordAttempt(
      event: ClaimedEvent,
      outcome: {
        delivered: boolean
        statusCode: number | null
        failure: WebhookFailure | null
        durationMs: number
        retryInMs: number
      },
    ): Promise<void> {
      await knex.transaction(async (trx) => {
        const key = { event_id: event.event_id, webhook_id: event.webhook_id }
        if (outcome.delivered) {
          await trx('webhook_outbox')
            .where(key)
            .update({ delivered_at: trx.fn.now(), last_error: null })
        } else {
          await trx('webhook_outbox')
            .where(key)
            .update({
              last_error: outcome.failure,
              next_attempt_at: trx.raw(
                `now() + make_interval(secs => ?::double precision / 1000)`,
                [outcome.retryInMs],
              ),
            })
        }
        await trx('webhook_deliveries').insert({
          ...key,
          attempt: event.attempts,
          status_code: outcome.statusCode,
          delivered: outcome.delivered,
          error: outcome.delivered ? null : outcome.failure,
          duration_ms: outcome.durationMs,
        })
      })
    },

    /** Milliseconds until the next undelivered event is due (0 when overdue), or null. */
    async nextDueInMs(trx: Knex | Knex.Transaction = knex): Promise<number | null> {
      // not GREATEST(0, …) in SQL: PostgreSQL's GREATEST skips NULL, so "nothing pending" came
      // back as 0 and the idle worker polled every few milliseconds
      const result = await trx.raw(
        `SELECT EXTRACT(EPOCH FROM (min(next_attempt_at) - now())) * 1000 AS ms
         FROM webhook_outbox WHERE delivered_at IS NULL`,
      )
      const value = (result as { rows: Array<{ ms: number | string | null }> }).rows[0]?.ms
      return value === null || value === undefined ? null : Math.max(0, Number(value))
    },

    /** An endpoint's attempts, newest first, each with its failure class. */
    async deliveries(
      webhookId: string,
      page: { event_id?: string; limit: number; offset: number },
      trx: Knex | Knex.Transaction = knex,
    ): Promise<{ items: DeliveryEntry[]; total: number }> {
      const query = trx('webhook_deliveries').where({ webhook_id: webhookId })
      if (page.event_id) query.where({ event_id: page.event_id })
      const [{ total }] = await query.clone().count<{ total: number }[]>({ total: '*' })
      const rows = (await query
        .select('event_id', 'attempt', 'attempted_at', 'status_code', 'delivered', 'error')
        .orderBy('id', 'desc')
        .limit(page.limit)
        .offset(page.offset)) as Array<Omit<DeliveryRow, 'id' | 'webhook_id' | 'duration_ms'>>
      const items = rows.map((row) => ({
        event_id: row.event_id,
        attempt: row.attempt,
        attempted_at: row.attempted_at,
        status_code: row.status_code,
        delivered: row.delivered,
        failure: failureOf(row),
      }))
      return { items, total: Number(total) }
    },
  }
}

export type WebhooksRepository = ReturnType<typeof createWebhooksRepository>

declare module 'fastify' {
  interface FastifyInstance {
    webhooksRepository: WebhooksRepository
  }
}

export default fp(
  async function webhooksRepository(fastify: FastifyInstance) {
    fastify.decorate('webhooksRepository', createWebhooksRepository(fastify.knex))
  },
  { name: 'webhooks-repository', dependencies: ['db'] },
)

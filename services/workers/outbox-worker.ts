import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import {
  createHttpTransport,
  deliverWebhookEvent,
  deliveryTimeoutMs,
  retryDelayMs,
  type TargetCheck,
  type WebhookTransport,
} from '../../monitors/webhook-delivery.js'
import {
  vetWebhookTarget,
  WebhookTargetRefusal,
  type HostLookup,
} from '../domain/webhook-target.js'
import { serialWorker } from './serial-worker.js'

declare module 'fastify' {
  interface FastifyInstance {
    outboxWorker: {
      /** Looks for due events now (after an evaluation wrote some). */
      kick(): void
      /** Resolves when this instance is not delivering. */
      idle(): Promise<void>
    }
  }
}

export interface OutboxWorkerOptions {
  /** How events are sent; a vetted HTTP POST by default (tests may pass another). */
  transport?: WebhookTransport
  /** DNS resolution for the default transport's target check; the system resolver by default */
  lookup?: HostLookup
}

/** Events claimed per round trip. */
const batchSize = 20
/** A claimed event is not taken by another instance for this long (longer than one POST). */
const leaseMs = deliveryTimeoutMs * 3
/** The longest sleep between looks at the outbox (events written by other instances). */
const maxPollMs = 2000

/**
 * Drains the webhook outbox: claims due events (`FOR UPDATE SKIP LOCKED` and a lease, see
 * `webhooksRepository.claimDue`), POSTs each alone with its signature, and records every attempt
 * in the delivery log; a failure is retried with exponential backoff and jitter from
 * AANWAS_WEBHOOK_RETRY_MS up to 10 minutes apart, without limit, so a receiver that was down
 * for an hour gets everything afterwards. Several instances drain one outbox without sending an
 * event twice. Sleeps until the next event is due, at most 2 s.
 *
 * Before every attempt the target is vetted again (services/domain/webhook-target.ts: public
 * addresses only unless AANWAS_WEBHOOK_ALLOW_PRIVATE, resolved now), and the POST connects only
 * to the addresses vetted; a refused target is a failed attempt of class `address_refused`,
 * retried like any other, and never connected to.
 */
export default fp(
  async function outboxWorker(fastify: FastifyInstance, options: OutboxWorkerOptions) {
    const { webhooksRepository, config } = fastify
    const checkTarget: TargetCheck = async (url) => {
      try {
        const vetted = await vetWebhookTarget(url, {
          allowPrivate: config.webhookAllowPrivate,
          lookup: options.lookup,
        })
        return { addresses: vetted.addresses }
      } catch (error) {
        if (!(error instanceof WebhookTargetRefusal)) throw error
        // The reason (with the address) goes to the operator's log, not to the delivery log.
        fastify.log.warn({ host: url.host, reason: error.reason }, error.message)
        return { failure: error.reason === 'unresolved' ? 'dns_failed' : 'address_refused' }
      }
    }
    const transport = options.transport ?? createHttpTransport(checkTarget)
    let timer: NodeJS.Timeout | undefined

    async function drain(): Promise<void> {
      while (!worker.closing) {
        // A single-table look first: idle instances never take locks across the outbox tables.
        if ((await webhooksRepository.nextDueInMs()) !== 0) break
        const events = await webhooksRepository.claimDue(batchSize, leaseMs)
        if (events.length === 0) break
        await Promise.all(
          events.map(async (event) => {
            const outcome = await deliverWebhookEvent(transport, event)
            await webhooksRepository.recordAttempt(event, {
              ...outcome,
              retryInMs: retryDelayMs(event.attempts, config.webhookRetryMs, Math.random()),
            })
            if (!outcome.delivered) {
              fastify.log.warn(
                { event: event.event_id, webhook: event.webhook_id, failure: outcome.failure },
                'webhook delivery failed; will retry',
              )
            }
          }),
        )
      }
    }

    function sleep(ms: number): void {
      clearTimeout(timer)
      if (worker.closing) return
      timer = setTimeout(() => worker.kick(), ms)
      timer.unref()
    }

    /** Delivers what is due, then sleeps until the next event is due (at most 2 s). */
    async function cycle(): Promise<void> {
      clearTimeout(timer)
      try {
        await drain()
        const due = await webhooksRepository.nextDueInMs()
        sleep(due === null ? maxPollMs : Math.min(maxPollMs, Math.max(5, due)))
      } catch (error) {
        fastify.log.error({ err: error }, 'webhook outbox worker failed; retrying')
        sleep(maxPollMs)
      }
    }
    const worker = serialWorker(cycle, (error) =>
      fastify.log.error({ err: error }, 'webhook outbox worker failed'),
    )

    fastify.decorate('outboxWorker', { kick: worker.kick, idle: worker.idle })
    fastify.addHook('onReady', async () => worker.kick())
    fastify.addHook('onClose', async () => {
      clearTimeout(timer)
      await worker.close()
      clearTimeout(timer)
    })
  },
  { name: 'outbox-worker', dependencies: ['config', 'db', 'webhooks-repository'] },
)

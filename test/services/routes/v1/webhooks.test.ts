import { randomUUID } from 'node:crypto'
import Fastify, { type FastifyInstance } from 'fastify'
import t from 'tap'
import { buildTestApp, engines, freshDatabaseConfig, testConfig } from '../../../helper.js'
import { startWebhookReceiver, waitFor } from '../../../support/webhook-receiver.js'
import config from '../../../../services/plugins/config.js'
import db from '../../../../services/plugins/db.js'
import webhooksRepository from '../../../../services/repositories/webhooks-repository.js'
import outboxWorker from '../../../../services/workers/outbox-worker.js'
import type { HostLookup } from '../../../../services/domain/webhook-target.js'

/**
 * Webhook targets (issue 14, finding 9: SSRF): only public addresses are registered and
 * delivered to, and the delivery log shows a failure class instead of timings and socket errors.
 */

const secret = 'a-webhook-secret-of-some-length'

/** Puts one event for the webhook into the outbox and wakes the worker. */
async function enqueueEvent(app: FastifyInstance, webhookId: string): Promise<string> {
  const eventId = randomUUID()
  await app.knex.transaction((trx) =>
    app.webhooksRepository.enqueue(
      [{ event_id: eventId, webhook_id: webhookId, event_type: 'alert.firing', body: '{}' }],
      trx,
    ),
  )
  app.outboxWorker.kick()
  return eventId
}

/** Stores a webhook without the route's check, as one registered while its name was public. */
async function storedWebhook(app: FastifyInstance, url: string): Promise<string> {
  const id = randomUUID()
  await app.webhooksRepository.insert({ id, url, secret, created_by: null })
  return id
}

async function attemptsOf(app: FastifyInstance, webhookId: string) {
  return (await app.webhooksRepository.deliveries(webhookId, { limit: 100, offset: 0 })).items
}

for (const engine of engines) {
  t.test(engine, async (t) => {
    t.test('POST /v1/webhooks', async (t) => {
      const { app, admin } = await buildTestApp(t, engine, { webhookAllowPrivate: false })
      const register = (url: string) =>
        app.inject({
          method: 'POST',
          url: '/v1/webhooks',
          headers: admin,
          payload: { url, secret },
        })

      t.test(
        'when a target of the finding is registered, then 400 names the rule and nothing is stored',
        async (t) => {
          const cases: Array<[string, RegExp]> = [
            ['http://127.0.0.1/hook', /resolves to 127\.0\.0\.1, a loopback address/],
            ['http://[::1]/hook', /resolves to ::1, a loopback address/],
            ['http://2130706433/hook', /resolves to 127\.0\.0\.1, a loopback address/],
            ['http://0x7f000001/hook', /resolves to 127\.0\.0\.1, a loopback address/],
            ['http://10.0.0.1/hook', /resolves to 10\.0\.0\.1, a private address/],
            ['http://169.254.169.254/latest/meta-data/', /a cloud metadata address/],
            ['http://metadata.google.internal/computeMetadata/v1/', /a cloud metadata service/],
            [`http://127.0.0.1:${app.config.port}/v1/keys`, /a loopback address/],
            ['http://[::ffff:127.0.0.1]/hook', /a loopback address \(carrying IPv4 127\.0\.0\.1\)/],
          ]
          for (const [url, message] of cases) {
            const response = await register(url)
            t.equal(response.statusCode, 400, url)
            t.equal(response.json().error.code, 'bad_request', url)
            t.match(response.json().error.message, message, url)
            t.match(response.json().error.message, /webhook targets must be public addresses$/, url)
          }
          const listed = await app.inject({ method: 'GET', url: '/v1/webhooks', headers: admin })
          t.equal(listed.json().total, 0)
        },
      )

      t.test('when a name resolves to loopback, then it is refused after resolution', async (t) => {
        // localhost comes from the hosts file, not from the network
        const response = await register('http://localhost:9/hook')
        t.equal(response.statusCode, 400)
        t.match(response.json().error.message, /host localhost resolves to .*a loopback address/)
      })

      t.test('when the URL carries credentials, then 400 names the rule', async (t) => {
        const response = await register('https://user:pass@93.184.216.34/hook')
        t.equal(response.statusCode, 400)
        t.match(response.json().error, {
          code: 'bad_request',
          message: /must not carry credentials/,
        })
      })
    })

    t.test('POST /v1/webhooks with AANWAS_WEBHOOK_ALLOW_PRIVATE', async (t) => {
      const { app, admin } = await buildTestApp(t, engine)
      t.test(
        'when private targets are allowed, then loopback registers but credentials still do not',
        async (t) => {
          const register = (url: string) =>
            app.inject({
              method: 'POST',
              url: '/v1/webhooks',
              headers: admin,
              payload: { url, secret },
            })
          t.equal((await register('http://127.0.0.1:9/hook')).statusCode, 201)
          t.equal((await register('http://user:pass@127.0.0.1:9/hook')).statusCode, 400)
          t.equal((await register('http://169.254.169.254/')).statusCode, 400)
        },
      )
    })

    t.test('GET /v1/webhooks/:id/deliveries', async (t) => {
      t.test(
        'when a stored target is no longer public at delivery, then the attempt is address_refused and nothing is connected',
        async (t) => {
          const { app, admin } = await buildTestApp(t, engine, {
            webhookAllowPrivate: false,
            webhookRetryMs: 20,
          })
          const receiver = await startWebhookReceiver(secret)
          t.teardown(() => receiver.close())
          const port = new URL(receiver.url).port
          for (const url of [receiver.url, `http://localhost:${port}/hook`]) {
            const webhookId = await storedWebhook(app, url)
            const eventId = await enqueueEvent(app, webhookId)
            await waitFor(async () => (await attemptsOf(app, webhookId)).length >= 2, 20_000, url)
            const log = await app.inject({
              method: 'GET',
              url: `/v1/webhooks/${webhookId}/deliveries?event_id=${eventId}`,
              headers: admin,
            })
            t.equal(log.statusCode, 200)
            const attempts = log.json().items as Array<Record<string, unknown>>
            t.ok(attempts.length >= 2, 'retried with backoff')
            for (const attempt of attempts) {
              t.same(Object.keys(attempt).sort(), [
                'attempt',
                'attempted_at',
                'delivered',
                'error',
                'event_id',
                'failure',
                'status_code',
              ])
              t.match(attempt, {
                delivered: false,
                status_code: null,
                failure: 'address_refused',
                error: 'target address refused: webhook targets must be public addresses',
              })
            }
          }
          await app.outboxWorker.idle()
          t.equal(receiver.received.length, 0, 'the receiver was never connected to')
        },
      )

      t.test(
        'when attempts are delivered or answered non-2xx, then the log shows the class, the status and no duration',
        async (t) => {
          const { app, admin } = await buildTestApp(t, engine, { webhookRetryMs: 20 })
          const receiver = await startWebhookReceiver(secret, { failFirst: 1 })
          t.teardown(() => receiver.close())
          const created = await app.inject({
            method: 'POST',
            url: '/v1/webhooks',
            headers: admin,
            payload: { url: receiver.url, secret },
          })
          t.equal(created.statusCode, 201, created.body)
          const webhookId = created.json().id as string
          const eventId = await enqueueEvent(app, webhookId)
          await waitFor(() => receiver.delivered().size === 1, 20_000, 'delivery')
          await app.outboxWorker.idle()
          const log = await app.inject({
            method: 'GET',
            url: `/v1/webhooks/${webhookId}/deliveries?event_id=${eventId}`,
            headers: admin,
          })
          t.same(
            log.json().items.map((attempt: Record<string, unknown>) => ({
              attempt: attempt.attempt,
              delivered: attempt.delivered,
              status_code: attempt.status_code,
              failure: attempt.failure,
              error: attempt.error,
              has_duration: 'duration_ms' in attempt,
            })),
            [
              {
                attempt: 2,
                delivered: true,
                status_code: 200,
                failure: null,
                error: null,
                has_duration: false,
              },
              {
                attempt: 1,
                delivered: false,
                status_code: 500,
                failure: 'http_status',
                error: 'the receiver answered with a status other than 2xx',
                has_duration: false,
              },
            ],
          )
          const stored = await app.knex('webhook_deliveries').where({ event_id: eventId })
          t.same(stored.map((row) => row.error).sort(), ['http_status', null].sort())
        },
      )

      t.test(
        'when an attempt was logged with a raw socket error, then only its class is shown',
        async (t) => {
          const { app, admin } = await buildTestApp(t, engine)
          const webhookId = await storedWebhook(app, 'http://127.0.0.1:9/hook')
          const eventId = randomUUID()
          const logged = (attempt: number, status_code: number | null, error: string) => ({
            event_id: eventId,
            webhook_id: webhookId,
            attempt,
            status_code,
            delivered: false,
            error,
            duration_ms: 12,
          })
          await app
            .knex('webhook_deliveries')
            .insert([
              logged(1, null, 'ECONNREFUSED'),
              logged(2, null, 'ETIMEDOUT'),
              logged(3, null, 'ENOTFOUND'),
              logged(4, 500, 'HTTP 500'),
            ])
          const log = await app.inject({
            method: 'GET',
            url: `/v1/webhooks/${webhookId}/deliveries`,
            headers: admin,
          })
          t.same(
            log.json().items.map((attempt: Record<string, unknown>) => attempt.failure),
            ['http_status', 'dns_failed', 'timeout', 'connection_failed'],
          )
          t.notMatch(log.body, /ECONNREFUSED|ETIMEDOUT|ENOTFOUND|duration_ms/)
        },
      )
    })

    t.test('outbox worker', async (t) => {
      t.test(
        'when a name resolves to a private address at delivery, then it is address_refused and never connected',
        async (t) => {
          const receiver = await startWebhookReceiver(secret)
          t.teardown(() => receiver.close())
          const asked: string[] = []
          // The rebinding answer: the name points at the receiver on loopback by now.
          const lookup: HostLookup = async (hostname) => {
            asked.push(hostname)
            return [{ address: '127.0.0.1', family: 4 }]
          }
          const app = Fastify({ logger: false })
          t.teardown(() => app.close())
          await app.register(config, {
            overrides: {
              ...testConfig,
              ...(await freshDatabaseConfig(t, engine)),
              webhookAllowPrivate: false,
              webhookRetryMs: 20,
            },
          })
          await app.register(db)
          await app.register(webhooksRepository)
          await app.register(outboxWorker, { lookup })
          await app.ready()
          const port = new URL(receiver.url).port
          const webhookId = await storedWebhook(app, `http://hooks.example.com:${port}/hook`)
          await enqueueEvent(app, webhookId)
          await waitFor(async () => (await attemptsOf(app, webhookId)).length >= 1, 20_000)
          await app.outboxWorker.idle()
          const [attempt] = await attemptsOf(app, webhookId)
          t.match(attempt, { delivered: false, status_code: null, failure: 'address_refused' })
          t.ok(asked.includes('hooks.example.com'), 'resolved at delivery')
          t.equal(receiver.received.length, 0, 'never connected')
        },
      )
    })
  })
}

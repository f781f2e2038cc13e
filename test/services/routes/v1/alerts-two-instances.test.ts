import t from 'tap'
import { buildTestApp, engines, freshPostgresUrl, testConfig } from '../../../helper.js'
import { buildServer } from '../../../../services/server.js'
import { csvOf } from '../../../support/snapshot-fixtures.js'
import { seededRandom, shapedRows } from '../../../support/alert-fixtures.js'
import { startWebhookReceiver, waitFor } from '../../../support/webhook-receiver.js'

// Two service instances on one PostgreSQL database drain one outbox (DESIGN.md §2): every event
// reaches the receiver exactly once. PostgreSQL only: the embedded engine belongs to one process.
t.test(
  'two instances, one outbox: no event is delivered twice',
  { skip: engines.includes('postgres') ? false : 'needs TEST_DATABASE_URL (PostgreSQL)' },
  async (t) => {
    const databaseUrl = await freshPostgresUrl(t)
    const overrides = { ...testConfig, databaseUrl, webhookRetryMs: 10 }
    const { app: first, admin } = await buildTestApp(t, 'postgres', {
      databaseUrl,
      webhookRetryMs: 10,
    })
    const second = await buildServer({ overrides, logger: false })
    t.teardown(() => second.close())
    const secret = 'two-instances-webhook-secret'
    // Slow answers and one failure per event widen the window in which both could grab one.
    const receiver = await startWebhookReceiver(secret, { failFirst: 1, delayMs: 30 })
    t.teardown(() => receiver.close())
    for (const url of [receiver.url, receiver.url.replace('/hook', '/second')]) {
      const created = await first.inject({
        method: 'POST',
        url: '/v1/webhooks',
        headers: admin,
        payload: { url, secret },
      })
      t.equal(created.statusCode, 201)
    }
    const rows = Array.from({ length: 40 }, (_, i) =>
      shapedRows(
        `BU0518${String(1 + Math.floor(i / 20)).padStart(2, '0')}${String(i % 20).padStart(2, '0')}`,
        'spike',
        seededRandom(300 + i),
      ),
    ).flat()
    const upload = await first.inject({
      method: 'POST',
      url: '/v1/snapshots',
      headers: { ...admin, 'content-type': 'text/csv' },
      payload: csvOf(rows),
    })
    t.equal(upload.statusCode, 201)
    await first.inject({
      method: 'POST',
      url: '/v1/alert-rules',
      headers: admin,
      payload: { name: 'spikes', kind: 'aberration' },
    })
    // Both instances evaluate (serialised by the advisory lock) and both drain the outbox.
    await Promise.all([first.alertEvaluator.evaluateNow(), second.alertEvaluator.evaluateNow()])
    first.outboxWorker.kick()
    second.outboxWorker.kick()
    const open = (
      await first.inject({ method: 'GET', url: '/v1/alerts?state=firing', headers: admin })
    ).json()
    t.ok(open.total >= 20, `${open.total} alerts firing`)
    const pending = async () =>
      Number((await first.knex('webhook_outbox').whereNull('delivered_at').count({ n: '*' }))[0].n)
    await waitFor(async () => (await pending()) === 0, 60_000, 'the outbox to drain')
    const events = Number((await first.knex('webhook_outbox').count({ n: '*' }))[0].n)
    t.equal(events, open.total * 2, 'one event per alert and webhook')
    const successes = receiver.received.filter((event) => event.status === 200)
    t.equal(successes.length, events, 'each event delivered once')
    const perEndpoint = new Map<string, number>()
    for (const event of successes) perEndpoint.set(event.id, (perEndpoint.get(event.id) ?? 0) + 1)
    t.ok(
      [...perEndpoint.values()].every((count) => count === 2),
      'each event id once per endpoint',
    )
    const attempts = Number((await first.knex('webhook_deliveries').count({ n: '*' }))[0].n)
    t.equal(attempts, receiver.received.length, 'the delivery log holds every attempt')
    t.ok(
      receiver.received.every((event) => event.signatureValid),
      'every signature verifies',
    )
  },
)

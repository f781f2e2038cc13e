import t from 'tap'
import { randomUUID } from 'node:crypto'
import type { Knex } from 'knex'
import { engines, freshDatabaseConfig, resetTables } from '../../helper.js'
import { databaseNow } from '../../support/repository-fixtures.js'
import { openDatabase } from '../../../services/db/open-database.js'
import {
  createWebhooksRepository,
  failureOf,
  type ClaimedEvent,
} from '../../../services/repositories/webhooks-repository.js'
import { webhookFailures } from '../../../monitors/webhook-delivery.js'

/**
 * The webhooks repository (services/repositories/webhooks-repository.ts) on each engine:
 * endpoints, the outbox (enqueue, claim with a lease and SKIP LOCKED, record attempts) and the
 * delivery log with failure classes.
 *
 * Unlike the other repository tests this one opens the database without the app: the app's
 * outbox worker looks at the outbox every two seconds and would claim the events written here.
 */

const secret = 'a-webhook-secret-of-some-length'

for (const engine of engines) {
  t.test(engine, async (t) => {
    const config = await freshDatabaseConfig(t, engine)
    const database = await openDatabase({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir!,
    })
    t.teardown(() => database.close())
    const knex: Knex = database.knex
    const repository = createWebhooksRepository(knex)
    t.beforeEach(() => resetTables(knex))

    /** An endpoint through the repository; answers its id. */
    const endpoint = async (url = 'https://example.org/hook') => {
      const id = randomUUID()
      await repository.insert({ id, url, secret, created_by: null })
      return id
    }

    /** Events for an endpoint in one transaction; answers their ids. */
    const enqueue = async (webhookId: string, count: number) => {
      const events = Array.from({ length: count }, (_, index) => ({
        event_id: randomUUID(),
        webhook_id: webhookId,
        event_type: 'alert.fired',
        body: JSON.stringify({ index }),
      }))
      await knex.transaction((trx) => repository.enqueue(events, trx))
      return events.map((event) => event.event_id)
    }

    const outbox = (eventId: string) => knex('webhook_outbox').where({ event_id: eventId }).first()

    const outcome = (overrides: Partial<Parameters<typeof repository.recordAttempt>[1]> = {}) => ({
      delivered: false,
      statusCode: null,
      failure: null,
      durationMs: 12,
      retryInMs: 60_000,
      ...overrides,
    })

    t.test('endpoints', async (t) => {
      t.test(
        'when endpoints are inserted, then they are listed oldest first with a total',
        async (t) => {
          const first = await endpoint('https://example.org/a')
          await knex('webhooks')
            .where({ id: first })
            .update({ created_at: new Date('2030-01-01T00:00:00Z') })
          const second = await endpoint('https://example.org/b')
          await knex('webhooks')
            .where({ id: second })
            .update({ created_at: new Date('2030-01-02T00:00:00Z') })

          const page = await repository.list({ limit: 1, offset: 1 })
          const all = await repository.all()

          t.same(
            page.items.map((row) => row.id),
            [second],
          )
          t.equal(page.total, 2)
          t.same(
            all.map((row) => [row.id, row.url, row.secret]),
            [
              [first, 'https://example.org/a', secret],
              [second, 'https://example.org/b', secret],
            ],
          )
          t.equal(await repository.exists(first), true)
          t.equal(await repository.exists(randomUUID()), false)
        },
      )

      t.test(
        'when an endpoint is deleted, then its pending events and delivery log go with it',
        async (t) => {
          const id = await endpoint()
          const kept = await endpoint()
          const [eventId] = await enqueue(id, 1)
          await enqueue(kept, 1)
          const [claimed] = (await repository.claimDue(10, 60_000)).filter(
            (event) => event.webhook_id === id,
          )
          await repository.recordAttempt(claimed, outcome({ failure: 'timeout' }))

          const deleted = await repository.delete(id)
          const again = await repository.delete(id)

          t.same([deleted, again], [true, false])
          t.equal(await outbox(eventId), undefined)
          const [{ n }] = await knex('webhook_deliveries').count<{ n: number }[]>({ n: '*' })
          t.equal(Number(n), 0)
          const [{ left }] = await knex('webhook_outbox').count<{ left: number }[]>({ left: '*' })
          t.equal(Number(left), 1, 'the other endpoint’s event stays')
        },
      )
    })

    t.test('enqueue and claimDue', async (t) => {
      t.test(
        'when due events are claimed, then they come with where to send them, counted, and leased',
        async (t) => {
          const id = await endpoint()
          const ids = await enqueue(id, 3)
          const before = await databaseNow(knex)

          const claimed = await repository.claimDue(10, 60_000)
          const again = await repository.claimDue(10, 60_000)

          t.same(claimed.map((event) => event.event_id).sort(), [...ids].sort())
          t.match(claimed[0], {
            webhook_id: id,
            event_type: 'alert.fired',
            attempts: 1,
            url: 'https://example.org/hook',
            secret,
          })
          t.same(again, [], 'a leased event is not claimed again')
          const stored = await outbox(ids[0])
          t.equal(stored.attempts, 1)
          t.ok(
            stored.next_attempt_at.getTime() >= before.getTime() + 59_000,
            'next_attempt_at pushed a lease ahead',
          )
          t.equal(stored.delivered_at, null)
        },
      )

      t.test('when more are due than the limit, then the limit is claimed', async (t) => {
        const id = await endpoint()
        await enqueue(id, 5)

        const first = await repository.claimDue(2, 60_000)
        const rest = await repository.claimDue(10, 60_000)

        t.equal(first.length, 2)
        t.equal(rest.length, 3)
        t.same(
          new Set([...first, ...rest].map((event) => event.event_id)).size,
          5,
          'no event twice',
        )
      })

      t.test('when more events come than one statement takes, then all are enqueued', async (t) => {
        const id = await endpoint()

        await enqueue(id, 1200)

        const [{ n }] = await knex('webhook_outbox').count<{ n: number }[]>({ n: '*' })
        t.equal(Number(n), 1200)
      })

      t.test(
        'when a lease has run out, then the event is claimed again with its attempts counted',
        async (t) => {
          const id = await endpoint()
          const [eventId] = await enqueue(id, 1)

          const [first] = await repository.claimDue(10, 0)
          const [second] = await repository.claimDue(10, 0)

          t.same([first.event_id, second.event_id], [eventId, eventId])
          t.same([first.attempts, second.attempts], [1, 2])
        },
      )

      t.test('when events are delivered or not yet due, then they are not claimed', async (t) => {
        const id = await endpoint()
        const [delivered, later] = await enqueue(id, 2)
        const [claimed] = (await repository.claimDue(10, 0)).filter(
          (event) => event.event_id === delivered,
        )
        await repository.recordAttempt(claimed, outcome({ delivered: true, statusCode: 204 }))
        await knex('webhook_outbox')
          .where({ event_id: later })
          .update({ next_attempt_at: knex.raw(`now() + interval '1 hour'`) })

        const due = await repository.claimDue(10, 0)

        t.same(due, [])
      })

      t.test(
        'when another connection holds an event, then the claim skips it and takes it once free',
        { skip: engine === 'postgres' ? false : 'one connection on the embedded engine' },
        async (t) => {
          const id = await endpoint()
          const [held, ...free] = await enqueue(id, 3)

          let whileHeld: ClaimedEvent[] = []
          await knex.transaction(async (trx) => {
            await trx('webhook_outbox').where({ event_id: held }).forUpdate().select('event_id')
            whileHeld = await repository.claimDue(10, 60_000)
          })
          const afterwards = await repository.claimDue(10, 60_000)

          t.same(whileHeld.map((event) => event.event_id).sort(), [...free].sort())
          t.same(
            afterwards.map((event) => event.event_id),
            [held],
          )
        },
      )

      t.test(
        'when two connections claim at once, then no event is claimed by both',
        { skip: engine === 'postgres' ? false : 'one connection on the embedded engine' },
        async (t) => {
          const id = await endpoint()
          const ids = await enqueue(id, 40)

          const [first, second] = await Promise.all([
            repository.claimDue(25, 60_000),
            repository.claimDue(25, 60_000),
          ])

          const claimed = [...first, ...second].map((event) => event.event_id)
          t.equal(new Set(claimed).size, claimed.length, 'disjoint')
          t.same([...claimed].sort(), [...ids].sort(), 'every event once')
        },
      )
    })

    t.test('recordAttempt and nextDueInMs', async (t) => {
      t.test(
        'when nothing is pending or every event is delivered, then nothing is due (null)',
        async (t) => {
          const empty = await repository.nextDueInMs()
          const id = await endpoint()
          await enqueue(id, 1)
          const [event] = await repository.claimDue(10, 0)
          await repository.recordAttempt(event, outcome({ delivered: true, statusCode: 200 }))

          const allDelivered = await repository.nextDueInMs()

          t.equal(empty, null)
          t.equal(allDelivered, null)
        },
      )

      t.test('when an event is overdue, then it is due now', async (t) => {
        const id = await endpoint()
        const [eventId] = await enqueue(id, 1)
        await knex('webhook_outbox')
          .where({ event_id: eventId })
          .update({ next_attempt_at: knex.raw(`now() - interval '1 minute'`) })

        t.equal(await repository.nextDueInMs(), 0)
      })

      t.test(
        'when an attempt is delivered, then the event is done and the log holds it without an error',
        async (t) => {
          const id = await endpoint()
          const [eventId] = await enqueue(id, 1)
          const [event] = await repository.claimDue(10, 60_000)

          await repository.recordAttempt(
            event,
            outcome({ delivered: true, statusCode: 200, durationMs: 34 }),
          )

          const stored = await outbox(eventId)
          t.ok(stored.delivered_at instanceof Date)
          t.equal(stored.last_error, null)
          const log = await knex('webhook_deliveries').where({ event_id: eventId })
          t.match(log, [
            {
              webhook_id: id,
              attempt: 1,
              status_code: 200,
              delivered: true,
              error: null,
              duration_ms: 34,
            },
          ])
        },
      )

      t.test(
        'when attempts fail, then each failure class is stored as such and the event is due after the retry delay',
        async (t) => {
          const id = await endpoint()
          const eventIds = await enqueue(id, webhookFailures.length)
          const claimed = await repository.claimDue(10, 0)
          const byId = new Map(claimed.map((event) => [event.event_id, event]))

          for (const [index, failure] of webhookFailures.entries()) {
            await repository.recordAttempt(
              byId.get(eventIds[index])!,
              outcome({ failure, statusCode: failure === 'http_status' ? 503 : null }),
            )
          }

          const stored = await knex('webhook_outbox')
            .whereIn('event_id', eventIds)
            .select('event_id', 'last_error', 'delivered_at')
          t.same(
            eventIds.map((eventId) => stored.find((row) => row.event_id === eventId).last_error),
            [...webhookFailures],
          )
          t.ok(stored.every((row) => row.delivered_at === null))
          const log = await repository.deliveries(id, { limit: 20, offset: 0 })
          t.same(
            [...log.items].reverse().map((entry) => entry.failure),
            [...webhookFailures],
            'the log answers the class, newest first',
          )
          t.match(log.items[0], { attempt: 1, delivered: false, status_code: 503 })
          t.notOk('duration_ms' in log.items[0], 'no duration is answered')
          t.notOk('error' in log.items[0], 'no raw error field is answered')
          const due = await repository.nextDueInMs()
          t.ok(due !== null && due > 0 && due <= 60_000, `due in ${due} ms`)
        },
      )
    })

    t.test('deliveries', async (t) => {
      t.test(
        'when the log is paged or filtered by event, then the newest come first with the total',
        async (t) => {
          const id = await endpoint()
          const [first, second] = await enqueue(id, 2)
          for (let round = 0; round < 2; round += 1) {
            for (const event of await repository.claimDue(10, 0)) {
              await repository.recordAttempt(event, outcome({ failure: 'timeout', retryInMs: 0 }))
            }
          }

          const all = await repository.deliveries(id, { limit: 10, offset: 0 })
          const ofFirst = await repository.deliveries(id, {
            event_id: first,
            limit: 1,
            offset: 0,
          })
          const none = await repository.deliveries(randomUUID(), { limit: 10, offset: 0 })

          t.equal(all.total, 4)
          t.same(
            all.items.map((entry) => entry.attempt),
            [2, 2, 1, 1],
          )
          t.equal(ofFirst.total, 2)
          t.same(
            ofFirst.items.map((entry) => [entry.event_id, entry.attempt]),
            [[first, 2]],
          )
          t.not(first, second)
          t.same(none, { items: [], total: 0 })
        },
      )

      t.test(
        'when old rows hold a raw error text, then the log answers its class, never the text',
        async (t) => {
          const id = await endpoint()
          const [eventId] = await enqueue(id, 1)
          const legacy = [
            { status_code: 500, error: 'HTTP 500' },
            { status_code: null, error: 'getaddrinfo ENOTFOUND hooks.example.org' },
            { status_code: null, error: 'connect ETIMEDOUT 10.0.0.1:443' },
            { status_code: null, error: 'CERT_HAS_EXPIRED' },
            { status_code: null, error: 'connect ECONNREFUSED 127.0.0.1:9' },
            { status_code: null, error: null },
          ]
          await knex('webhook_deliveries').insert(
            legacy.map((row, index) => ({
              event_id: eventId,
              webhook_id: id,
              attempt: index + 1,
              delivered: false,
              duration_ms: 1,
              ...row,
            })),
          )

          const log = await repository.deliveries(id, { limit: 10, offset: 0 })

          t.same(
            [...log.items].reverse().map((entry) => entry.failure),
            [
              'http_status',
              'dns_failed',
              'timeout',
              'tls_failed',
              'connection_failed',
              'connection_failed',
            ],
          )
          t.notMatch(JSON.stringify(log), /ENOTFOUND|ECONNREFUSED|CERT_|10\.0\.0\.1/)
        },
      )
    })
  })
}

t.test('failureOf', async (t) => {
  t.test('when an attempt was delivered, then it has no failure whatever it holds', (t) => {
    t.equal(failureOf({ delivered: true, status_code: 200, error: 'timeout' }), null)
    t.end()
  })

  t.test('when a class name is stored, then it is the class even with a status', (t) => {
    t.equal(failureOf({ delivered: false, status_code: 502, error: 'tls_failed' }), 'tls_failed')
    t.end()
  })
})

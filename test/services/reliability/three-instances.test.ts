import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { freshPostgresUrl, testConfig } from '../../helper.js'
import { buildServer } from '../../../services/server.js'
import { csvOf, snapshotRow } from '../../support/snapshot-fixtures.js'
import { riskPanel } from '../../support/risk-fixtures.js'
import { seededRandom, shapedRows } from '../../support/alert-fixtures.js'
import { startWebhookReceiver, waitFor } from '../../support/webhook-receiver.js'

/**
 * Three service instances on one PostgreSQL database, as behind a load balancer (issue 10,
 * DESIGN.md §2): concurrent uploads end in a serial order, model runs never overlap, and each
 * webhook event is delivered once.
 */
t.test(
  'three instances on one database',
  { skip: !process.env.TEST_DATABASE_URL && 'TEST_DATABASE_URL is not set' },
  async (t) => {
    const databaseUrl = await freshPostgresUrl(t)
    const overrides = { ...testConfig, databaseUrl, webhookRetryMs: 10 }
    const instances: FastifyInstance[] = []
    for (let index = 0; index < 3; index += 1) {
      const instance = await buildServer({ overrides, logger: false })
      instances.push(instance)
    }
    t.teardown(() => Promise.all(instances.map((instance) => instance.close())))
    const headers = { authorization: `Bearer ${testConfig.adminKey}` }
    const [first] = instances
    const upload = (instance: FastifyInstance, body: string) =>
      instance.inject({
        method: 'POST',
        url: '/v1/snapshots',
        headers: { ...headers, 'content-type': 'text/csv' },
        payload: body,
      })

    t.test(
      'when each instance uploads a revision of the same areas at once, then the store equals a serial order',
      async (t) => {
        const areas = Array.from(
          { length: 100 },
          (_, index) => `BU0599${String(index).padStart(4, '0')}`,
        )
        const version = (suspects: number) =>
          csvOf(
            areas.map((code) => snapshotRow({ area_code: code, drug_offence_suspects: suspects })),
          )
        t.equal((await upload(first, version(1))).statusCode, 201)
        const answers = await Promise.all(
          instances.map((instance, index) => upload(instance, version(index + 2))),
        )
        t.same(
          answers.map((answer) => answer.statusCode),
          [201, 201, 201],
        )
        t.same(
          answers.map((answer) => answer.json().revised),
          [100, 100, 100],
          'each upload revised every row',
        )
        const current = await first
          .knex('snapshots')
          .where('area_code', 'like', 'BU0599%')
          .whereNull('valid_to')
          .select('drug_offence_suspects')
        t.equal(current.length, 100)
        t.equal(
          new Set(current.map((row) => row.drug_offence_suspects)).size,
          1,
          'all rows from the same last upload',
        )
        t.equal(
          Number(
            (
              await first.knex('snapshots').where('area_code', 'like', 'BU0599%').count({ n: '*' })
            )[0].n,
          ),
          400,
          'no revision lost',
        )
      },
    )

    t.test(
      'when every instance is asked for model runs at once, then they run one at a time',
      async (t) => {
        t.equal((await upload(first, csvOf(riskPanel({ years: 2 })))).statusCode, 201)
        await Promise.all(
          instances.flatMap((instance, index) =>
            [0, 1].map((step) =>
              instance.inject({
                method: 'POST',
                url: '/v1/risk-model/runs',
                headers,
                payload: { horizon_quarters: index * 2 + step },
              }),
            ),
          ),
        )
        await waitFor(
          async () =>
            Number(
              (
                await first
                  .knex('model_runs')
                  .whereIn('status', ['queued', 'running'])
                  .count({ n: '*' })
              )[0].n,
            ) === 0,
          120_000,
          'every run to finish',
        )
        const runs = await first.knex('model_runs').orderBy('started_at')
        t.equal(runs.length, 6)
        t.ok(
          runs.every((run) => run.status === 'succeeded'),
          runs.map((run) => run.status).join(','),
        )
        for (let index = 1; index < runs.length; index += 1) {
          t.ok(
            new Date(runs[index].started_at) >= new Date(runs[index - 1].finished_at),
            'no two runs overlap',
          )
        }
      },
    )

    t.test(
      'when all three evaluate alerts and drain the outbox, then each event is delivered once',
      async (t) => {
        const secret = 'three-instances-webhook-secret'
        const receiver = await startWebhookReceiver(secret, { failFirst: 1, delayMs: 20 })
        t.teardown(() => receiver.close())
        t.equal(
          (
            await first.inject({
              method: 'POST',
              url: '/v1/webhooks',
              headers,
              payload: { url: receiver.url, secret },
            })
          ).statusCode,
          201,
        )
        const rows = Array.from({ length: 30 }, (_, index) =>
          shapedRows(
            `BU0363${String(1 + Math.floor(index / 15)).padStart(2, '0')}${String(index % 15).padStart(2, '0')}`,
            'spike',
            seededRandom(700 + index),
          ),
        ).flat()
        t.equal((await upload(first, csvOf(rows))).statusCode, 201)
        await first.inject({
          method: 'POST',
          url: '/v1/alert-rules',
          headers,
          payload: { name: 'spikes', kind: 'aberration', municipality: 'GM0363' },
        })
        await Promise.all(instances.map((instance) => instance.alertEvaluator.evaluateNow()))
        for (const instance of instances) instance.outboxWorker.kick()
        await waitFor(
          async () =>
            Number(
              (await first.knex('webhook_outbox').whereNull('delivered_at').count({ n: '*' }))[0].n,
            ) === 0,
          60_000,
          'the outbox to drain',
        )
        const events = Number((await first.knex('webhook_outbox').count({ n: '*' }))[0].n)
        t.ok(events > 0, `${events} events`)
        const delivered = receiver.received.filter((event) => event.status === 200)
        t.equal(delivered.length, events, 'each event delivered once')
        t.equal(new Set(delivered.map((event) => event.id)).size, events, 'no event id twice')
        t.ok(
          receiver.received.every((event) => event.signatureValid),
          'every signature verifies',
        )
      },
    )
  },
)

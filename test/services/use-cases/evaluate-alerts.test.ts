import t from 'tap'
import { randomUUID } from 'node:crypto'
import type { FastifyInstance } from 'fastify'
import type { Knex } from 'knex'
import { buildTestApp, engines } from '../../helper.js'
import { seededRandom, shapedRows } from '../../support/alert-fixtures.js'
import type { SnapshotFixture } from '../../support/snapshot-fixtures.js'
import {
  deleteAlertRule,
  evaluateAlerts,
  eventBody,
  type EvaluateAlertsDependencies,
} from '../../../services/use-cases/evaluate-alerts.js'
import { uploadSnapshots } from '../../../services/use-cases/upload-snapshots.js'
import type { DataEvents } from '../../../services/use-cases/data-events.js'
import type { AlertRow } from '../../../services/repositories/alerts-repository.js'
import type { WebhooksRepository } from '../../../services/repositories/webhooks-repository.js'
import { defaultParams } from '../../../monitors/rules/rule-params.js'

/**
 * use-cases/evaluate-alerts.ts: read the rules, the open alerts and the panel, evaluate every
 * rule (monitors/rules), then write new, kept and resolved alerts and their webhook events in one
 * transaction (the transactional outbox); `deleteAlertRule` resolves a rule's open alerts with
 * their events in the transaction that deletes it. Called directly: the background evaluator is
 * never woken (the seed uploads emit into a silent event sink).
 */

const spikeArea = 'BU05180101'
const stableAreas = Array.from({ length: 8 }, (_, i) => `BU051801${String(i + 2).padStart(2, '0')}`)
const dataSet = (): SnapshotFixture[] => [
  ...shapedRows(spikeArea, 'spike', seededRandom(1)),
  ...stableAreas.flatMap((code, i) => shapedRows(code, 'stable', seededRandom(200 + i))),
]

const silentEvents: DataEvents = { emit: async () => undefined, on: () => undefined }

/** The knex instance with `transaction` refused: proves a path takes no lock or connection. */
function withoutTransactions(knex: Knex): Knex {
  return new Proxy(knex, {
    get(target, property, receiver) {
      if (property === 'transaction') {
        return () => {
          throw new Error('no transaction may be opened here')
        }
      }
      return Reflect.get(target, property, receiver)
    },
  })
}

t.test('eventBody', async (t) => {
  t.test(
    'when an alert changes, then the body is the event id, type, time and the alert resource',
    async (t) => {
      const at = new Date('2025-01-02T03:04:05.000Z')
      const alert: AlertRow = {
        id: 'a1',
        rule_id: 'r1',
        rule_name: 'spikes',
        kind: 'aberration',
        area_code: spikeArea,
        area_name: 'Centrum',
        municipality_code: 'GM0518',
        period: '2024Q4',
        value: 40,
        threshold: 20.5,
        facts: {} as AlertRow['facts'],
        explanation: 'why',
        state: 'firing',
        hit_streak: 1,
        clear_streak: 0,
        first_fired_at: at,
        resolved_at: null,
        acknowledged_at: null,
        acknowledged_by: null,
        updated_at: at,
      }
      t.same(JSON.parse(eventBody('e1', 'alert.firing', at, alert)), {
        id: 'e1',
        type: 'alert.firing',
        created_at: '2025-01-02T03:04:05.000Z',
        alert: {
          id: 'a1',
          rule_id: 'r1',
          rule_name: 'spikes',
          kind: 'aberration',
          area_code: spikeArea,
          area_name: 'Centrum',
          municipality: 'GM0518',
          period: '2024Q4',
          value: 40,
          threshold: 20.5,
          explanation: 'why',
          state: 'firing',
          consecutive_quarters: 1,
          clear_quarters: 0,
          first_fired_at: '2025-01-02T03:04:05.000Z',
          resolved_at: null,
          acknowledged_at: null,
          updated_at: '2025-01-02T03:04:05.000Z',
        },
      })
    },
  )
})

for (const engine of engines) {
  t.test(engine, async (t) => {
    const { app, reset } = await buildTestApp(t, engine)
    t.beforeEach(async () => {
      await app.alertEvaluator.idle()
      await reset()
    })
    const dependencies = (
      overrides: Partial<EvaluateAlertsDependencies> = {},
    ): EvaluateAlertsDependencies => ({
      knex: app.knex,
      engine: app.dbEngine,
      alertsRepository: app.alertsRepository,
      webhooksRepository: app.webhooksRepository,
      snapshotsRepository: app.snapshotsRepository,
      ...overrides,
    })
    const store = (rows: SnapshotFixture[]) =>
      uploadSnapshots(
        {
          knex: app.knex,
          snapshotsRepository: app.snapshotsRepository,
          areasRepository: app.areasRepository,
          dataEvents: silentEvents,
          limits: { bodyLimitBytes: 1 << 30, maxRows: 100_000 },
        },
        { format: 'json', body: rows },
        { keyId: null },
      )
    const addRule = async (clearQuarters = 2) => {
      const id = randomUUID()
      await app.alertsRepository.insertRule({
        id,
        name: 'spikes',
        kind: 'aberration',
        params: { ...defaultParams.aberration, clear_quarters: clearQuarters },
        municipality: null,
        created_by: null,
      })
      return id
    }
    const addWebhook = async () => {
      const id = randomUUID()
      await app.webhooksRepository.insert({
        id,
        url: 'http://127.0.0.1:9/hook',
        secret: 's'.repeat(32),
        created_by: null,
      })
      return id
    }
    const outbox = async () =>
      (await app
        .knex('webhook_outbox')
        .orderBy(['event_type', 'webhook_id'])
        .select('event_id', 'webhook_id', 'event_type', 'body')) as Array<{
        event_id: string
        webhook_id: string
        event_type: string
        body: string
      }>

    t.test('evaluateAlerts', async (t) => {
      t.test(
        'when there is no rule, then it answers an empty summary without opening a transaction',
        async (t) => {
          await store(dataSet())
          const summary = await evaluateAlerts(
            dependencies({ knex: withoutTransactions(app.knex) }),
          )
          t.match(summary, { rules: 0, areas: 0, fired: 0, resolved: 0, open: 0, events: 0 })
        },
      )

      t.test(
        'when a rule trips on one area, then one alert fires with its explanation and no event without webhooks',
        async (t) => {
          await store(dataSet())
          const ruleId = await addRule()
          const summary = await evaluateAlerts(dependencies())
          t.match(summary, { rules: 1, areas: 9, fired: 1, resolved: 0, open: 1, events: 0 })
          const alerts = await app.alertsRepository.openAlerts(undefined)
          t.equal(alerts.length, 1)
          t.match(alerts[0], {
            rule_id: ruleId,
            rule_name: 'spikes',
            kind: 'aberration',
            area_code: spikeArea,
            municipality_code: 'GM0518',
            period: '2024Q4',
            state: 'firing',
            hit_streak: 1,
            clear_streak: 0,
            explanation: /young suspects in 2024Q4/,
          })
          t.ok(alerts[0].value! > alerts[0].threshold!)
          t.same(await outbox(), [])
        },
      )

      t.test(
        'when webhooks exist, then each change is one event per webhook with the exact body stored',
        async (t) => {
          await store(dataSet())
          await addRule()
          const hooks = [await addWebhook(), await addWebhook()]
          const summary = await evaluateAlerts(dependencies())
          t.match(summary, { fired: 1, events: 2 })
          const events = await outbox()
          t.same(events.map((event) => event.webhook_id).sort(), [...hooks].sort())
          t.equal(events[0].event_id, events[1].event_id, 'one event id for both webhooks')
          t.equal(events[0].body, events[1].body, 'the same bytes for both webhooks')
          const body = JSON.parse(events[0].body)
          t.match(body, {
            id: events[0].event_id,
            type: 'alert.firing',
            alert: { area_code: spikeArea, state: 'firing', rule_name: 'spikes' },
          })
          const [alert] = await app.alertsRepository.openAlerts(undefined)
          t.equal(body.alert.id, alert.id)
        },
      )

      t.test(
        'when nothing changed, then evaluating again keeps the one open alert and fires nothing',
        async (t) => {
          await store(dataSet())
          await addRule()
          await addWebhook()
          await evaluateAlerts(dependencies())
          const [before] = await app.alertsRepository.openAlerts(undefined)
          const summary = await evaluateAlerts(dependencies())
          t.match(summary, { fired: 0, resolved: 0, open: 1, events: 0 })
          const after = await app.alertsRepository.openAlerts(undefined)
          t.equal(after.length, 1)
          t.equal(after[0].id, before.id)
          t.equal((await outbox()).length, 1, 'no second event')
        },
      )

      t.test(
        'when the spike is revised away, then the alert resolves with an alert.resolved event',
        async (t) => {
          const rows = dataSet()
          await store(rows)
          await addRule(1)
          await addWebhook()
          await evaluateAlerts(dependencies())
          const [alert] = await app.alertsRepository.openAlerts(undefined)
          const spike = rows.find((row) => row.area_code === spikeArea && row.period === '2024Q4')!
          await store([{ ...spike, drug_offence_suspects: 10 }])
          const summary = await evaluateAlerts(dependencies())
          t.match(summary, { fired: 0, resolved: 1, open: 0, events: 1 })
          t.match(await app.alertsRepository.findAlert(alert.id), {
            state: 'resolved',
            hit_streak: 0,
          })
          const resolved = (await outbox()).find((event) => event.event_type === 'alert.resolved')
          t.match(JSON.parse(resolved!.body), {
            type: 'alert.resolved',
            alert: { id: alert.id, state: 'resolved', resolved_at: /^\d{4}-/ },
          })
        },
      )

      t.test(
        'when writing the events fails, then no alert is stored either (one transaction)',
        async (t) => {
          await store(dataSet())
          await addRule()
          await addWebhook()
          const failing: WebhooksRepository = {
            ...app.webhooksRepository,
            enqueue: async () => {
              throw new Error('outbox unavailable')
            },
          }
          await t.rejects(evaluateAlerts(dependencies({ webhooksRepository: failing })), {
            message: 'outbox unavailable',
          })
          t.equal(await count(app, 'alerts'), 0)
          t.equal(await count(app, 'webhook_outbox'), 0)
        },
      )
    })

    t.test('deleteAlertRule', async (t) => {
      t.test(
        'when the rule has an open alert, then it is resolved with its event and the rule and its alerts are gone',
        async (t) => {
          await store(dataSet())
          const ruleId = await addRule()
          const hook = await addWebhook()
          await evaluateAlerts(dependencies())
          const [alert] = await app.alertsRepository.openAlerts(undefined)
          t.equal(await deleteAlertRule(dependencies(), ruleId), true)
          t.equal(await app.alertsRepository.findRule(ruleId), undefined)
          t.equal(await count(app, 'alerts'), 0)
          const resolved = (await outbox()).filter((event) => event.event_type === 'alert.resolved')
          t.equal(resolved.length, 1)
          t.equal(resolved[0].webhook_id, hook)
          t.match(JSON.parse(resolved[0].body), {
            type: 'alert.resolved',
            alert: { id: alert.id, state: 'resolved', resolved_at: /^\d{4}-/ },
          })
        },
      )

      t.test('when the rule does not exist, then false and no event', async (t) => {
        await addWebhook()
        t.equal(await deleteAlertRule(dependencies(), randomUUID()), false)
        t.same(await outbox(), [])
      })
    })
  })
}

async function count(app: FastifyInstance, table: string): Promise<number> {
  return Number((await app.knex(table).count({ n: '*' }))[0].n)
}

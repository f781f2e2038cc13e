import t from 'tap'
import { randomUUID } from 'node:crypto'
import pg from 'pg'
import { buildTestApp, engines } from '../../helper.js'
import { snapshotRow } from '../../support/snapshot-fixtures.js'
import { uploadRows } from '../../support/repository-fixtures.js'
import type { NewAlert } from '../../../services/repositories/alerts-repository.js'
import type { RiskScoreColumns } from '../../../services/repositories/risk-repository.js'
import type { AlertFacts } from '../../../monitors/rules/alert-input.js'
import { defaultParams, type AlertKind } from '../../../monitors/rules/rule-params.js'
import { baseColumn } from '../../../models/vocabulary/indicators.js'

/**
 * The alerts repository (services/repositories/alerts-repository.ts) on each engine: rules,
 * alerts (insert, update, resolve, acknowledge, list, counts) and the evaluation's risk input.
 * Areas come with an upload before any rule exists, so the alert evaluator that the upload wakes
 * finds no rule and writes nothing; rules and alerts are then written through the repository.
 */

const centrum = 'BU05180101'
const haven = 'BU05180102'
const elders = 'BU05990101'

const facts = (period: string, observed: number): AlertFacts => ({
  kind: 'aberration',
  period,
  observed,
  expected: 2,
  upperbound: 5,
  baseline_from: 0,
  baseline_to: 10,
  population: 200,
  predictor: null,
})

for (const engine of engines) {
  t.test(engine, async (t) => {
    const { app, admin, reset, config } = await buildTestApp(t, engine)
    const repository = app.alertsRepository
    t.beforeEach(async () => {
      await reset()
      await uploadRows(app, admin, [
        snapshotRow({ area_code: centrum, area_name: 'Centrum' }),
        snapshotRow({ area_code: haven, area_name: 'Haven' }),
        snapshotRow({ area_code: elders, area_name: 'Elders' }),
      ])
      await app.alertEvaluator.idle()
    })

    /** Inserts a rule through the repository. */
    const insertRule = (kind: AlertKind = 'aberration', municipality: string | null = null) =>
      repository.insertRule({
        id: randomUUID(),
        name: `${kind} rule`,
        kind,
        params: defaultParams[kind],
        municipality,
        created_by: null,
      })

    const newAlert = (
      ruleId: string,
      area: string,
      overrides: Partial<NewAlert> = {},
    ): NewAlert => ({
      id: randomUUID(),
      rule_id: ruleId,
      kind: 'aberration',
      area_code: area,
      municipality_code: `GM${area.slice(2, 6)}`,
      period: '2024Q3',
      value: 7,
      threshold: 5,
      facts: facts('2024Q3', 7),
      explanation: 'seven young suspects where two were expected',
      state: 'firing',
      hit_streak: 1,
      clear_streak: 0,
      first_fired_at: new Date('2030-01-01T00:00:00Z'),
      ...overrides,
    })

    const insertAlerts = (alerts: NewAlert[]) =>
      app.knex.transaction((trx) => repository.insertAlerts(alerts, trx))

    t.test('rules', async (t) => {
      t.test('when a rule is inserted, then it is found with its params as stored', async (t) => {
        const before = await repository.hasRules()

        const inserted = await insertRule('yoy_rise', 'GM0518')

        const found = await repository.findRule(inserted.id)
        t.equal(before, false)
        t.equal(await repository.hasRules(), true)
        t.match(found, {
          id: inserted.id,
          name: 'yoy_rise rule',
          kind: 'yoy_rise',
          municipality: 'GM0518',
          params: defaultParams.yoy_rise,
        })
        t.same(inserted.params, defaultParams.yoy_rise)
        t.equal(await repository.findRule(randomUUID()), undefined)
      })

      t.test(
        'when rules are listed for a municipality, then its own and the national ones come, newest first',
        async (t) => {
          const national = await insertRule('aberration', null)
          const own = await insertRule('trend', 'GM0518')
          const other = await insertRule('trend', 'GM0599')
          // explicit times: two inserts in a row may share the clock's tick
          const createdAt = [
            [own.id, '2030-01-01T00:00:00Z'],
            [other.id, '2030-01-02T00:00:00Z'],
            [national.id, '2030-01-03T00:00:00Z'],
          ]
          for (const [id, at] of createdAt) {
            await app
              .knex('alert_rules')
              .where({ id })
              .update({ created_at: new Date(at) })
          }

          const scoped = await repository.listRules({
            municipality: 'GM0518',
            limit: 10,
            offset: 0,
          })
          const trends = await repository.listRules({ kind: 'trend', limit: 10, offset: 0 })
          const page = await repository.listRules({ limit: 1, offset: 0 })
          const all = await repository.allRules()

          t.same(
            scoped.items.map((rule) => rule.id),
            [national.id, own.id],
          )
          t.equal(scoped.total, 2)
          t.same(trends.items.map((rule) => rule.id).sort(), [own.id, other.id].sort())
          t.same([page.items.length, page.total], [1, 3])
          t.same(
            all.map((rule) => rule.id),
            [own.id, other.id, national.id],
            'all rules, oldest first',
          )
        },
      )

      t.test(
        'when a rule is updated, then only what is given changes and updated_at moves',
        async (t) => {
          const rule = await insertRule('trend')
          const params = { ...defaultParams.trend, alpha: 0.01 }

          const renamed = await repository.updateRule(rule.id, { name: 'renamed' })
          const tuned = await repository.updateRule(rule.id, { params })
          const missing = await repository.updateRule(randomUUID(), { name: 'x' })

          t.match(renamed, { name: 'renamed', params: defaultParams.trend })
          t.match(tuned, { name: 'renamed', params })
          t.ok(tuned!.updated_at.getTime() > rule.updated_at.getTime())
          t.equal(missing, undefined)
        },
      )

      t.test('when a rule is deleted, then its alerts go with it', async (t) => {
        const rule = await insertRule()
        await insertAlerts([newAlert(rule.id, centrum)])

        const deleted = await repository.deleteRule(rule.id)
        const again = await repository.deleteRule(rule.id)

        t.same([deleted, again], [true, false])
        const [{ n }] = await app.knex('alerts').count<{ n: number }[]>({ n: '*' })
        t.equal(Number(n), 0)
        t.equal(await repository.hasRules(), false)
      })
    })

    t.test('insertAlerts, findAlert and listAlerts', async (t) => {
      t.test(
        'when alerts are inserted, then each is found with its rule’s and area’s names and its facts',
        async (t) => {
          const rule = await insertRule()
          const alert = newAlert(rule.id, centrum, { value: null, threshold: null })

          await insertAlerts([alert])

          const found = await repository.findAlert(alert.id)
          t.match(found, {
            id: alert.id,
            rule_id: rule.id,
            rule_name: 'aberration rule',
            area_name: 'Centrum',
            kind: 'aberration',
            municipality_code: 'GM0518',
            period: '2024Q3',
            value: null,
            threshold: null,
            state: 'firing',
            hit_streak: 1,
            resolved_at: null,
            acknowledged_at: null,
          })
          t.same(found!.facts, alert.facts)
          t.equal(found!.first_fired_at.getTime(), alert.first_fired_at.getTime())
          t.equal(await repository.findAlert(randomUUID()), undefined)
        },
      )

      t.test('when more alerts come than one statement takes, then all are stored', async (t) => {
        const rules = await Promise.all([insertRule(), insertRule()])
        const alerts = Array.from({ length: 1500 }, (_, index) =>
          newAlert(rules[index % 2].id, `BU0518${String(index).padStart(4, '0')}`),
        )

        await insertAlerts(alerts)

        const [{ n }] = await app.knex('alerts').count<{ n: number }[]>({ n: '*' })
        t.equal(Number(n), 1500)
      })

      t.test(
        'when alerts are listed, then filters apply and they come newest first, then by area and id',
        async (t) => {
          const rule = await insertRule()
          const trendRule = await insertRule('trend')
          const later = newAlert(rule.id, haven, {
            first_fired_at: new Date('2030-02-01T00:00:00Z'),
          })
          const sameTimeA = newAlert(rule.id, centrum)
          const sameTimeB = newAlert(rule.id, elders)
          const trend = newAlert(trendRule.id, centrum, { kind: 'trend', state: 'resolved' })
          await insertAlerts([sameTimeB, later, trend, sameTimeA])

          const all = await repository.listAlerts({ limit: 10, offset: 0 })
          const firing = await repository.listAlerts({ state: 'firing', limit: 10, offset: 0 })
          const ofKind = await repository.listAlerts({ kind: 'trend', limit: 10, offset: 0 })
          const ofMunicipality = await repository.listAlerts({
            municipality: 'GM0599',
            limit: 10,
            offset: 0,
          })
          const ofArea = await repository.listAlerts({ area: centrum, limit: 10, offset: 0 })
          const ofRule = await repository.listAlerts({
            rule_id: trendRule.id,
            limit: 10,
            offset: 0,
          })
          const page = await repository.listAlerts({ limit: 2, offset: 1 })

          t.same(all.items[0].id, later.id)
          t.same(
            all.items.slice(1).map((alert) => alert.area_code),
            [centrum, centrum, elders],
          )
          t.equal(firing.total, 3)
          t.same(
            ofKind.items.map((alert) => alert.id),
            [trend.id],
          )
          t.same(
            ofMunicipality.items.map((alert) => alert.id),
            [sameTimeB.id],
          )
          t.equal(ofArea.total, 2)
          t.same(
            ofRule.items.map((alert) => alert.id),
            [trend.id],
          )
          t.same([page.items.length, page.total], [2, 4])
        },
      )
    })

    t.test('updateAlerts, resolveAlerts, openAlerts and acknowledge', async (t) => {
      t.test(
        'when open alerts are updated, then their finding changes and their state stays',
        async (t) => {
          const rule = await insertRule()
          const alert = newAlert(rule.id, centrum)
          await insertAlerts([alert])
          const before = (await repository.findAlert(alert.id))!

          await app.knex.transaction((trx) =>
            repository.updateAlerts(
              [
                {
                  id: alert.id,
                  period: '2024Q4',
                  value: 9,
                  threshold: 6,
                  facts: facts('2024Q4', 9),
                  explanation: 'nine',
                  hit_streak: 2,
                  clear_streak: 0,
                },
              ],
              trx,
            ),
          )

          const after = (await repository.findAlert(alert.id))!
          t.match(after, {
            period: '2024Q4',
            value: 9,
            threshold: 6,
            explanation: 'nine',
            hit_streak: 2,
            state: 'firing',
          })
          t.same(after.facts, facts('2024Q4', 9))
          t.ok(after.updated_at.getTime() > before.updated_at.getTime())
          t.equal(after.first_fired_at.getTime(), before.first_fired_at.getTime())
        },
      )

      t.test(
        'when alerts are resolved, then they leave the open ones with the time given; a resolved one keeps its time',
        async (t) => {
          const rule = await insertRule()
          const open = newAlert(rule.id, centrum, { hit_streak: 3 })
          const stays = newAlert(rule.id, haven)
          await insertAlerts([open, stays])
          const at = new Date('2030-03-01T12:00:00.000Z')

          await app.knex.transaction((trx) =>
            repository.resolveAlerts([{ id: open.id, clear_streak: 2 }], at, trx),
          )
          await app.knex.transaction((trx) =>
            repository.resolveAlerts(
              [{ id: open.id, clear_streak: 5 }],
              new Date('2031-01-01T00:00:00Z'),
              trx,
            ),
          )

          const resolved = (await repository.findAlert(open.id))!
          const stillOpen = await repository.openAlerts(undefined)
          t.match(resolved, { state: 'resolved', clear_streak: 2, hit_streak: 0 })
          t.equal(resolved.resolved_at!.getTime(), at.getTime())
          t.same(
            stillOpen.map((alert) => alert.id),
            [stays.id],
          )
          t.equal(stillOpen[0].area_name, 'Haven')
        },
      )

      t.test('when open alerts are asked for one rule, then only its come', async (t) => {
        const first = await insertRule()
        const second = await insertRule('trend')
        await insertAlerts([
          newAlert(first.id, centrum),
          newAlert(second.id, centrum, { kind: 'trend' }),
        ])

        const ofFirst = await repository.openAlerts(first.id)

        t.same(
          ofFirst.map((alert) => alert.rule_id),
          [first.id],
        )
      })

      t.test('when an alert is acknowledged, then once only and never when resolved', async (t) => {
        const rule = await insertRule()
        const firing = newAlert(rule.id, centrum)
        const resolved = newAlert(rule.id, haven, { state: 'resolved' })
        await insertAlerts([firing, resolved])
        const keyId = randomUUID()

        const results = [
          await repository.acknowledge(firing.id, keyId),
          await repository.acknowledge(firing.id, keyId),
          await repository.acknowledge(resolved.id, keyId),
        ]

        t.same(results, [true, false, false])
        const acknowledged = (await repository.findAlert(firing.id))!
        t.match(acknowledged, { state: 'acknowledged', acknowledged_by: keyId })
        t.ok(acknowledged.acknowledged_at instanceof Date)
        t.equal((await repository.openAlerts(undefined)).length, 1, 'acknowledged is open')
      })
    })

    t.test('openCounts', async (t) => {
      t.test('when alerts are open, then they are counted per kind and municipality', async (t) => {
        const rule = await insertRule()
        const trendRule = await insertRule('trend')
        await insertAlerts([
          newAlert(rule.id, centrum),
          newAlert(rule.id, haven, { state: 'acknowledged' }),
          newAlert(rule.id, elders),
          newAlert(trendRule.id, centrum, { kind: 'trend' }),
          newAlert(trendRule.id, haven, { kind: 'trend', state: 'resolved' }),
        ])

        const counts = await repository.openCounts()

        t.same(counts.map((row) => `${row.kind} ${row.municipality_code} ${row.count}`).sort(), [
          'aberration GM0518 2',
          'aberration GM0599 1',
          'trend GM0518 1',
        ])
      })

      t.test('when no alert is open, then there are no counts', async (t) => {
        const rule = await insertRule()
        await insertAlerts([newAlert(rule.id, centrum, { state: 'resolved' })])

        const counts = await repository.openCounts()

        t.same(counts, [])
      })
    })

    t.test('lockEvaluation', async (t) => {
      t.test(
        'when taken in a transaction, then it is held until the transaction ends',
        async (t) => {
          let heldInside: boolean | undefined
          await app.knex.transaction(async (trx) => {
            await repository.lockEvaluation(trx)
            if (engine !== 'postgres') return
            // another connection cannot take the same lock meanwhile
            const other = new pg.Client({ connectionString: config.databaseUrl })
            await other.connect()
            try {
              const result = await other.query(
                `SELECT pg_try_advisory_lock(hashtext('aanwas.alert-evaluation')) AS locked`,
              )
              heldInside = !result.rows[0].locked
            } finally {
              await other.end()
            }
          })

          if (engine === 'postgres') t.equal(heldInside, true, 'held while the transaction ran')
          const free = await app.knex.raw(
            `SELECT pg_try_advisory_xact_lock(hashtext('aanwas.alert-evaluation')) AS locked`,
          )
          t.equal(free.rows[0].locked, true, 'free after it ended')
        },
      )
    })

    t.test('riskInput', async (t) => {
      const risk = app.riskRepository

      /** A succeeded run of a horizon with one score per area and period. */
      const scoredRun = async (
        horizon: number,
        publish: boolean,
        scores: Array<[string, string, number]>,
      ) => {
        const id = randomUUID()
        await risk.insertQueued({
          id,
          horizon_quarters: horizon,
          from_period: null,
          to_period: null,
          requested_by: null,
          publish_on_success: publish,
        })
        await risk.succeed(id, { coefficients: {}, quality: {} })
        const columns = {
          run_id: id,
          length: scores.length,
          area_code: scores.map(([area]) => area),
          municipality_code: scores.map(([area]) => `GM${area.slice(2, 6)}`),
          period: scores.map(([, period]) => period),
          target_period: scores.map(([, period]) => period),
          [baseColumn]: Int32Array.from(scores, () => 200),
          risk: Float64Array.from(scores, ([, , value]) => value),
          risk_ci_low: Float64Array.from(scores, () => 0),
          risk_ci_high: Float64Array.from(scores, () => 1),
          expected: Float64Array.from(scores, () => Number.NaN),
          observed: Float64Array.from(scores, () => Number.NaN),
          standardized_ratio: Float64Array.from(scores, () => Number.NaN),
          ratio_ci_low: Float64Array.from(scores, () => Number.NaN),
          ratio_ci_high: Float64Array.from(scores, () => Number.NaN),
          percentile: Float64Array.from(scores, ([, , value]) => value * 100),
          rank: Int32Array.from(scores, (_, index) => index + 1),
          percentile_national: Float64Array.from(scores, ([, , value]) => value * 50),
          rank_national: Int32Array.from(scores, (_, index) => index + 10),
        } as unknown as RiskScoreColumns
        await app.knex.transaction((trx) => risk.insertScores(columns, trx))
        return id
      }

      t.test('when no run is published for the horizon, then undefined', async (t) => {
        await scoredRun(0, false, [[centrum, '2024Q3', 0.5]])
        await scoredRun(4, true, [[centrum, '2024Q3', 0.5]])

        const input = await repository.riskInput(0, 4)

        t.equal(input, undefined)
      })

      t.test(
        'when a run is published and a later preview exists, then the published run’s last quarters come, aligned per area',
        async (t) => {
          const published = await scoredRun(0, true, [
            [centrum, '2023Q4', 0.1],
            [centrum, '2024Q1', 0.2],
            [centrum, '2024Q3', 0.3],
            [haven, '2024Q3', 0.4],
            [elders, '2024Q2', 0.6],
          ])
          await scoredRun(0, false, [[centrum, '2025Q1', 0.9]])

          const input = await repository.riskInput(0, 3)

          t.equal(input?.run_id, published)
          t.equal(input?.horizon_quarters, 0)
          t.same(input?.periods, ['2024Q1', '2024Q2', '2024Q3'])
          t.same(input?.byArea.get(centrum)?.risk, [0.2, null, 0.3])
          t.same(input?.byArea.get(centrum)?.percentile, [20, null, 30])
          t.same(input?.byArea.get(haven)?.rank_national, [null, null, 13])
          t.same(input?.byArea.get(elders)?.percentile_national, [null, 30, null])
          t.same([...input!.byArea.keys()].sort(), [centrum, haven, elders])
          t.same([...input!.municipalitySizes.entries()].sort(), [
            ['GM0518', [1, 0, 2]],
            ['GM0599', [0, 1, 0]],
          ])
          t.same(input?.nationalSizes, [1, 1, 2])
        },
      )

      t.test('when two runs were published, then the one published last comes', async (t) => {
        const first = await scoredRun(0, true, [[centrum, '2024Q3', 0.1]])
        const second = await scoredRun(0, false, [[centrum, '2024Q2', 0.2]])
        await risk.publish(second, null)

        const input = await repository.riskInput(0, 1)

        t.equal(input?.run_id, second)
        t.not(input?.run_id, first)
        t.same(input?.periods, ['2024Q2'])
      })

      t.test('when the published run has no scores, then undefined', async (t) => {
        await scoredRun(0, true, [])

        const input = await repository.riskInput(0, 4)

        t.equal(input, undefined)
      })
    })
  })
}

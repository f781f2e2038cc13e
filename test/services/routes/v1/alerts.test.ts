import t from 'tap'
import { buildTestApp, createKey, engines } from '../../../helper.js'
import { csvOf } from '../../../support/snapshot-fixtures.js'
import { seededRandom, shapedRows } from '../../../support/alert-fixtures.js'
import { startWebhookReceiver, waitFor } from '../../../support/webhook-receiver.js'

const spikeArea = 'BU05180101'
const stableAreas = Array.from({ length: 8 }, (_, i) => `BU051801${String(i + 2).padStart(2, '0')}`)

function dataSet() {
  return [
    ...shapedRows(spikeArea, 'spike', seededRandom(1)),
    ...stableAreas.flatMap((code, i) => shapedRows(code, 'stable', seededRandom(200 + i))),
  ]
}

for (const engine of engines) {
  t.test(engine, async (t) => {
    const { app, admin, reset } = await buildTestApp(t, engine, {
      webhookRetryMs: 20,
      minCell: 100,
    })
    // Background evaluations and deliveries finish before the tables are emptied.
    t.beforeEach(async () => {
      await app.alertEvaluator.idle()
      await app.outboxWorker.idle()
      await reset()
    })
    const upload = async (body: string) => {
      const response = await app.inject({
        method: 'POST',
        url: '/v1/snapshots',
        headers: { ...admin, 'content-type': 'text/csv' },
        payload: body,
      })
      t.equal(response.statusCode, 201, response.body)
    }
    const createRule = async (body: object, headers = admin) =>
      app.inject({ method: 'POST', url: '/v1/alert-rules', headers, payload: body })

    t.test('POST /v1/alert-rules', async (t) => {
      t.test('when a rule is created, then it answers with the defaults filled in', async (t) => {
        const response = await createRule({ name: 'spikes', kind: 'aberration' })
        t.equal(response.statusCode, 201, response.body)
        t.match(response.json(), {
          name: 'spikes',
          kind: 'aberration',
          municipality: null,
          params: {
            alpha: 0.05,
            b: 5,
            w: 1,
            weights_threshold: 2.58,
            limit54: [5, 4],
            min_count: 5,
            consecutive: 1,
            clear_quarters: 2,
          },
        })
      })
      t.test('when a parameter is out of range or unknown, then 400', async (t) => {
        const bad = await createRule({ name: 'x', kind: 'yoy_rise', params: { q: 1.5 } })
        t.equal(bad.statusCode, 400)
        t.match(bad.json().error.message, /q must be/)
        const unknown = await createRule({ name: 'x', kind: 'trend', params: { p: 3 } })
        t.equal(unknown.statusCode, 400)
      })
      t.test('when a scoped analyst writes, then rules stay in its municipality', async (t) => {
        const analyst = await createKey(app, admin, 'analyst', 'GM0518')
        const own = await createRule({ name: 'own', kind: 'trend' }, analyst.headers)
        t.equal(own.json().municipality, 'GM0518')
        const other = await createRule(
          { name: 'other', kind: 'trend', municipality: 'GM0599' },
          analyst.headers,
        )
        t.equal(other.statusCode, 403)
        const viewer = await createKey(app, admin, 'viewer', 'GM0518')
        t.equal((await createRule({ name: 'v', kind: 'trend' }, viewer.headers)).statusCode, 403)
        const national = (await createRule({ name: 'national', kind: 'trend' })).json()
        const patch = await app.inject({
          method: 'PATCH',
          url: `/v1/alert-rules/${national.id}`,
          headers: analyst.headers,
          payload: { name: 'mine now' },
        })
        t.equal(patch.statusCode, 403)
        const list = await app.inject({
          method: 'GET',
          url: '/v1/alert-rules',
          headers: analyst.headers,
        })
        t.equal(list.json().total, 2)
      })
      t.test('when a rule is patched, then params merge over the current ones', async (t) => {
        const rule = (await createRule({ name: 'r', kind: 'yoy_rise', params: { q: 0.1 } })).json()
        const patched = await app.inject({
          method: 'PATCH',
          url: `/v1/alert-rules/${rule.id}`,
          headers: admin,
          payload: { params: { min_relative_rise: 0.2 } },
        })
        t.equal(patched.statusCode, 200, patched.body)
        t.match(patched.json().params, { q: 0.1, min_relative_rise: 0.2 })
      })
    })

    t.test('GET /v1/alerts', async (t) => {
      t.test(
        'when an upload trips an aberration rule, then one alert fires with an explanation',
        async (t) => {
          await createRule({ name: 'spikes', kind: 'aberration' })
          await app.alertEvaluator.idle()
          await upload(csvOf(dataSet()))
          await app.alertEvaluator.idle()
          const response = await app.inject({
            method: 'GET',
            url: `/v1/alerts?state=firing&area=${spikeArea}`,
            headers: admin,
          })
          t.equal(response.statusCode, 200, response.body)
          const { items, total } = response.json()
          t.equal(total, 1)
          t.match(items[0], {
            kind: 'aberration',
            area_code: spikeArea,
            municipality: 'GM0518',
            period: '2024Q4',
            state: 'firing',
            resolved_at: null,
            acknowledged_at: null,
            rule_name: 'spikes',
          })
          t.ok(items[0].value > items[0].threshold)
          t.match(
            items[0].explanation,
            /^\d+ young suspects in 2024Q4 against \d+\.\d expected, threshold \d+\.\d from 2019–2023/,
          )
          // Evaluating again changes nothing: still one alert per rule and area.
          await app.alertEvaluator.evaluateNow()
          const again = await app.inject({
            method: 'GET',
            url: `/v1/alerts?area=${spikeArea}`,
            headers: admin,
          })
          t.equal(again.json().total, 1)
          t.equal(again.json().items[0].id, items[0].id)
          const filtered = await app.inject({
            method: 'GET',
            url: '/v1/alerts?kind=trend',
            headers: admin,
          })
          t.equal(filtered.json().total, 0)
          const otherMunicipality = await app.inject({
            method: 'GET',
            url: '/v1/alerts?municipality=GM0599',
            headers: admin,
          })
          t.equal(otherMunicipality.json().total, 0)
        },
      )

      t.test(
        'when a viewer reads alerts, then small counts are suppressed and the explanation is safe',
        async (t) => {
          await createRule({ name: 'spikes', kind: 'aberration' })
          await upload(csvOf(dataSet()))
          await app.alertEvaluator.idle()
          const viewer = await createKey(app, admin, 'viewer', 'GM0518')
          const exact = (
            await app.inject({ method: 'GET', url: `/v1/alerts?area=${spikeArea}`, headers: admin })
          ).json().items[0]
          t.ok(exact.value < 100, 'the fixture count is below the test minCell of 100')
          const response = await app.inject({
            method: 'GET',
            url: `/v1/alerts?area=${spikeArea}`,
            headers: viewer.headers,
          })
          const item = response.json().items[0]
          t.equal(item.value, null)
          t.type(exact.threshold, 'number')
          // finding 12's class: a count known to be below minCell and above a shown threshold
          // can be pinned, so the exact Farrington bound is withheld too
          t.equal(item.threshold, null)
          t.same(item.suppressed, ['threshold', 'value'])
          t.match(item.explanation, /^fewer than 100 young suspects in 2024Q4/)
          t.notOk(item.explanation.includes(String(exact.value)))
          t.notMatch(item.explanation, /expected|threshold \d/, 'no figure from exact counts')
          const outside = await createKey(app, admin, 'viewer', 'GM0599')
          const forbidden = await app.inject({
            method: 'GET',
            url: `/v1/alerts?area=${spikeArea}`,
            headers: outside.headers,
          })
          t.equal(forbidden.statusCode, 403)
          const scoped = await app.inject({
            method: 'GET',
            url: '/v1/alerts',
            headers: outside.headers,
          })
          t.equal(scoped.json().total, 0)
        },
      )

      t.test(
        'when an alert is acknowledged and its condition clears, then it resolves',
        async (t) => {
          await createRule({ name: 'spikes', kind: 'aberration' })
          const rows = dataSet()
          await upload(csvOf(rows))
          await app.alertEvaluator.idle()
          const [alert] = (
            await app.inject({ method: 'GET', url: `/v1/alerts?area=${spikeArea}`, headers: admin })
          ).json().items
          const acknowledged = await app.inject({
            method: 'POST',
            url: `/v1/alerts/${alert.id}/acknowledge`,
            headers: admin,
          })
          t.equal(acknowledged.statusCode, 200, acknowledged.body)
          t.equal(acknowledged.json().state, 'acknowledged')
          t.ok(acknowledged.json().acknowledged_at)
          // CBS re-delivers the spike quarter with an ordinary count: clear in 2024Q3 and 2024Q4.
          const revised = rows.find(
            (row) => row.area_code === spikeArea && row.period === '2024Q4',
          )!
          await upload(csvOf([{ ...revised, drug_offence_suspects: 10 }]))
          await app.alertEvaluator.idle()
          const after = await app.inject({
            method: 'GET',
            url: `/v1/alerts/${alert.id}`,
            headers: admin,
          })
          t.equal(after.json().state, 'resolved')
          t.ok(after.json().resolved_at)
          t.equal(after.json().clear_quarters, 2)
          const conflict = await app.inject({
            method: 'POST',
            url: `/v1/alerts/${alert.id}/acknowledge`,
            headers: admin,
          })
          t.equal(conflict.statusCode, 409)
        },
      )

      t.test(
        'when a model run is stored, then risk_percentile alerts follow its percentiles',
        async (t) => {
          await upload(csvOf(dataSet()))
          const runId = '00000000-0000-4000-8000-000000000001'
          const codes = [spikeArea, ...stableAreas]
          await app.knex('model_runs').insert({
            id: runId,
            status: 'succeeded',
            progress: 1,
            horizon_quarters: 0,
            scores_kept: true,
            finished_at: new Date(),
            published: true,
            published_at: new Date(),
          })
          await app.knex('risk_scores').insert(
            codes.map((code, i) => ({
              run_id: runId,
              area_code: code,
              municipality_code: 'GM0518',
              period: '2024Q4',
              target_period: '2024Q4',
              youth_population: 1000,
              risk: 0.05 - i * 0.001,
              risk_ci_low: 0.01,
              risk_ci_high: 0.09,
              percentile: (100 * (codes.length - i)) / codes.length,
              rank: i + 1,
              percentile_national: (100 * (codes.length - i)) / codes.length,
              rank_national: i + 1,
            })),
          )
          await createRule({
            name: 'top',
            kind: 'risk_percentile',
            municipality: 'GM0518',
            params: { p: 20 },
          })
          await app.alertEvaluator.idle()
          await app.alertEvaluator.evaluateNow()
          const { items } = (
            await app.inject({
              method: 'GET',
              url: '/v1/alerts?kind=risk_percentile',
              headers: admin,
            })
          ).json()
          t.same(
            items.map((item: { area_code: string }) => item.area_code).sort(),
            [spikeArea, stableAreas[0]].sort(),
          )
          t.match(items[0].explanation, /ranks [12] of 9 in GM0518: percentile/)
        },
      )
    })

    t.test('webhooks', async (t) => {
      t.test(
        'when the receiver fails its first attempts, then every event arrives once, signed',
        async (t) => {
          const secret = 'a-webhook-secret-of-some-length'
          const receiver = await startWebhookReceiver(secret, { failFirst: 2 })
          t.teardown(() => receiver.close())
          const created = await app.inject({
            method: 'POST',
            url: '/v1/webhooks',
            headers: admin,
            payload: { url: receiver.url, secret },
          })
          t.equal(created.statusCode, 201, created.body)
          const analyst = await createKey(app, admin, 'analyst')
          t.equal(
            (await app.inject({ method: 'GET', url: '/v1/webhooks', headers: analyst.headers }))
              .statusCode,
            403,
          )
          const listed = (
            await app.inject({ method: 'GET', url: '/v1/webhooks', headers: admin })
          ).json()
          t.same(Object.keys(listed.items[0]).sort(), ['created_at', 'id', 'url'])

          await createRule({ name: 'spikes', kind: 'aberration' })
          await upload(csvOf(dataSet()))
          await app.alertEvaluator.idle()
          const open = (
            await app.inject({ method: 'GET', url: '/v1/alerts?state=firing', headers: admin })
          ).json()
          t.ok(open.total >= 1)
          await waitFor(() => receiver.delivered().size === open.total, 20_000, 'deliveries')
          await new Promise((resolve) => setTimeout(resolve, 200))
          for (const [, count] of receiver.delivered()) t.equal(count, 1)
          t.ok(
            receiver.received.every((event) => event.signatureValid),
            'every signature verifies',
          )
          const firing = receiver.received.find((event) => event.status === 200)!
          const body = JSON.parse(firing.body)
          t.match(body, { type: 'alert.firing', alert: { state: 'firing', kind: 'aberration' } })
          t.match(body.created_at, /^\d{4}-\d{2}-\d{2}T/)
          const attempts = receiver.received.filter((event) => event.id === firing.id)
          t.equal(attempts.length, 3)
          t.ok(
            attempts.every((attempt) => attempt.body === firing.body),
            'the same bytes each time',
          )
          const log = await app.inject({
            method: 'GET',
            url: `/v1/webhooks/${created.json().id}/deliveries?event_id=${firing.id}`,
            headers: admin,
          })
          t.same(
            log
              .json()
              .items.map((entry: { attempt: number; delivered: boolean }) => [
                entry.attempt,
                entry.delivered,
              ]),
            [
              [3, true],
              [2, false],
              [1, false],
            ],
          )

          // Deleting the rule resolves its alerts, with events.
          const rules = (
            await app.inject({ method: 'GET', url: '/v1/alert-rules', headers: admin })
          ).json()
          t.equal(
            (
              await app.inject({
                method: 'DELETE',
                url: `/v1/alert-rules/${rules.items[0].id}`,
                headers: admin,
              })
            ).statusCode,
            204,
          )
          await waitFor(
            () =>
              receiver.received.some(
                (event) => event.type === 'alert.resolved' && event.status === 200,
              ),
            20_000,
            'resolved event',
          )
          await app.outboxWorker.idle()
          const removed = await app.inject({
            method: 'DELETE',
            url: `/v1/webhooks/${created.json().id}`,
            headers: admin,
          })
          t.equal(removed.statusCode, 204, removed.body)
        },
      )
    })

    t.test('GET /metrics', async (t) => {
      t.test('when scraped, then the text parses and holds the service metrics', async (t) => {
        await createRule({ name: 'spikes', kind: 'aberration' })
        await upload(csvOf(dataSet()))
        await app.alertEvaluator.idle()
        const response = await app.inject({ method: 'GET', url: '/metrics' })
        t.equal(response.statusCode, 200)
        t.match(response.headers['content-type'], /text\/plain/)
        const samples = new Map<string, number>()
        for (const line of response.body.split('\n')) {
          if (line === '' || line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue
          const match =
            /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/.exec(line)
          t.ok(match, `parses: ${line}`)
          if (match) samples.set(match[1] + (match[2] ?? ''), Number(match[3]))
        }
        for (const name of [
          'aanwas_process_cpu_user_seconds_total',
          'aanwas_http_request_duration_seconds',
          'aanwas_snapshot_uploads_total',
          'aanwas_snapshot_rows_total',
          'aanwas_model_runs_total',
          'aanwas_model_run_duration_seconds',
          'aanwas_alerts_firing',
        ]) {
          t.match(response.body, new RegExp(`# TYPE ${name} `), name)
        }
        // Counters accumulate over this file's uploads: at least this test's one.
        t.ok((samples.get('aanwas_snapshot_uploads_total{outcome="accepted"}') ?? 0) >= 1)
        t.ok(
          (samples.get('aanwas_snapshot_rows_total{result="inserted"}') ?? 0) >= dataSet().length,
        )
        t.ok(
          (samples.get('aanwas_alerts_firing{kind="aberration",municipality="GM0518"}') ?? 0) >= 1,
        )
        t.ok(
          [...samples.keys()].some(
            (key) =>
              key.startsWith('aanwas_http_request_duration_seconds_count{') &&
              key.includes('route="/v1/snapshots"'),
          ),
          'route pattern label',
        )
        t.notOk(response.body.includes(spikeArea), 'no per-neighbourhood series')
      })
    })
  })
}

import t from 'tap'
import pg from 'pg'
import { buildTestApp, createKey, engines, runModelToEnd } from '../../../helper.js'
import { csvOf, snapshotRow } from '../../../support/snapshot-fixtures.js'
import { plantedRiskCoefficients, riskPanel } from '../../../support/risk-fixtures.js'
import { buildServer } from '../../../../services/server.js'

for (const engine of engines) {
  t.test(engine, async (t) => {
    const { app, admin, reset } = await buildTestApp(t, engine)
    t.beforeEach(() => reset())
    const upload = async (body: string) => {
      const response = await app.inject({
        method: 'POST',
        url: '/v1/snapshots',
        headers: { ...admin, 'content-type': 'text/csv' },
        payload: body,
      })
      t.equal(response.statusCode, 201, response.body)
    }

    t.test('POST /v1/risk-model/runs', async (t) => {
      t.test(
        'when the model runs on seeded data, then it succeeds, recovers the planted coefficients and reports quality',
        async (t) => {
          const panel = riskPanel()
          // Two rows the model must exclude: a NULL predictor and a zero population.
          panel.push(
            snapshotRow({ area_code: 'BU05180301', period: '2022Q1', parental_debt: null }),
          )
          panel.push(
            snapshotRow({
              area_code: 'BU05180302',
              period: '2022Q1',
              youth_population: 0,
              early_school_leavers: 0,
              halt_registrations: 0,
              parental_debt: 0,
              drug_offence_suspects: 0,
            }),
          )
          await upload(csvOf(panel))
          const run = await runModelToEnd(app, admin)
          t.equal(run.status, 'succeeded', JSON.stringify(run.error))
          t.match(run.backend, /^(tensorflow|wasm|cpu)$/)
          t.equal(run.n_rows, panel.length - 2)
          t.equal(run.n_excluded, 2)
          t.equal(run.progress, 1)
          t.same(
            run.coefficients.map((coefficient: { term: string }) => coefficient.term),
            ['intercept', 'early_school_leaving', 'halt', 'parental_debt'],
          )
          for (const coefficient of run.coefficients) {
            const planted =
              plantedRiskCoefficients[coefficient.term as keyof typeof plantedRiskCoefficients]
            t.ok(
              Math.abs(coefficient.estimate - planted) < 3 * coefficient.std_error,
              `${coefficient.term}: ${coefficient.estimate} ± ${coefficient.std_error} vs ${planted}`,
            )
            t.ok(
              coefficient.ci_low < coefficient.estimate &&
                coefficient.estimate < coefficient.ci_high,
            )
            t.equal(coefficient.odds_ratio, Math.exp(coefficient.estimate))
          }
          t.ok(run.deviance < run.null_deviance)
          t.equal(run.quality.calibration.length, 10)
          t.equal(run.quality.cv_folds, 5)
          t.type(run.quality.cv_seed, 'number')
          t.ok(run.quality.brier > 0 && run.quality.brier < 0.1)
          t.same([run.data_from, run.data_to], ['2021Q1', '2023Q4'])
        },
      )

      t.test('when an identical run is still queued, then it is reused', async (t) => {
        await upload(csvOf(riskPanel({ years: 1 })))
        await app.riskRepository.insertQueued({
          id: '00000000-0000-4000-8000-000000000001',
          horizon_quarters: 2,
          from_period: null,
          to_period: null,
          requested_by: null,
          publish_on_success: true,
        })
        const response = await app.inject({
          method: 'POST',
          url: '/v1/risk-model/runs',
          headers: admin,
          payload: { horizon_quarters: 2 },
        })
        t.equal(response.statusCode, 202)
        t.equal(response.json().run_id, '00000000-0000-4000-8000-000000000001')
        await app.modelRunner.idle()
      })

      t.test(
        'when a predictor is constant, then the run fails as not identifiable naming it',
        async (t) => {
          await upload(csvOf(riskPanel({ years: 1 }).map((row) => ({ ...row, parental_debt: 0 }))))
          const run = await runModelToEnd(app, admin)
          t.equal(run.status, 'failed')
          t.equal(run.error.code, 'not_identifiable')
          t.match(run.error.message, /parental_debt/)
        },
      )

      t.test('when there is no data, then the run fails as not identifiable', async (t) => {
        const run = await runModelToEnd(app, admin)
        t.equal(run.error.code, 'not_identifiable')
      })

      t.test('when the request is invalid, then 400; a viewer gets 403', async (t) => {
        for (const payload of [
          { horizon_quarters: -1 },
          { horizon_quarters: 'two' },
          { from: '2024Q9' },
          { colour: 'red' },
          { from: '2024Q2', to: '2023Q1' },
        ]) {
          const response = await app.inject({
            method: 'POST',
            url: '/v1/risk-model/runs',
            headers: admin,
            payload,
          })
          t.equal(response.statusCode, 400, JSON.stringify(payload))
        }
        const viewer = await createKey(app, admin, 'viewer')
        t.equal(
          (
            await app.inject({
              method: 'POST',
              url: '/v1/risk-model/runs',
              headers: viewer.headers,
              payload: {},
            })
          ).statusCode,
          403,
        )
      })
    })

    t.test('GET /v1/risk', async (t) => {
      t.test('when no run has succeeded, then 404 no_model_run', async (t) => {
        const response = await app.inject({ method: 'GET', url: '/v1/risk', headers: admin })
        t.equal(response.statusCode, 404)
        t.equal(response.json().error.code, 'no_model_run')
      })

      t.test(
        'when a run succeeded, then neighbourhoods come sorted by risk with ranks, percentiles and observed vs expected',
        async (t) => {
          await upload(csvOf(riskPanel()))
          await runModelToEnd(app, admin)
          const body = (
            await app.inject({ method: 'GET', url: '/v1/risk?municipality=GM0518', headers: admin })
          ).json()
          t.equal(body.period, '2023Q4', 'defaults to the latest scored quarter')
          t.equal(body.total, 16)
          const items = body.items as Array<Record<string, number | string | null>>
          for (let index = 1; index < items.length; index += 1)
            t.ok((items[index - 1].risk as number) >= (items[index].risk as number))
          for (const item of items) {
            const risk = item.risk as number
            t.equal(item.rank, 1 + items.filter((other) => (other.risk as number) > risk).length)
            t.equal(
              item.percentile,
              (100 * items.filter((other) => (other.risk as number) <= risk).length) / items.length,
            )
            t.equal(item.target_period, item.period)
            t.ok((item.risk_ci_low as number) <= risk && risk <= (item.risk_ci_high as number))
            t.equal(item.expected, (item.youth_population as number) * risk)
            t.equal(item.standardized_ratio, (item.observed as number) / (item.expected as number))
            t.ok(String(item.area_code).startsWith('BU0518'))
          }
          const national = (
            await app.inject({
              method: 'GET',
              url: '/v1/risk?period=2023-Q4&limit=5',
              headers: admin,
            })
          ).json()
          t.same([national.total, national.items.length], [32, 5])
          t.equal(national.items[0].rank_national, 1)
        },
      )

      t.test(
        'when the horizon is one quarter, then target_period is the next quarter and the last has no observation yet',
        async (t) => {
          await upload(csvOf(riskPanel({ years: 2 })))
          const run = await runModelToEnd(app, admin, { horizon_quarters: 1 })
          t.equal(run.status, 'succeeded', JSON.stringify(run.error))
          t.equal(run.data_to, '2022Q3', 'the last predictor quarter with a known outcome')
          const latest = (
            await app.inject({ method: 'GET', url: '/v1/risk?horizon_quarters=1', headers: admin })
          ).json()
          t.equal(latest.period, '2022Q4')
          t.equal(latest.items[0].target_period, '2023Q1')
          t.equal(latest.items[0].observed, null)
          t.equal(latest.items[0].expected, null, 'expected refers to the target quarter too')
          const earlier = (
            await app.inject({
              method: 'GET',
              url: '/v1/risk?horizon_quarters=1&period=2022Q1',
              headers: admin,
            })
          ).json()
          t.equal(earlier.items[0].target_period, '2022Q2')
          t.type(earlier.items[0].observed, 'number')
          t.equal(
            (
              await app.inject({
                method: 'GET',
                url: '/v1/risk?horizon_quarters=4',
                headers: admin,
              })
            ).statusCode,
            404,
          )
        },
      )

      t.test(
        'when a viewer reads, then small observed counts are suppressed with their ratios; analysts see exact values',
        async (t) => {
          await upload(csvOf(riskPanel()))
          await runModelToEnd(app, admin)
          const viewer = await createKey(app, admin, 'viewer', 'GM0518')
          const analyst = await createKey(app, admin, 'analyst', 'GM0518')
          const seen = (
            await app.inject({ method: 'GET', url: '/v1/risk', headers: viewer.headers })
          ).json().items
          const exact = (
            await app.inject({ method: 'GET', url: '/v1/risk', headers: analyst.headers })
          ).json().items
          t.equal(seen.length, 16, 'the viewer sees its own municipality')
          const small = exact.filter((item: { observed: number }) => item.observed < 10)
          t.ok(small.length > 0, 'the fixture has small counts')
          for (const item of small) {
            const disclosed = seen.find(
              (other: { area_code: string }) => other.area_code === item.area_code,
            )
            t.equal(disclosed.observed, null)
            t.equal(disclosed.standardized_ratio, null)
            t.ok(disclosed.suppressed.includes('observed'))
            t.type(disclosed.risk, 'number', 'risk on a base of 150+ stays')
            t.not(disclosed.risk, item.risk, 'a viewer never sees the exact score (issue 14)')
            t.ok(
              Math.abs(disclosed.risk - item.risk) < 0.2 * item.risk,
              'the published model on the rounded table is close to the exact score',
            )
          }
          for (const item of seen) if (item.observed !== null) t.equal(item.observed % 5, 0)
          // order and ranks come from the viewer's risks, not from the exact ones
          for (let index = 1; index < seen.length; index += 1) {
            t.ok(seen[index - 1].risk >= seen[index].risk, 'by the viewer risk descending')
          }
          for (const item of seen) {
            const higher = seen.filter((other: { risk: number }) => other.risk > item.risk).length
            t.equal(item.rank, higher + 1, `${item.area_code}: rank among the viewer risks`)
          }
        },
      )

      t.test(
        'when an analyst starts a run, then it is a preview until an admin publishes it',
        async (t) => {
          await upload(csvOf(riskPanel()))
          const published = await runModelToEnd(app, admin)
          t.equal(published.published, true, "an admin's run publishes when it succeeds")
          const analyst = await createKey(app, admin, 'analyst', 'GM0518')
          const preview = await runModelToEnd(app, analyst.headers, { to: '2022Q4' })
          t.equal(preview.status, 'succeeded')
          t.equal(preview.published, false, "an analyst's run is a preview")
          const served = await app.inject({ method: 'GET', url: '/v1/risk', headers: admin })
          t.equal(served.json().run_id, published.id, 'GET /v1/risk still serves the published run')
          const asked = await app.inject({
            method: 'GET',
            url: `/v1/risk?run_id=${preview.id}`,
            headers: analyst.headers,
          })
          t.equal(asked.json().run_id, preview.id, 'a preview is readable by its id')
          const refused = await app.inject({
            method: 'POST',
            url: `/v1/risk-model/runs/${preview.id}/publish`,
            headers: analyst.headers,
          })
          t.equal(refused.statusCode, 403, 'only an admin publishes')
          const publish = await app.inject({
            method: 'POST',
            url: `/v1/risk-model/runs/${preview.id}/publish`,
            headers: admin,
          })
          t.equal(publish.statusCode, 200)
          t.equal(publish.json().published, true)
          const now = await app.inject({ method: 'GET', url: '/v1/risk', headers: admin })
          t.equal(now.json().run_id, preview.id, 'the published preview is served now')
        },
      )

      t.test(
        'when a viewer reads a run, then its figures are published to four digits and small decile counts are suppressed (finding 11)',
        async (t) => {
          await upload(csvOf(riskPanel({ years: 1, neighbourhoodsPerDistrict: 3 })))
          const analyst = await createKey(app, admin, 'analyst', 'GM0518')
          const viewer = await createKey(app, admin, 'viewer', 'GM0518')
          // a run on one quarter: deciles of one or two rows
          const run = await runModelToEnd(app, analyst.headers, { from: '2021Q4', to: '2021Q4' })
          t.equal(run.status, 'succeeded')
          const exact = run.quality.calibration as { observed: number }[]
          t.ok(
            exact.some((decile) => decile.observed < 10),
            'the run has a decile with fewer than 10 suspects',
          )
          const seen = (
            await app.inject({
              method: 'GET',
              url: `/v1/risk-model/runs/${run.id}`,
              headers: viewer.headers,
            })
          ).json()
          seen.quality.calibration.forEach(
            (decile: { observed: number | null; suppressed?: string[] }, index: number) => {
              if (exact[index].observed < 10) {
                t.equal(decile.observed, null)
                t.same(decile.suppressed, ['observed'])
              } else {
                t.equal(decile.observed! % 5, 0, 'rounded')
              }
            },
          )
          for (const coefficient of seen.coefficients) {
            t.equal(
              coefficient.estimate,
              Number(
                run.coefficients
                  .find((exactOne: { term: string }) => exactOne.term === coefficient.term)
                  .estimate.toPrecision(4),
              ),
            )
          }
          t.equal(seen.deviance, Number(run.deviance.toPrecision(4)))
        },
      )
    })

    t.test('model run lifecycle', async (t) => {
      t.test(
        'when eleven runs succeed, then the scores of the last ten are kept and the oldest keeps only its results',
        async (t) => {
          await upload(csvOf(riskPanel({ neighbourhoodsPerDistrict: 3, years: 1 })))
          const runs: Array<{ id: string; status: string }> = []
          for (let index = 0; index < 11; index += 1) runs.push(await runModelToEnd(app, admin))
          t.ok(runs.every((run) => run.status === 'succeeded'))
          const kept = await app.knex('risk_scores').distinct('run_id')
          t.equal(kept.length, 10)
          t.notOk(
            kept.some((row: { run_id: string }) => row.run_id === runs[0].id),
            'the oldest run lost its scores',
          )
          const oldest = (
            await app.inject({
              method: 'GET',
              url: `/v1/risk-model/runs/${runs[0].id}`,
              headers: admin,
            })
          ).json()
          t.match(oldest, {
            status: 'succeeded',
            scores_kept: false,
            coefficients: [{ term: 'intercept' }],
          })
        },
      )

      t.test(
        'when uploads change data with AANWAS_AUTO_RECOMPUTE on, then a run is queued',
        async (t) => {
          const auto = await buildTestApp(t, engine, { autoRecompute: true })
          const response = await auto.app.inject({
            method: 'POST',
            url: '/v1/snapshots',
            headers: { ...auto.admin, 'content-type': 'text/csv' },
            payload: csvOf(riskPanel({ years: 1 })),
          })
          t.equal(response.statusCode, 201)
          await auto.app.modelRunner.idle()
          const runs = (
            await auto.app.inject({
              method: 'GET',
              url: '/v1/risk-model/runs',
              headers: auto.admin,
            })
          ).json()
          t.equal(runs.total, 1)
          t.equal(runs.items[0].horizon_quarters, 0)
        },
      )
    })
  })
}

t.test('crash recovery', async (t) => {
  t.test(
    'when a run was left running by a stopped process, then the next start marks it failed',
    async (t) => {
      const { app, config } = await buildTestApp(t, 'pglite')
      await app.riskRepository.insertQueued({
        id: '00000000-0000-4000-8000-0000000000aa',
        horizon_quarters: 0,
        from_period: null,
        to_period: null,
        requested_by: null,
        publish_on_success: true,
      })
      await app.knex('model_runs').update({ status: 'running' })
      await app.close()
      const restarted = await buildServer({ overrides: config, logger: false })
      t.teardown(() => restarted.close())
      const run = await restarted.riskRepository.find('00000000-0000-4000-8000-0000000000aa')
      t.equal(run?.status, 'failed')
      t.equal(run?.error?.code, 'interrupted')
    },
  )
})

t.test(
  'one run at a time across instances',
  { skip: !process.env.TEST_DATABASE_URL && 'TEST_DATABASE_URL is not set' },
  async (t) => {
    const first = await buildTestApp(t, 'postgres')
    const second = await buildServer({ overrides: first.config, logger: false })
    t.teardown(() => second.close())
    await first.app.inject({
      method: 'POST',
      url: '/v1/snapshots',
      headers: { ...first.admin, 'content-type': 'text/csv' },
      payload: csvOf(riskPanel({ years: 1 })),
    })

    t.test(
      'when another instance holds the run lock, then a queued run waits, and runs once it is free',
      async (t) => {
        const holder = new pg.Client({ connectionString: first.config.databaseUrl })
        await holder.connect()
        await holder.query(`SELECT pg_advisory_lock(hashtext('aanwas.model-run'))`)
        const accepted = await second.inject({
          method: 'POST',
          url: '/v1/risk-model/runs',
          headers: first.admin,
          payload: {},
        })
        const runId = accepted.json().run_id
        await new Promise((resolve) => setTimeout(resolve, 600))
        t.equal((await second.riskRepository.find(runId))?.status, 'queued')
        await holder.query(`SELECT pg_advisory_unlock(hashtext('aanwas.model-run'))`)
        await holder.end()
        let status = 'queued'
        for (let attempt = 0; attempt < 100 && status !== 'succeeded'; attempt += 1) {
          await new Promise((resolve) => setTimeout(resolve, 100))
          await second.modelRunner.idle()
          status = (await second.riskRepository.find(runId))?.status ?? 'missing'
        }
        t.equal(status, 'succeeded')
      },
    )

    t.test(
      'when two instances get run requests at once, then runs never overlap in time',
      async (t) => {
        const requests = [0, 1, 2, 3].map((horizon) =>
          (horizon % 2 === 0 ? first.app : second).inject({
            method: 'POST',
            url: '/v1/risk-model/runs',
            headers: first.admin,
            payload: { horizon_quarters: horizon },
          }),
        )
        await Promise.all(requests)
        for (let attempt = 0; attempt < 200; attempt += 1) {
          await first.app.modelRunner.idle()
          await second.modelRunner.idle()
          const open = await first.app
            .knex('model_runs')
            .whereIn('status', ['queued', 'running'])
            .count({ n: '*' })
          if (Number(open[0].n) === 0) break
          await new Promise((resolve) => setTimeout(resolve, 100))
        }
        const runs = await first.app
          .knex('model_runs')
          .whereNotNull('started_at')
          .orderBy('started_at')
        t.ok(runs.length >= 4)
        for (let index = 1; index < runs.length; index += 1) {
          t.ok(
            new Date(runs[index].started_at) >= new Date(runs[index - 1].finished_at),
            'a run starts after the previous one finished',
          )
        }
      },
    )
  },
)
